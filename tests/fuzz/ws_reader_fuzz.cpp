// ws_reader_fuzz.cpp: the server's WebSocket reader (server/ws_reader.hpp) on hostile bytes.
// Two modes, chosen by the first byte:
//  - raw bytes, delivered in pieces the input chooses: the events must not depend on how TCP
//    split the stream (each piece count gives the same events as one read), a message never
//    exceeds the limit, nothing follows an error, and an idle reader owns no buffer;
//  - frames the input describes (opcode, FIN, length encoding, payload), masked with the
//    input's key: the reader's events must equal those of a model written from RFC 6455 5.2-5.5.
#include "fuzz/fuzz_check.hpp"
#include "server/ws_reader.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>
#include <vector>

using namespace peddlenet::server::ws;

namespace {

// An event in comparable form.
struct Seen {
    ReadEvent::Kind kind;
    Opcode opcode;
    std::string payload;
    CloseCode error;
    bool operator==(const Seen&) const = default;
};

Seen seen(const ReadEvent& e) {
    const bool has_payload = e.kind != ReadEvent::Kind::error;
    const bool has_opcode = e.kind == ReadEvent::Kind::message;
    return {e.kind, has_opcode ? e.opcode : Opcode::text,
            has_payload ? std::string(e.payload) : std::string(),
            e.kind == ReadEvent::Kind::error ? e.error : CloseCode::normal};
}

// Feeds `bytes` to a fresh reader split at `cuts` (sizes of the pieces; the rest in one piece).
// `idle_at_end`: set to whether the reader held nothing afterwards.
std::vector<Seen> read_all(const std::string& bytes, const std::vector<std::size_t>& cuts,
                           std::size_t limit, bool* idle_at_end = nullptr) {
    Reader reader(limit);
    std::vector<Seen> events;
    std::size_t at = 0;
    auto feed = [&](std::size_t n) {
        // A fresh buffer per read, as the server's shared read buffer is reused between reads.
        std::vector<std::uint8_t> piece(bytes.begin() + static_cast<long>(at),
                                        bytes.begin() + static_cast<long>(at + n));
        at += n;
        reader.receive(piece.data(), piece.size());
        while (auto e = reader.next()) {
            FUZZ_CHECK(events.empty() || events.back().kind != ReadEvent::Kind::error);
            if (e->kind == ReadEvent::Kind::message) FUZZ_CHECK(e->payload.size() <= limit);
            if (e->kind == ReadEvent::Kind::ping || e->kind == ReadEvent::Kind::pong ||
                e->kind == ReadEvent::Kind::close)
                FUZZ_CHECK(e->payload.size() <= 125);
            events.push_back(seen(*e));
        }
        reader.end_read();
    };
    for (std::size_t cut : cuts) feed(std::min(cut, bytes.size() - at));
    feed(bytes.size() - at);
    if (reader.failed()) FUZZ_CHECK(reader.held_bytes() == 0);
    if (idle_at_end) *idle_at_end = !reader.in_message() && reader.held_bytes() == 0;
    reader.reset();
    FUZZ_CHECK(reader.held_bytes() == 0);
    return events;
}

// RFC 6455 as a model: what a server must make of a sequence of frames.
struct ModelFrame {
    std::uint8_t opcode;
    bool fin;
    int length_form; // 0: 7-bit (when it fits), 1: 16-bit, 2: 64-bit
    std::string payload;
};

std::vector<Seen> model(const std::vector<ModelFrame>& frames, std::size_t limit) {
    std::vector<Seen> out;
    bool in_message = false;
    Opcode message_op = Opcode::text;
    std::string message;
    auto error = [&](CloseCode c) { out.push_back({ReadEvent::Kind::error, Opcode::text, "", c}); };
    for (const ModelFrame& f : frames) {
        const bool known = f.opcode <= 2 || (f.opcode >= 8 && f.opcode <= 10);
        if (!known) return error(CloseCode::protocol_error), out;
        const bool control = f.opcode >= 8;
        if (control && (!f.fin || f.payload.size() > 125))
            return error(CloseCode::protocol_error), out;
        if (f.payload.size() > limit) return error(CloseCode::too_big), out;
        if (control) {
            const auto kind = f.opcode == 8   ? ReadEvent::Kind::close
                              : f.opcode == 9 ? ReadEvent::Kind::ping
                                              : ReadEvent::Kind::pong;
            out.push_back({kind, Opcode::text, f.payload, CloseCode::normal});
        } else if (f.opcode != 0) {
            if (in_message) return error(CloseCode::protocol_error), out;
            if (f.fin) {
                out.push_back({ReadEvent::Kind::message, static_cast<Opcode>(f.opcode), f.payload,
                               CloseCode::normal});
            } else {
                in_message = true;
                message_op = static_cast<Opcode>(f.opcode);
                message = f.payload;
            }
        } else {
            if (!in_message) return error(CloseCode::protocol_error), out;
            if (message.size() + f.payload.size() > limit) return error(CloseCode::too_big), out;
            message += f.payload;
            if (f.fin) {
                in_message = false;
                out.push_back({ReadEvent::Kind::message, message_op, message, CloseCode::normal});
            }
        }
    }
    return out;
}

// A client frame on the wire: masked with `key`.
std::string encode(const ModelFrame& f, const std::uint8_t key[4]) {
    std::string out;
    out += static_cast<char>((f.fin ? 0x80 : 0) | f.opcode);
    const std::size_t n = f.payload.size();
    int form = f.length_form;
    if (form == 0 && n > 125) form = 1;
    if (form == 1 && n > 0xFFFF) form = 2;
    if (form == 0) {
        out += static_cast<char>(0x80 | n);
    } else if (form == 1) {
        out += static_cast<char>(0x80 | 126);
        out += static_cast<char>(n >> 8);
        out += static_cast<char>(n & 0xFF);
    } else {
        out += static_cast<char>(0x80 | 127);
        for (int i = 7; i >= 0; --i) out += static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xFF);
    }
    for (int i = 0; i < 4; ++i) out += static_cast<char>(key[i]);
    for (std::size_t i = 0; i < n; ++i) out += static_cast<char>(f.payload[i] ^ key[i % 4]);
    return out;
}

std::vector<std::size_t> pick_cuts(FuzzedDataProvider& in) {
    std::vector<std::size_t> cuts(in.ConsumeIntegralInRange<std::size_t>(0, 8));
    for (std::size_t& c : cuts) c = in.ConsumeIntegralInRange<std::size_t>(0, 64);
    return cuts;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const bool described = in.ConsumeBool();
    const std::size_t limit = in.ConsumeIntegralInRange<std::size_t>(1, 300);
    const std::vector<std::size_t> cuts = pick_cuts(in);

    if (!described) {
        const std::string bytes = in.ConsumeRemainingBytesAsString();
        const std::vector<Seen> whole = read_all(bytes, {}, limit);
        FUZZ_CHECK(read_all(bytes, cuts, limit) == whole);
        // One byte at a time, the worst split TCP can make.
        if (bytes.size() <= 512)
            FUZZ_CHECK(read_all(bytes, std::vector<std::size_t>(bytes.size(), 1), limit) == whole);
        return 0;
    }

    std::uint8_t key[4];
    for (auto& k : key) k = in.ConsumeIntegral<std::uint8_t>();
    std::vector<ModelFrame> frames;
    std::string wire;
    while (in.remaining_bytes() > 0 && frames.size() < 32) {
        ModelFrame f;
        const std::uint8_t head = in.ConsumeIntegral<std::uint8_t>();
        f.opcode = head & 0x0F;
        f.fin = head & 0x80;
        f.length_form = (head >> 4) % 3;
        f.payload = in.ConsumeRandomLengthString(400);
        wire += encode(f, key);
        frames.push_back(std::move(f));
    }
    const std::vector<Seen> expected = model(frames, limit);
    bool idle = false;
    FUZZ_CHECK(read_all(wire, cuts, limit, &idle) == expected);
    // The input ended on a frame boundary: outside a fragmented message nothing may stay held.
    const bool ended_in_message = [&] {
            bool open = false;
            for (const ModelFrame& f : frames)
                if (f.opcode == 1 || f.opcode == 2) open = !f.fin;
                else if (f.opcode == 0 && f.fin) open = false;
            return open;
        }();
    const bool failed = !expected.empty() && expected.back().kind == ReadEvent::Kind::error;
    if (!failed && !ended_in_message && frames.size() > 0) FUZZ_CHECK(idle);
    return 0;
}
