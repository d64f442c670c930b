// ws_reader.hpp: a client's bytes, in whatever pieces TCP delivers them, to WebSocket messages
// and control frames, or to the protocol error that ends the connection. Socket-free, so the
// fuzzer drives exactly what the server runs.
// Needs: server/ws_frame.hpp (header parsing, unmasking).
//  [X] frames parsed and unmasked in place in the caller's read buffer; only the tail of an
//      incomplete frame is kept between reads, and an idle reader owns no buffer
//  [X] fragmented messages reassembled, bounded by the message limit as they grow
//  [X] errors: a bad header, a frame or message over the limit, a continuation without a start,
//      a new message inside a fragmented one; after one, the reader yields nothing more
//  [ ] UTF-8 of text messages: the signaling parser checks it (protocol::parse_client)
#pragma once

#include "server/ws_frame.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace peddlenet::server::ws {

struct ReadEvent {
    enum class Kind : std::uint8_t { message, ping, pong, close, error };
    Kind kind = Kind::message;
    Opcode opcode = Opcode::text; // message: text or binary
    // message, ping, pong, close: the unmasked payload; valid until the next call of next() or
    // end_read()
    std::string_view payload;
    CloseCode error = CloseCode::protocol_error; // error: protocol_error or too_big
    const char* why = "";                        // error: for logs and the close frame
};

class Reader {
public:
    // Messages (all fragments together) and single frames larger than this are an error.
    explicit Reader(std::size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

    // Starts on newly received bytes, which it may unmask in place. Call next() until it returns
    // nullopt (or the caller stops), then end_read().
    void receive(std::uint8_t* data, std::size_t size);
    // The next complete frame or message of this read; nullopt when more bytes are needed or
    // after an error.
    std::optional<ReadEvent> next();
    // Keeps the unconsumed tail for the next read (or, with keep = false, drops all input held).
    void end_read(bool keep = true);
    // Frees every buffer (the connection ended).
    void reset();

    bool failed() const { return failed_; }
    bool in_message() const { return in_message_; }
    // Heap bytes held between reads (an idle reader holds none).
    std::size_t held_bytes() const { return heap_bytes(pending_) + heap_bytes(message_); }

private:
    static std::size_t heap_bytes(const std::string& s) {
        return s.capacity() > std::string().capacity() ? s.capacity() : 0;
    }
    ReadEvent fail(CloseCode code, const char* why);

    std::size_t max_message_bytes_;
    std::string pending_;  // bytes of an incomplete frame, between reads
    std::string message_;  // fragments of a message being assembled
    std::uint8_t* read_ = nullptr; // the current read's bytes (pending_ or the caller's buffer)
    std::size_t read_size_ = 0;
    std::size_t used_ = 0;       // bytes of the current read consumed
    bool read_is_pending_ = false;
    bool yielded_assembled_ = false; // the last event viewed message_
    Opcode message_op_ = Opcode::text;
    bool in_message_ = false;
    bool failed_ = false;
};

} // namespace peddlenet::server::ws
