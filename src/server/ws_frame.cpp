// ws_frame.cpp: see ws_frame.hpp.
#include "server/ws_frame.hpp"

#include <cstring>
#include <openssl/evp.h>

namespace peddlenet::server::ws {

HeaderResult parse_header(const std::uint8_t* data, std::size_t size) {
    HeaderResult r;
    if (size < 2) return r;
    const std::uint8_t b0 = data[0], b1 = data[1];
    auto bad = [&r](const char* why) {
        r.status = HeaderStatus::bad;
        r.why = why;
        return r;
    };
    if (b0 & 0x70) return bad("reserved bits set (no extension was negotiated)");
    const std::uint8_t op = b0 & 0x0F;
    const bool control = op & 0x08;
    if (op != 0x0 && op != 0x1 && op != 0x2 && op != 0x8 && op != 0x9 && op != 0xA)
        return bad("unknown opcode");
    if (!(b1 & 0x80)) return bad("client frames must be masked");
    std::uint64_t length = b1 & 0x7F;
    std::size_t at = 2;
    if (length == 126) {
        if (size < 4) return r;
        length = (std::uint64_t{data[2]} << 8) | data[3];
        at = 4;
    } else if (length == 127) {
        if (size < 10) return r;
        length = 0;
        for (int i = 0; i < 8; ++i) length = (length << 8) | data[2 + i];
        if (length >> 63) return bad("frame length out of range");
        at = 10;
    }
    if (control && (!(b0 & 0x80) || length > 125))
        return bad("control frames must be final and at most 125 bytes");
    if (size < at + 4) return r;
    r.header.fin = b0 & 0x80;
    r.header.opcode = static_cast<Opcode>(op);
    r.header.length = length;
    std::memcpy(r.header.mask.data(), data + at, 4);
    r.header.header_size = at + 4;
    r.status = HeaderStatus::ok;
    return r;
}

void unmask(std::uint8_t* data, std::size_t size, const std::array<std::uint8_t, 4>& key) {
    std::uint64_t key8;
    std::uint8_t k[8];
    for (int i = 0; i < 8; ++i) k[i] = key[static_cast<std::size_t>(i % 4)];
    std::memcpy(&key8, k, 8);
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, data + i, 8);
        w ^= key8;
        std::memcpy(data + i, &w, 8);
    }
    for (; i < size; ++i) data[i] ^= key[i % 4];
}

std::size_t write_header(std::uint8_t* out, Opcode opcode, std::uint64_t length) {
    out[0] = static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(opcode));
    if (length < 126) {
        out[1] = static_cast<std::uint8_t>(length);
        return 2;
    }
    if (length <= 0xFFFF) {
        out[1] = 126;
        out[2] = static_cast<std::uint8_t>(length >> 8);
        out[3] = static_cast<std::uint8_t>(length);
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(length >> (56 - 8 * i));
    return 10;
}

std::string close_payload(CloseCode code, std::string_view reason) {
    const auto c = static_cast<std::uint16_t>(code);
    std::string out;
    out += static_cast<char>(c >> 8);
    out += static_cast<char>(c & 0xFF);
    out += reason.substr(0, 123);
    return out;
}

std::string accept_key(std::string_view client_key) {
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string input(client_key);
    input += guid;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_size = 0;
    EVP_Digest(input.data(), input.size(), digest, &digest_size, EVP_sha1(), nullptr);
    unsigned char b64[64];
    const int n = EVP_EncodeBlock(b64, digest, static_cast<int>(digest_size));
    return std::string(reinterpret_cast<const char*>(b64), static_cast<std::size_t>(n));
}

bool is_valid_close_payload(std::string_view payload) {
    if (payload.empty()) return true;
    if (payload.size() < 2) return false;
    const unsigned code = (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

} // namespace peddlenet::server::ws
