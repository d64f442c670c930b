// ws_frame.hpp: RFC 6455 framing for the server side, written for our needs: frames are parsed
// in place from one shared read buffer, so an idle connection owns no buffer at all, and
// outgoing headers are built beside (not copied into) the payload.
// Needs: OpenSSL (SHA-1 and base64 for the handshake's accept key).
//  [X] header parsing with every MUST of RFC 6455 5.2: reserved bits, opcodes, masked client
//      frames, control frames short and unfragmented
//  [X] in-place unmasking, a word at a time
//  [X] unmasked server headers of 2, 4 or 10 bytes
//  [X] Sec-WebSocket-Accept
//  [ ] permessage-deflate: left out on purpose (memory per connection; signals are small)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace peddlenet::server::ws {

enum class Opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

// Close codes we send (RFC 6455 7.4.1).
enum class CloseCode : std::uint16_t {
    normal = 1000,
    going_away = 1001,
    protocol_error = 1002,
    invalid_payload = 1007, // text that is not UTF-8
    policy = 1008,
    too_big = 1009,
    internal_error = 1011, // the server cannot go on with this connection (no randomness)
    try_again_later = 1013,
    replaced = 4001, // application range: another socket joined as this peer
};

struct FrameHeader {
    bool fin = false;
    Opcode opcode = Opcode::text;
    std::array<std::uint8_t, 4> mask{};
    std::uint64_t length = 0;    // payload bytes
    std::size_t header_size = 0; // bytes before the payload
};

enum class HeaderStatus { need_more, ok, bad };

struct HeaderResult {
    HeaderStatus status = HeaderStatus::need_more;
    FrameHeader header;
    const char* why = ""; // for HeaderStatus::bad
};

// Parses the header of a client-to-server frame at the start of [data, data + size).
HeaderResult parse_header(const std::uint8_t* data, std::size_t size);

// XORs the payload with the masking key in place.
void unmask(std::uint8_t* data, std::size_t size, const std::array<std::uint8_t, 4>& key);

// Largest header a server frame needs.
inline constexpr std::size_t max_server_header = 10;

// Writes an unmasked, final frame header into `out`; returns its size (2, 4 or 10).
std::size_t write_header(std::uint8_t* out, Opcode opcode, std::uint64_t length);

// Payload of a close frame: the code in network order, then a UTF-8 reason (<= 123 bytes).
std::string close_payload(CloseCode code, std::string_view reason);

// A close frame's payload as RFC 6455 7.4 allows it from a peer: empty, or a code a peer may send
// (1000-1003, 1007-1014, 3000-4999; never 1005, 1006 or 1015, which mean "no frame") and a reason.
bool is_valid_close_payload(std::string_view payload);

// Sec-WebSocket-Accept for a Sec-WebSocket-Key.
std::string accept_key(std::string_view client_key);

} // namespace peddlenet::server::ws
