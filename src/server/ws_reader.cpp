// ws_reader.cpp: see ws_reader.hpp.
#include "server/ws_reader.hpp"

namespace peddlenet::server::ws {

void Reader::receive(std::uint8_t* data, std::size_t size) {
    used_ = 0;
    read_is_pending_ = !pending_.empty();
    if (failed_) {
        read_ = nullptr;
        read_size_ = 0;
    } else if (read_is_pending_) {
        pending_.append(reinterpret_cast<const char*>(data), size);
        read_ = reinterpret_cast<std::uint8_t*>(pending_.data());
        read_size_ = pending_.size();
    } else {
        read_ = data;
        read_size_ = size;
    }
}

ReadEvent Reader::fail(CloseCode code, const char* why) {
    failed_ = true;
    // The connection is over: a fragment being assembled is not kept until teardown.
    std::string().swap(message_);
    in_message_ = false;
    ReadEvent e;
    e.kind = ReadEvent::Kind::error;
    e.error = code;
    e.why = why;
    return e;
}

std::optional<ReadEvent> Reader::next() {
    if (yielded_assembled_) {
        yielded_assembled_ = false;
        std::string().swap(message_);
    }
    if (failed_) return std::nullopt;
    while (true) {
        const HeaderResult hr = parse_header(read_ + used_, read_size_ - used_);
        if (hr.status == HeaderStatus::need_more) return std::nullopt;
        if (hr.status == HeaderStatus::bad) return fail(CloseCode::protocol_error, hr.why);
        const FrameHeader& h = hr.header;
        if (h.length > max_message_bytes_) return fail(CloseCode::too_big, "message too big");
        if (read_size_ - used_ - h.header_size < h.length) return std::nullopt;
        std::uint8_t* payload = read_ + used_ + h.header_size;
        const auto len = static_cast<std::size_t>(h.length);
        unmask(payload, len, h.mask);
        used_ += h.header_size + len;
        const std::string_view bytes(reinterpret_cast<const char*>(payload), len);

        ReadEvent e;
        e.payload = bytes;
        switch (h.opcode) {
        case Opcode::ping: e.kind = ReadEvent::Kind::ping; return e;
        case Opcode::pong: e.kind = ReadEvent::Kind::pong; return e;
        case Opcode::close: e.kind = ReadEvent::Kind::close; return e;
        case Opcode::text:
        case Opcode::binary:
            if (in_message_)
                return fail(CloseCode::protocol_error, "new message inside a fragmented one");
            if (h.fin) {
                e.opcode = h.opcode;
                return e;
            }
            in_message_ = true;
            message_op_ = h.opcode;
            message_.assign(bytes);
            continue;
        case Opcode::continuation:
            if (!in_message_)
                return fail(CloseCode::protocol_error, "continuation without a start");
            if (message_.size() + len > max_message_bytes_)
                return fail(CloseCode::too_big, "message too big");
            message_.append(bytes);
            if (!h.fin) continue;
            in_message_ = false;
            yielded_assembled_ = true;
            e.opcode = message_op_;
            e.payload = message_;
            return e;
        }
        return fail(CloseCode::protocol_error, "unknown opcode"); // parse_header refuses these
    }
}

void Reader::end_read(bool keep) {
    if (failed_ || !keep) {
        std::string().swap(pending_);
    } else if (read_is_pending_) {
        pending_.erase(0, used_);
        if (pending_.empty()) std::string().swap(pending_); // idle sockets own no buffer
    } else if (used_ < read_size_) {
        pending_.assign(reinterpret_cast<const char*>(read_ + used_), read_size_ - used_);
    }
    read_ = nullptr;
    read_size_ = used_ = 0;
    read_is_pending_ = false;
}

void Reader::reset() {
    std::string().swap(pending_);
    std::string().swap(message_);
    in_message_ = false;
    yielded_assembled_ = false;
    read_ = nullptr;
    read_size_ = used_ = 0;
}

} // namespace peddlenet::server::ws
