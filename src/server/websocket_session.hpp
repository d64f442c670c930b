// websocket_session.hpp: a signaling connection after the HTTP upgrade. WebSocketSession is its
// state machine (framing, the write queue, pings and timeouts, the close handshake, the rate
// limit, the message dispatcher) over an abstract transport; the plain and TLS transports are in
// websocket_session.cpp, and the unit tests drive the state machine over an in-memory one.
// Needs: server/shared_state.hpp, server/ws_reader.hpp, server/ws_frame.hpp,
// server/rate_limiter.hpp, server/join_auth.hpp.
//  [X] the challenge is the first frame; frames sent right behind the handshake are handled
//  [X] answers are written at once when the socket takes them; only the rest is queued, and a
//      connection whose queue passes Limits::max_queue_bytes is dropped
//  [X] idle: ping after Limits::idle_timeout, close after twice that; an unanswered close ends
//      TCP after close_timeout
//  [X] a connection ends in one place (teardown()), never from inside the room model
#pragma once

#include "server/join_auth.hpp"
#include "server/rate_limiter.hpp"
#include "server/room_model.hpp"
#include "server/shared_state.hpp"
#include "server/ws_frame.hpp"
#include "server/ws_reader.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace peddlenet::server {

// One frame waiting to be written: its header inline, its payload owned.
struct OutFrame {
    std::string payload;
    std::array<std::uint8_t, ws::max_server_header> header{};
    std::uint8_t header_size = 0;
    std::size_t size() const { return header_size + payload.size(); }
};

// Everything about a WebSocket connection except the transport (plain or TLS).
class WebSocketSession : public Outlet, public Tracked {
public:
    explicit WebSocketSession(SharedState& state);

    // Outlet: called by the room model.
    void deliver(std::string frame) override;
    void replaced() override;

    // Tracked
    void sweep(Clock::time_point now) override;
    void stop() override;

protected:
    enum class Phase : std::uint8_t { open, closing, closed };

    const Limits& limits() const { return state_.limits; }

    // Registers the connection; a full server answers `server-full` and closes (1013).
    void start(std::string_view early_bytes);

    // Transport hooks.
    virtual void flush() = 0;           // write queue_ (and keep writing until it is empty)
    virtual void close_transport() = 0; // close the socket; pending operations complete
    // Returns true when `frame` was written whole at once (or the connection broke); false
    // when the rest must be queued, with head_offset_ set to the bytes already written.
    virtual bool write_now(OutFrame& frame) = 0;
    // The address of our end of this connection.
    virtual boost::asio::ip::address local_address() const = 0;

    // Ends the connection: room membership (with grace), gauges, list. Idempotent.
    void teardown();

    bool finished() const { return broken_ || phase_ == Phase::closed; }

    // Handles every complete frame in [data, data + n) (after bytes kept from earlier reads).
    void process(std::uint8_t* data, std::size_t n);

    // Marks `n` more bytes of queue_ as written.
    void account_written(std::size_t n);

    // Buffers for the unwritten part of queue_ (at most N / 2 frames).
    template <std::size_t N>
    std::size_t gather(std::array<boost::asio::const_buffer, N>& bufs) const {
        std::size_t k = 0;
        for (std::size_t i = 0; i < queue_.size() && k + 2 <= N; ++i) {
            const OutFrame& f = queue_[i];
            std::size_t skip = i == 0 ? head_offset_ : 0;
            if (skip < f.header_size)
                bufs[k++] = boost::asio::const_buffer(f.header.data() + skip, f.header_size - skip);
            skip = skip > f.header_size ? skip - f.header_size : 0;
            if (skip < f.payload.size())
                bufs[k++] = boost::asio::const_buffer(f.payload.data() + skip, f.payload.size() - skip);
        }
        return k;
    }

    // After the queue drained: an answered close ends the TCP connection.
    void on_flushed() {
        if (close_after_flush_) break_connection();
    }

    // Stops the connection now; the read handler then runs teardown().
    void break_connection() {
        broken_ = true;
        close_transport();
    }

    SharedState& state_;
    std::vector<OutFrame> queue_;  // unsent frames; the first may be partly written
    std::size_t head_offset_ = 0;  // bytes of queue_.front() already written
    std::size_t queued_bytes_ = 0; // unsent bytes in queue_
    bool writing_ = false;         // a wait-for-writable or async write is in flight
    Phase phase_ = Phase::open;

private:
    void send(ws::Opcode op, std::string payload);
    void send_error(const protocol::Problem& p);
    // Server-initiated close: send the close frame, then wait (close_timeout) for the answer.
    void begin_close(ws::CloseCode code, std::string_view reason);
    // Protocol violation: close with a code, ignore whatever else arrives.
    void fail_connection(ws::CloseCode code, const char* why);
    void too_large();
    void on_event(const ws::ReadEvent& e);

    // The one dispatcher: one handler per message type.
    void on_message(ws::Opcode op, std::string_view text);
    void on(protocol::Join& m);
    void on(protocol::Signal& m);
    void on(protocol::Leave&);
    void on(protocol::Ping&);

    // The TURN server on this box (scripts/run.sh --turn), at the address this phone reached us
    // by, with credentials for `peer`; again from sweep() when four fifths of their time is up.
    void send_ice_servers(const std::string& peer);

    ws::Reader reader_;
    TokenBucket bucket_;
    Nonce nonce_{}; // this connection's challenge, raw (32 bytes inline, no heap)
    Clock::time_point last_activity_;   // last read (open) or when our close frame went out
    Clock::time_point last_rate_error_{};
    bool ping_sent_ = false;
    // Only with --turn-port: whose TURN credentials this connection was given, and when to renew.
    struct TurnRenewal {
        std::string peer;
        Clock::time_point renew_at;
    };
    std::unique_ptr<TurnRenewal> turn_;
    bool close_sent_ = false;
    bool close_after_flush_ = false;
    bool discard_input_ = false;
    bool broken_ = false;
};

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// Starts a WebSocket session on a socket whose upgrade was just answered; `early_bytes` were
// read past the HTTP request.
void start_websocket(SharedState& state, boost::asio::ip::tcp::socket socket,
                     std::string_view early_bytes);
void start_websocket(SharedState& state, TlsStream stream, std::string_view early_bytes);

} // namespace peddlenet::server
