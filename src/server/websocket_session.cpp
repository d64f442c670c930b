// websocket_session.cpp: see websocket_session.hpp.
// Design notes
// - WebSocket framing is our own (ws_frame.hpp) on top of Asio; Beast does HTTP. A plain idle
//   connection then owns no buffer at all: it waits for readability and reads into one buffer
//   shared by every connection. Frames are parsed and unmasked in place there, and answers
//   are written at once when the socket can take them (no queue, no allocation besides the
//   payload). Only what the kernel refuses is queued, up to Limits::max_queue_bytes.
// - A connection ends in one place (teardown(), run from its read handler), never from inside
//   the room model, which may be iterating members when it hands a frame to a connection.
#include "server/websocket_session.hpp"

#include "server/log.hpp"
#include "server/turn_credentials.hpp"

#include <span>

namespace peddlenet::server {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using protocol::ErrorCode;

namespace {

// Per-connection read buffer for TLS connections only (one TLS record is at most 16 KiB).
constexpr std::size_t tls_read_bytes = 16 * 1024;
// Time a peer gets to answer our close frame before we drop the TCP connection.
constexpr auto close_timeout = std::chrono::seconds(2);
// At most one `rate-limited` error per this period per connection: answering every dropped
// message would let a flooding client amplify through us.
constexpr auto rate_error_period = std::chrono::seconds(1);

std::string to_string(Clock::duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

} // namespace

WebSocketSession::WebSocketSession(SharedState& state)
    : state_(state), reader_(state.limits.max_frame_bytes),
      bucket_(state.limits.rate_burst, state.now), last_activity_(state.now) {}

void WebSocketSession::deliver(std::string frame) { send(ws::Opcode::text, std::move(frame)); }

void WebSocketSession::replaced() {
    send_error({ErrorCode::replaced, "another connection joined with this peer id"});
    begin_close(ws::CloseCode::replaced, "replaced");
}

void WebSocketSession::sweep(Clock::time_point now) {
    if (phase_ == Phase::closing) {
        if (now - last_activity_ > close_timeout) break_connection();
        return;
    }
    if (phase_ != Phase::open) return;
    const auto idle = now - last_activity_;
    if (idle > 2 * limits().idle_timeout) {
        log::write(log::Level::debug, "ws-idle-timeout", {{"idle_ms", to_string(idle)}});
        break_connection();
    } else if (idle > limits().idle_timeout && !ping_sent_) {
        ping_sent_ = true;
        send(ws::Opcode::ping, {});
    }
    if (turn_ && now >= turn_->renew_at) send_ice_servers(turn_->peer);
}

void WebSocketSession::stop() {
    send_error({ErrorCode::shutting_down, "the server is stopping"});
    begin_close(ws::CloseCode::going_away, "server stopping");
}

void WebSocketSession::start(std::string_view early_bytes) {
    state_.ws_sessions.add(this);
    ++state_.metrics.connections;
    ++state_.metrics.connections_total;
    const std::size_t cap = state_.limits.max_connections;
    if (state_.metrics.connections > cap) {
        send_error({ErrorCode::server_full, "the server holds its maximum of " +
                                                std::to_string(cap) + " connections"});
        begin_close(ws::CloseCode::try_again_later, "server full");
        discard_input_ = true;
        return;
    }
    // The challenge is the first frame: a join can only sign a nonce it has seen.
    if (!make_nonce(nonce_)) {
        log::write(log::Level::error, "ws-no-randomness");
        return fail_connection(ws::CloseCode::internal_error, "no randomness");
    }
    send(ws::Opcode::text, protocol::build_challenge(nonce_text(nonce_)));
    if (!early_bytes.empty()) {
        std::string copy(early_bytes); // frames sent right behind the handshake
        process(reinterpret_cast<std::uint8_t*>(copy.data()), copy.size());
    }
}

void WebSocketSession::teardown() {
    if (phase_ == Phase::closed) return;
    phase_ = Phase::closed;
    const bool member = in_room();
    state_.rooms->disconnect(*this, state_.now);
    if (member) state_.schedule_grace();
    state_.ws_sessions.remove(this);
    --state_.metrics.connections;
    close_transport();
    reader_.reset();
    std::vector<OutFrame>().swap(queue_);
}

void WebSocketSession::process(std::uint8_t* data, std::size_t n) {
    if (phase_ == Phase::open) {
        last_activity_ = state_.now;
        ping_sent_ = false;
    }
    if (discard_input_) return;
    reader_.receive(data, n);
    while (!finished() && !discard_input_) {
        const std::optional<ws::ReadEvent> e = reader_.next();
        if (!e) break;
        on_event(*e);
    }
    reader_.end_read(!finished() && !discard_input_);
}

void WebSocketSession::account_written(std::size_t n) {
    queued_bytes_ -= n;
    while (n > 0 && !queue_.empty()) {
        const std::size_t left = queue_.front().size() - head_offset_;
        if (n < left) {
            head_offset_ += n;
            return;
        }
        n -= left;
        head_offset_ = 0;
        queue_.erase(queue_.begin());
    }
}

void WebSocketSession::send(ws::Opcode op, std::string payload) {
    if (finished() || close_sent_) return; // nothing may follow our close frame
    OutFrame f;
    f.header_size = static_cast<std::uint8_t>(
        ws::write_header(f.header.data(), op, payload.size()));
    f.payload = std::move(payload);
    if (op == ws::Opcode::close) close_sent_ = true;
    const bool attempted = queue_.empty() && !writing_;
    if (attempted) {
        head_offset_ = 0;
        if (write_now(f)) {
            if (op == ws::Opcode::close) on_flushed();
            return;
        }
        if (finished()) return;
    }
    // write_now() may have written part of the frame; head_offset_ records how much.
    queued_bytes_ += f.size() - (attempted ? head_offset_ : 0);
    if (queued_bytes_ > limits().max_queue_bytes) {
        ++state_.metrics.slow_clients_dropped;
        log::write(log::Level::info, "ws-slow-client-dropped",
                   {{"queued_bytes", std::to_string(queued_bytes_)}});
        break_connection();
        return;
    }
    queue_.push_back(std::move(f));
    if (!writing_) flush();
}

void WebSocketSession::send_error(const protocol::Problem& p) {
    state_.metrics.count_error(p.code);
    send(ws::Opcode::text, protocol::build_error(p.code, p.message));
}

void WebSocketSession::begin_close(ws::CloseCode code, std::string_view reason) {
    if (phase_ != Phase::open) return;
    send(ws::Opcode::close, ws::close_payload(code, reason));
    phase_ = Phase::closing;
    last_activity_ = state_.now;
}

void WebSocketSession::fail_connection(ws::CloseCode code, const char* why) {
    log::write(log::Level::debug, "ws-protocol-error", {{"why", why}});
    begin_close(code, why);
    discard_input_ = true;
}

void WebSocketSession::too_large() {
    send_error({ErrorCode::too_large, "messages are limited to " +
                                          std::to_string(limits().max_frame_bytes) +
                                          " bytes"});
    fail_connection(ws::CloseCode::too_big, "message too big");
}

void WebSocketSession::on_event(const ws::ReadEvent& e) {
    switch (e.kind) {
    case ws::ReadEvent::Kind::ping: send(ws::Opcode::pong, std::string(e.payload)); return;
    case ws::ReadEvent::Kind::pong: return;
    case ws::ReadEvent::Kind::close:
        if (phase_ == Phase::open) {
            // Echo the peer's code (RFC 6455 5.5.1), then end TCP once it is written. A code a
            // peer may not send (1005, 1006, 1015, unassigned) is answered with 1002 (7.4.1).
            close_after_flush_ = true;
            phase_ = Phase::closing;
            if (!ws::is_valid_close_payload(e.payload)) {
                send(ws::Opcode::close, ws::close_payload(ws::CloseCode::protocol_error, ""));
                return;
            }
            const std::size_t code_bytes = e.payload.size() >= 2 ? 2 : 0;
            send(ws::Opcode::close, std::string(e.payload.substr(0, code_bytes)));
        } else if (!queue_.empty()) {
            close_after_flush_ = true; // it crossed our close, which waits to be written
        } else {
            break_connection(); // the answer to our close
        }
        return;
    case ws::ReadEvent::Kind::message: return on_message(e.opcode, e.payload);
    case ws::ReadEvent::Kind::error:
        if (e.error == ws::CloseCode::too_big) return too_large();
        return fail_connection(e.error, e.why);
    }
}

void WebSocketSession::on_message(ws::Opcode op, std::string_view text) {
    if (phase_ != Phase::open) return;
    ++state_.metrics.messages_received;
    if (!bucket_.take(limits().rate_per_sec, limits().rate_burst, state_.now)) {
        if (state_.now - last_rate_error_ >= rate_error_period) {
            last_rate_error_ = state_.now;
            send_error({ErrorCode::rate_limited,
                        "more than " + std::to_string(static_cast<long>(limits().rate_per_sec)) +
                            " messages per second; some were dropped"});
        }
        return;
    }
    if (op == ws::Opcode::binary)
        return send_error({ErrorCode::bad_type, "binary frames are not part of protocol v" +
                                                    std::to_string(protocol::version)});
    auto parsed = protocol::parse_client(text);
    if (!parsed.ok()) {
        send_error(parsed.problem);
        // RFC 6455 8.1: text that is not UTF-8 fails the connection.
        if (parsed.problem.code == ErrorCode::bad_utf8)
            fail_connection(ws::CloseCode::invalid_payload, "invalid UTF-8");
        return;
    }
    std::visit([this](auto& m) { on(m); }, *parsed.value);
}

void WebSocketSession::on(protocol::Join& m) {
    // Proof first: only the holder of `peer`'s key, answering this connection's challenge,
    // may join (or replace a socket) as `peer`.
    if (auto p = check_join_proof(nonce_text(nonce_), m)) return send_error(*p);
    // Before `joined`: the links the client opens on it may need the relay.
    if (state_.config.turn_port) send_ice_servers(m.peer);
    SessionId session;
    if (!make_session(session)) {
        log::write(log::Level::error, "ws-no-randomness");
        return fail_connection(ws::CloseCode::internal_error, "no randomness");
    }
    if (auto p = state_.rooms->join(*this, m, session)) send_error(*p);
}

void WebSocketSession::on(protocol::Signal& m) {
    if (auto p = state_.rooms->signal(*this, m)) send_error(*p);
}

void WebSocketSession::on(protocol::Leave&) {
    if (auto p = state_.rooms->leave(*this)) send_error(*p);
}

void WebSocketSession::on(protocol::Ping&) { send(ws::Opcode::text, protocol::build_pong()); }

void WebSocketSession::send_ice_servers(const std::string& peer) {
    const Config& config = state_.config;
    net::ip::address address = local_address();
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        address = net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6());
    const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
    const std::string base = "turn:" + host + ":" + std::to_string(config.turn_port);
    const std::array<std::string, 2> urls{base + "?transport=udp", base + "?transport=tcp"};
    const auto now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    const TurnCredential c = make_turn_credential(config.turn_secret, peer, now_unix, config.turn_ttl);
    send(ws::Opcode::text,
         protocol::build_ice_servers(urls, c.username, c.credential, c.expires_unix));
    if (!turn_) turn_ = std::make_unique<TurnRenewal>();
    turn_->peer = peer;
    turn_->renew_at = state_.now + config.turn_ttl * 4 / 5;
}

// [SECTION] transports -------------------------------------------------------------------------

namespace {

class PlainWsSession final : public WebSocketSession, public std::enable_shared_from_this<PlainWsSession> {
public:
    PlainWsSession(SharedState& state, tcp::socket socket)
        : WebSocketSession(state), socket_(std::move(socket)) {}
    ~PlainWsSession() { teardown(); }

    void run(std::string_view early_bytes) {
        beast::error_code ec;
        socket_.non_blocking(true, ec);
        start(early_bytes);
        if (finished()) return teardown();
        wait();
    }

private:
    net::ip::address local_address() const override {
        beast::error_code ec;
        return socket_.local_endpoint(ec).address();
    }
    void wait() {
        socket_.async_wait(tcp::socket::wait_read,
                           beast::bind_front_handler(&PlainWsSession::on_readable, shared_from_this()));
    }

    void on_readable(beast::error_code ec) {
        if (ec || finished()) return teardown();
        state_.now = Clock::now();
        const std::size_t n = socket_.read_some(net::buffer(state_.scratch), ec);
        if (ec == net::error::would_block) return wait();
        if (ec) return teardown(); // EOF or reset
        process(state_.scratch.data(), n);
        if (finished()) return teardown();
        wait();
    }

    bool write_now(OutFrame& f) override {
        const std::array<net::const_buffer, 2> bufs = {
            net::const_buffer(f.header.data(), f.header_size),
            net::const_buffer(f.payload.data(), f.payload.size())};
        beast::error_code ec;
        const std::size_t n = socket_.write_some(bufs, ec);
        if (ec && ec != net::error::would_block) {
            break_connection();
            return true;
        }
        if (n == f.size()) return true;
        head_offset_ = n;
        return false;
    }

    void flush() override {
        while (!queue_.empty()) {
            std::array<net::const_buffer, 64> bufs;
            const std::size_t k = gather(bufs);
            beast::error_code ec;
            const std::size_t n =
                socket_.write_some(std::span<const net::const_buffer>(bufs.data(), k), ec);
            if (ec == net::error::would_block) break;
            if (ec) return break_connection();
            account_written(n);
        }
        if (queue_.empty()) {
            std::vector<OutFrame>().swap(queue_);
            return on_flushed();
        }
        writing_ = true;
        socket_.async_wait(tcp::socket::wait_write, [self = shared_from_this()](beast::error_code ec) {
            self->writing_ = false;
            if (ec || self->finished()) return;
            self->flush();
        });
    }

    void close_transport() override {
        beast::error_code ec;
        socket_.close(ec);
    }

    tcp::socket socket_;
};

// TLS: a per-connection read buffer and Asio's composed writes (TLS is for phones, not for
// the 20k-connection case).
class TlsWsSession final : public WebSocketSession, public std::enable_shared_from_this<TlsWsSession> {
public:
    TlsWsSession(SharedState& state, TlsStream stream)
        : WebSocketSession(state), stream_(std::move(stream)),
          buf_(std::make_unique<std::uint8_t[]>(tls_read_bytes)) {}
    ~TlsWsSession() { teardown(); }

    void run(std::string_view early_bytes) {
        start(early_bytes);
        if (finished()) return teardown();
        read();
    }

private:
    net::ip::address local_address() const override {
        beast::error_code ec;
        return beast::get_lowest_layer(stream_).socket().local_endpoint(ec).address();
    }
    void read() {
        stream_.async_read_some(
            net::buffer(buf_.get(), tls_read_bytes),
            beast::bind_front_handler(&TlsWsSession::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t n) {
        if (ec || finished()) return teardown();
        state_.now = Clock::now();
        process(buf_.get(), n);
        if (finished()) return teardown();
        read();
    }

    bool write_now(OutFrame&) override { return false; }

    void flush() override {
        if (writing_ || queue_.empty()) return;
        writing_ = true;
        std::array<net::const_buffer, 64> bufs;
        const std::size_t k = gather(bufs);
        out_bufs_.assign(bufs.begin(), bufs.begin() + static_cast<std::ptrdiff_t>(k));
        net::async_write(stream_, out_bufs_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                             self->writing_ = false;
                             self->out_bufs_.clear();
                             if (ec || self->finished()) return self->break_connection();
                             self->account_written(n);
                             if (self->queue_.empty()) return self->on_flushed();
                             self->flush();
                         });
    }

    void close_transport() override {
        beast::error_code ec;
        beast::get_lowest_layer(stream_).socket().close(ec);
    }

    TlsStream stream_;
    std::unique_ptr<std::uint8_t[]> buf_;
    std::vector<net::const_buffer> out_bufs_; // buffers of the write in flight
};

} // namespace

void start_websocket(SharedState& state, tcp::socket socket, std::string_view early_bytes) {
    std::make_shared<PlainWsSession>(state, std::move(socket))->run(early_bytes);
}

void start_websocket(SharedState& state, TlsStream stream, std::string_view early_bytes) {
    std::make_shared<TlsWsSession>(state, std::move(stream))->run(early_bytes);
}

} // namespace peddlenet::server
