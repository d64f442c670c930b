// server.cpp: see server.hpp.
// Index: [SECTION] plumbing, [SECTION] WebSocket session, [SECTION] HTTP session,
//        [SECTION] server (accept, sweep, grace, shutdown)
//
// Design notes
// - One io_context thread. Signaling is I/O bound and tiny per message; one thread needs no
//   locks or strands, and leaves the second core to the kernel's TCP work.
// - WebSocket framing is our own (ws_frame.hpp) on top of Asio; Beast does HTTP. A plain idle
//   connection then owns no buffer at all: it waits for readability and reads into one buffer
//   shared by every connection. Frames are parsed and unmasked in place there, and answers
//   are written at once when the socket can take them (no queue, no allocation besides the
//   payload). Only what the kernel refuses is queued, up to Limits::max_queue_bytes.
// - A connection ends in one place (teardown(), run from its read handler), never from inside
//   the room model, which may be iterating members when it hands a frame to a connection.
#include "server/server.hpp"

#include "server/frame_scanner.hpp"
#include "server/join_auth.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "server/rate_limiter.hpp"
#include "server/rooms.hpp"
#include "server/static_files.hpp"
#include "server/turn_credentials.hpp"
#include "server/ws_frame.hpp"
#include "server/ws_reader.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <span>
#include <stdexcept>

namespace peddlenet::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using protocol::ErrorCode;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// [SECTION] plumbing ---------------------------------------------------------------------------

namespace {

// Bytes read per readiness event; frames larger than this arrive over several reads.
constexpr std::size_t read_chunk_bytes = 64 * 1024;
// Per-connection read buffer for TLS connections only (one TLS record is at most 16 KiB).
constexpr std::size_t tls_read_bytes = 16 * 1024;
// HTTP request header bytes accepted; browsers send ~1 KiB.
constexpr std::uint32_t http_header_limit = 8 * 1024;
// Time a peer gets to answer our close frame before we drop the TCP connection.
constexpr auto close_timeout = std::chrono::seconds(2);
// Graceful stop: longest wait for clients to answer close frames after SIGTERM.
constexpr auto stop_timeout = std::chrono::seconds(3);
// Idle-ping, close-timeout and idle-timeout checks run at most this far apart (and at least
// four times per idle timeout, so the ping always precedes the close).
constexpr auto max_sweep_interval = std::chrono::milliseconds(1000);
constexpr auto min_sweep_interval = std::chrono::milliseconds(10);
// Pause before accepting again when out of file descriptors (the backlog keeps the client).
constexpr auto accept_retry = std::chrono::milliseconds(100);
// File descriptors kept back for static files, HTTP requests and the process itself when the
// connection limit defaults to the open-file limit.
constexpr std::size_t fd_reserve = 64;
// At most one `rate-limited` error per this period per connection: answering every dropped
// message would let a flooding client amplify through us.
constexpr auto rate_error_period = std::chrono::seconds(1);

std::string to_string(Clock::duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

// Intrusive list of live sessions: 16 bytes per session, O(1) unlink, used by the sweep and the
// graceful stop.
struct Tracked {
    Tracked* prev = nullptr;
    Tracked* next = nullptr;
    virtual void sweep(Clock::time_point now) = 0;
    virtual void stop() = 0;

protected:
    ~Tracked() = default;
};

class TrackedList {
public:
    void add(Tracked* t) {
        t->next = head_;
        t->prev = nullptr;
        if (head_) head_->prev = t;
        head_ = t;
        ++size_;
    }
    void remove(Tracked* t) {
        if (t->prev) t->prev->next = t->next;
        else head_ = t->next;
        if (t->next) t->next->prev = t->prev;
        t->prev = t->next = nullptr;
        --size_;
    }
    // `f` may remove the element it is given (but no other).
    template <class F> void for_each(F f) {
        for (Tracked* t = head_; t;) {
            Tracked* next = t->next;
            f(*t);
            t = next;
        }
    }
    std::size_t size() const { return size_; }

private:
    Tracked* head_ = nullptr;
    std::size_t size_ = 0;
};

template <class Body> void add_common_headers(http::response<Body>& res) {
    res.set(http::field::server, "peddlenet");
    // Cross-origin isolation gives the app 5 us performance.now() for latency figures.
    res.set("Cross-Origin-Opener-Policy", "same-origin");
    res.set("Cross-Origin-Embedder-Policy", "require-corp");
    res.set("X-Content-Type-Options", "nosniff");
}

} // namespace

// [SECTION] server state shared by the sessions ------------------------------------------------

class Server::Impl {
public:
    explicit Impl(Config config);
    void run();
    unsigned short port() const { return port_; }
    bool tls() const { return tls_.has_value(); }

    // Shared by the sessions (single thread: no locking).
    Config config_;
    const Limits& limits_ = config_.limits;
    std::optional<ssl::context> tls_;
    StaticFiles files_;
    Metrics metrics_;
    Rooms rooms_{limits_, metrics_};
    TrackedList ws_sessions_;
    TrackedList http_sessions_;
    std::vector<std::uint8_t> scratch_ = std::vector<std::uint8_t>(read_chunk_bytes);
    Clock::time_point now_ = Clock::now(); // refreshed on every read event
    bool stopping_ = false;
    // Declared after the state above: destroying it destroys pending handlers and with them
    // sessions, which still touch rooms_, metrics_ and the lists. Only this thread ever runs
    // it, so the reactor may skip its per-operation locking.
    net::io_context ioc_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};

    ~Impl() { stopping_ = true; } // sessions dying with ioc_ must not arm timers

    void on_disconnect(); // a member's socket closed: make sure grace expiry is scheduled

private:
    void do_accept();
    void on_accept(beast::error_code ec, tcp::socket socket);
    void do_sweep();
    void on_grace_timer();
    void stop();
    void wait_for_sessions(Clock::time_point deadline);

    tcp::acceptor acceptor_{ioc_};
    net::signal_set signals_{ioc_, SIGINT, SIGTERM};
    net::steady_timer sweep_timer_{ioc_};
    net::steady_timer grace_timer_{ioc_};
    net::steady_timer retry_timer_{ioc_};
    net::steady_timer stop_timer_{ioc_};
    bool grace_armed_ = false;
    unsigned short port_ = 0;
};

// [SECTION] WebSocket session ------------------------------------------------------------------

namespace {

struct OutFrame {
    std::string payload;
    std::array<std::uint8_t, ws::max_server_header> header{};
    std::uint8_t header_size = 0;
    std::size_t size() const { return header_size + payload.size(); }
};

// Everything about a WebSocket connection except the transport (plain or TLS).
class WsCore : public Outlet, public Tracked {
public:
    explicit WsCore(Server::Impl& server)
        : server_(server), reader_(server.limits_.max_frame_bytes),
          bucket_(server.limits_.rate_burst, server.now_),
          last_activity_(server.now_) {}

    // Outlet: called by the room model.
    void deliver(std::string frame) override { send(ws::Opcode::text, std::move(frame)); }
    void replaced() override {
        send_error({ErrorCode::replaced, "another connection joined with this peer id"});
        begin_close(ws::CloseCode::replaced, "replaced");
    }

    // Tracked
    void sweep(Clock::time_point now) override {
        if (state_ == State::closing) {
            if (now - last_activity_ > close_timeout) break_connection();
            return;
        }
        if (state_ != State::open) return;
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
    void stop() override {
        send_error({ErrorCode::shutting_down, "the server is stopping"});
        begin_close(ws::CloseCode::going_away, "server stopping");
    }

protected:
    enum class State : std::uint8_t { open, closing, closed };

    const Limits& limits() const { return server_.limits_; }

    // Registers the connection; a full server answers `server-full` and closes (1013).
    void start(std::string_view early_bytes) {
        server_.ws_sessions_.add(this);
        ++server_.metrics_.connections;
        ++server_.metrics_.connections_total;
        const std::size_t cap = server_.limits_.max_connections;
        if (server_.metrics_.connections > cap) {
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

    // Transport hooks.
    virtual void flush() = 0;           // write queue_ (and keep writing until it is empty)
    virtual void close_transport() = 0; // close the socket; pending operations complete

    // Ends the connection: room membership (with grace), gauges, list. Idempotent.
    void teardown() {
        if (state_ == State::closed) return;
        state_ = State::closed;
        const bool member = in_room();
        server_.rooms_.disconnect(*this, server_.now_);
        if (member) server_.on_disconnect();
        server_.ws_sessions_.remove(this);
        --server_.metrics_.connections;
        close_transport();
        reader_.reset();
        std::vector<OutFrame>().swap(queue_);
    }

    bool finished() const { return broken_ || state_ == State::closed; }

    // Handles every complete frame in [data, data + n) (after bytes kept from earlier reads).
    void process(std::uint8_t* data, std::size_t n) {
        if (state_ == State::open) {
            last_activity_ = server_.now_;
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

    // Bytes not yet written to the socket, across queue_.
    void account_written(std::size_t n) {
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

    // Buffers for the unwritten part of queue_ (at most max_frames frames).
    template <std::size_t N> std::size_t gather(std::array<net::const_buffer, N>& bufs) const {
        std::size_t k = 0;
        for (std::size_t i = 0; i < queue_.size() && k + 2 <= N; ++i) {
            const OutFrame& f = queue_[i];
            std::size_t skip = i == 0 ? head_offset_ : 0;
            if (skip < f.header_size)
                bufs[k++] = net::const_buffer(f.header.data() + skip, f.header_size - skip);
            skip = skip > f.header_size ? skip - f.header_size : 0;
            if (skip < f.payload.size())
                bufs[k++] = net::const_buffer(f.payload.data() + skip, f.payload.size() - skip);
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

    // Returns true when `frame` could be written at once without queueing (plain sockets).
    virtual bool write_now(OutFrame& frame) = 0;

    Server::Impl& server_;
    std::vector<OutFrame> queue_;  // unsent frames; the first may be partly written
    std::size_t head_offset_ = 0;  // bytes of queue_.front() already written
    std::size_t queued_bytes_ = 0; // unsent bytes in queue_
    bool writing_ = false;         // a wait-for-writable or async write is in flight
    State state_ = State::open;

private:
    void send(ws::Opcode op, std::string payload) {
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
            ++server_.metrics_.slow_clients_dropped;
            log::write(log::Level::info, "ws-slow-client-dropped",
                       {{"queued_bytes", std::to_string(queued_bytes_)}});
            break_connection();
            return;
        }
        queue_.push_back(std::move(f));
        if (!writing_) flush();
    }

    void send_error(const protocol::Problem& p) {
        server_.metrics_.count_error(p.code);
        send(ws::Opcode::text, protocol::build_error(p.code, p.message));
    }

    // Server-initiated close: send the close frame, then wait (close_timeout) for the answer.
    void begin_close(ws::CloseCode code, std::string_view reason) {
        if (state_ != State::open) return;
        send(ws::Opcode::close, ws::close_payload(code, reason));
        state_ = State::closing;
        last_activity_ = server_.now_;
    }

    // Protocol violation: close with a code, ignore whatever else arrives.
    void fail_connection(ws::CloseCode code, const char* why) {
        log::write(log::Level::debug, "ws-protocol-error", {{"why", why}});
        begin_close(code, why);
        discard_input_ = true;
    }

    void too_large() {
        send_error({ErrorCode::too_large, "messages are limited to " +
                                              std::to_string(limits().max_frame_bytes) +
                                              " bytes"});
        fail_connection(ws::CloseCode::too_big, "message too big");
    }

    void on_event(const ws::ReadEvent& e) {
        switch (e.kind) {
        case ws::ReadEvent::Kind::ping: send(ws::Opcode::pong, std::string(e.payload)); return;
        case ws::ReadEvent::Kind::pong: return;
        case ws::ReadEvent::Kind::close:
            if (state_ == State::open) {
                // Echo the peer's code (RFC 6455 5.5.1), then end TCP once it is written.
                close_after_flush_ = true;
                state_ = State::closing;
                const std::size_t code_bytes = e.payload.size() >= 2 ? 2 : 0;
                send(ws::Opcode::close, std::string(e.payload.substr(0, code_bytes)));
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

    // [SECTION] the one dispatcher: one handler per message type
    void on_message(ws::Opcode op, std::string_view text) {
        if (state_ != State::open) return;
        ++server_.metrics_.messages_received;
        if (!bucket_.take(limits().rate_per_sec, limits().rate_burst, server_.now_)) {
            if (server_.now_ - last_rate_error_ >= rate_error_period) {
                last_rate_error_ = server_.now_;
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

    void on(protocol::Join& m) {
        // Proof first: only the holder of `peer`'s key, answering this connection's challenge,
        // may join (or replace a socket) as `peer`.
        if (auto p = check_join_proof(nonce_text(nonce_), m)) return send_error(*p);
        // Before `joined`: the links the client opens on it may need the relay.
        if (server_.config_.turn_port) send_ice_servers(m.peer);
        SessionId session;
        if (!make_session(session)) {
            log::write(log::Level::error, "ws-no-randomness");
            return fail_connection(ws::CloseCode::internal_error, "no randomness");
        }
        if (auto p = server_.rooms_.join(*this, m, session)) send_error(*p);
    }
    void on(protocol::Signal& m) {
        if (auto p = server_.rooms_.signal(*this, m)) send_error(*p);
    }
    void on(protocol::Leave&) {
        if (auto p = server_.rooms_.leave(*this)) send_error(*p);
    }
    void on(protocol::Ping&) { send(ws::Opcode::text, protocol::build_pong()); }

    // The TURN server on this box (scripts/run.sh --turn), at the address this phone reached us
    // by, with credentials for `peer`; again from sweep() when four fifths of their time is up.
    void send_ice_servers(const std::string& peer) {
        const Config& config = server_.config_;
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
        turn_->renew_at = server_.now_ + config.turn_ttl * 4 / 5;
    }
    // The address of our end of this connection.
    virtual net::ip::address local_address() const = 0;

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

// Plain TCP: wait for readability, read into the shared buffer, write at once when possible.
class PlainWsSession final : public WsCore, public std::enable_shared_from_this<PlainWsSession> {
public:
    PlainWsSession(Server::Impl& server, tcp::socket socket)
        : WsCore(server), socket_(std::move(socket)) {}
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
        server_.now_ = Clock::now();
        const std::size_t n = socket_.read_some(net::buffer(server_.scratch_), ec);
        if (ec == net::error::would_block) return wait();
        if (ec) return teardown(); // EOF or reset
        process(server_.scratch_.data(), n);
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
class TlsWsSession final : public WsCore, public std::enable_shared_from_this<TlsWsSession> {
public:
    TlsWsSession(Server::Impl& server, TlsStream stream)
        : WsCore(server), stream_(std::move(stream)),
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
        server_.now_ = Clock::now();
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

// [SECTION] HTTP session -----------------------------------------------------------------------

namespace {

template <class Stream>
class HttpSession final : public Tracked, public std::enable_shared_from_this<HttpSession<Stream>> {
public:
    HttpSession(Server::Impl& server, Stream stream) : server_(server), stream_(std::move(stream)) {
        server_.http_sessions_.add(this);
    }
    ~HttpSession() { server_.http_sessions_.remove(this); }

    void run() {
        lowest().expires_after(server_.limits_.http_timeout);
        if constexpr (std::is_same_v<Stream, TlsStream>) {
            stream_.async_handshake(ssl::stream_base::server,
                                    beast::bind_front_handler(&HttpSession::on_handshake,
                                                              this->shared_from_this()));
        } else {
            do_read();
        }
    }

    void sweep(Clock::time_point) override {} // beast::tcp_stream enforces the timeouts
    void stop() override {
        beast::error_code ec;
        lowest().socket().close(ec);
    }

private:
    beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

    void on_handshake(beast::error_code ec) {
        if (ec) {
            log::write(log::Level::debug, "tls-handshake-failed", {{"error", ec.message()}});
            return;
        }
        do_read();
    }

    void do_read() {
        if (server_.stopping_) return;
        parser_.emplace();
        parser_->header_limit(http_header_limit);
        parser_->body_limit(0); // GET and HEAD only: any request body is refused
        lowest().expires_after(server_.limits_.http_timeout);
        http::async_read(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        head_ = false;
        if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
            ec == net::error::operation_aborted)
            return close();
        if (ec) {
            log::write(log::Level::debug, "http-bad-request", {{"error", ec.message()}});
            return respond_text(http::status::bad_request, "bad request\n", false);
        }
        handle(parser_->release());
    }

    void handle(http::request<http::empty_body> req) {
        const std::string_view target(req.target().data(), req.target().size());
        const std::string_view path = target.substr(0, target.find('?'));
        keep_alive_ = req.keep_alive();
        head_ = req.method() == http::verb::head;
        if (path == "/ws") {
            if (beast::websocket::is_upgrade(req)) return upgrade(req);
            return respond_text(http::status::upgrade_required, "WebSocket only\n", keep_alive_);
        }
        if (req.method() != http::verb::get && !head_)
            return respond_text(http::status::method_not_allowed, "GET or HEAD\n", keep_alive_);
        if (path == "/healthz") return respond_text(http::status::ok, "ok", keep_alive_);
        if (path == "/metrics")
            return respond_text(http::status::ok, server_.metrics_.render(), keep_alive_,
                                "text/plain; version=0.0.4; charset=utf-8");
        serve_file(req);
    }

    void serve_file(const http::request<http::empty_body>& req) {
        const auto accept = req[http::field::accept_encoding];
        const auto hit = server_.files_.find(
            target_view(req), std::string_view(accept.data(), accept.size()));
        if (!hit) return respond_text(http::status::not_found, "not found\n", keep_alive_);
        const auto inm = req[http::field::if_none_match];
        if (!inm.empty() && std::string_view(inm.data(), inm.size()).find(hit->etag) !=
                                std::string_view::npos) {
            http::response<http::empty_body> res{http::status::not_modified, 11};
            file_headers(res, *hit);
            res.keep_alive(keep_alive_);
            return send(std::move(res));
        }
        http::file_body::value_type body;
        beast::error_code ec;
        body.open(hit->path.c_str(), beast::file_mode::scan, ec);
        if (ec) return respond_text(http::status::not_found, "not found\n", keep_alive_);
        if (head_) {
            http::response<http::empty_body> res{http::status::ok, 11};
            file_headers(res, *hit);
            res.content_length(hit->size);
            res.keep_alive(keep_alive_);
            return send(std::move(res));
        }
        http::response<http::file_body> res{std::piecewise_construct, std::make_tuple(std::move(body)),
                                            std::make_tuple(http::status::ok, 11)};
        file_headers(res, *hit);
        res.content_length(hit->size);
        res.keep_alive(keep_alive_);
        send(std::move(res));
    }

    static std::string_view target_view(const http::request<http::empty_body>& req) {
        return std::string_view(req.target().data(), req.target().size());
    }

    template <class Body> void file_headers(http::response<Body>& res, const FileHit& hit) {
        res.set(http::field::content_type, hit.content_type);
        res.set(http::field::cache_control, hit.cache_control);
        res.set(http::field::etag, hit.etag);
        if (hit.coding != Coding::identity)
            res.set(http::field::content_encoding, coding_name(hit.coding));
        if (hit.vary) res.set(http::field::vary, "Accept-Encoding");
    }

    void respond_text(http::status status, std::string body, bool keep_alive,
                      std::string_view type = "text/plain; charset=utf-8") {
        http::response<http::string_body> res{status, 11};
        res.set(http::field::content_type, type);
        res.set(http::field::cache_control, "no-cache");
        if (status == http::status::method_not_allowed) res.set(http::field::allow, "GET, HEAD");
        if (status == http::status::upgrade_required) res.set(http::field::upgrade, "websocket");
        const std::size_t size = body.size();
        if (!head_) res.body() = std::move(body);
        res.content_length(size);
        res.keep_alive(keep_alive);
        send(std::move(res));
    }

    template <class Body> void send(http::response<Body>&& res) {
        add_common_headers(res);
        server_.metrics_.count_http(res.result_int());
        const bool keep = res.keep_alive();
        auto sp = std::make_shared<http::response<Body>>(std::move(res));
        lowest().expires_after(server_.limits_.http_timeout);
        http::async_write(stream_, *sp,
                          [self = this->shared_from_this(), sp, keep](beast::error_code ec, std::size_t) {
                              if (ec || !keep) return self->close();
                              self->do_read();
                          });
    }

    void upgrade(const http::request<http::empty_body>& req) {
        const auto key = req[http::field::sec_websocket_key];
        const auto version = req[http::field::sec_websocket_version];
        if (req.method() != http::verb::get || key.size() != 24 || version != "13") {
            return respond_text(http::status::bad_request,
                                "bad WebSocket handshake (need GET, version 13, a 16-byte key)\n",
                                false);
        }
        auto res = std::make_shared<http::response<http::empty_body>>(
            http::status::switching_protocols, 11);
        res->set(http::field::upgrade, "websocket");
        res->set(http::field::connection, "Upgrade");
        res->set(http::field::sec_websocket_accept,
                 ws::accept_key(std::string_view(key.data(), key.size())));
        add_common_headers(*res);
        server_.metrics_.count_http(101);
        http::async_write(stream_, *res,
                          [self = this->shared_from_this(), res](beast::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->hand_over();
                          });
    }

    // The socket now belongs to a WebSocket session, with any bytes read past the request.
    void hand_over() {
        lowest().expires_never();
        const auto data = buffer_.data();
        const std::string early(static_cast<const char*>(data.data()), data.size());
        if (server_.stopping_) return close();
        if constexpr (std::is_same_v<Stream, TlsStream>) {
            std::make_shared<TlsWsSession>(server_, std::move(stream_))->run(early);
        } else {
            std::make_shared<PlainWsSession>(server_, stream_.release_socket())->run(early);
        }
    }

    void close() {
        beast::error_code ec;
        lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
        lowest().close();
    }

    Server::Impl& server_;
    Stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::empty_body>> parser_;
    bool keep_alive_ = false;
    bool head_ = false;
};

} // namespace

// [SECTION] server (accept, sweep, grace, shutdown) --------------------------------------------

Server::Impl::Impl(Config config) : config_(std::move(config)), files_([&] {
    std::error_code ec;
    if (!std::filesystem::is_directory(config_.root, ec))
        throw std::runtime_error("--root " + config_.root + " is not a directory");
    return StaticFiles(config_.root);
}()) {
    if (!config_.tls_cert.empty()) {
        tls_.emplace(ssl::context::tls_server);
        tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                          ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                          ssl::context::no_tlsv1_1);
        beast::error_code ec;
        tls_->use_certificate_chain_file(config_.tls_cert, ec);
        if (ec) throw std::runtime_error("--tls-cert " + config_.tls_cert + ": " + ec.message());
        tls_->use_private_key_file(config_.tls_key, ssl::context::pem, ec);
        if (ec) throw std::runtime_error("--tls-key " + config_.tls_key + ": " + ec.message());
    }
    if (config_.limits.max_connections == 0) {
        rlimit rl{};
        getrlimit(RLIMIT_NOFILE, &rl);
        const std::size_t fds = rl.rlim_cur == RLIM_INFINITY ? 1 << 20 : rl.rlim_cur;
        config_.limits.max_connections = fds > 2 * fd_reserve ? fds - fd_reserve : fds / 2;
    }

    beast::error_code ec;
    const auto address = net::ip::make_address(config_.host, ec);
    if (ec) throw std::runtime_error("--host " + config_.host + " is not an IP address");
    const tcp::endpoint endpoint(address, config_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
        throw std::runtime_error("cannot listen on " + config_.host + ":" +
                                 std::to_string(config_.port) + ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();
}

void Server::Impl::run() {
    signals_.async_wait([this](beast::error_code ec, int signo) {
        if (ec) return;
        log::write(log::Level::info, "stopping", {{"signal", std::to_string(signo)}});
        stop();
    });
    do_accept();
    do_sweep();
    log::write(log::Level::info, "listening",
               {{"port", std::to_string(port_)}, {"tls", tls_ ? "on" : "off"},
                {"max_connections", std::to_string(limits_.max_connections)},
                {"root", files_.root().string()}});
    ioc_.run();
    log::write(log::Level::info, "stopped",
               {{"connections_left", std::to_string(ws_sessions_.size())}});
}

void Server::Impl::do_accept() {
    acceptor_.async_accept(beast::bind_front_handler(&Impl::on_accept, this));
}

void Server::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
    if (stopping_ || ec == net::error::operation_aborted) return;
    if (ec) {
        // Out of descriptors: the client waits in the backlog; try again shortly.
        log::write(log::Level::warn, "accept-failed", {{"error", ec.message()}});
        retry_timer_.expires_after(accept_retry);
        retry_timer_.async_wait([this](beast::error_code e) {
            if (!e && !stopping_) do_accept();
        });
        return;
    }
    beast::error_code opt_ec;
    socket.set_option(tcp::no_delay(true), opt_ec); // signals are small and latency-bound
    if (tls_) {
        std::make_shared<HttpSession<TlsStream>>(*this, TlsStream(beast::tcp_stream(std::move(socket)), *tls_))
            ->run();
    } else {
        std::make_shared<HttpSession<PlainStream>>(*this, PlainStream(std::move(socket)))->run();
    }
    do_accept();
}

void Server::Impl::do_sweep() {
    sweep_timer_.expires_after(
        std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(limits_.idle_timeout / 4),
                   min_sweep_interval, max_sweep_interval));
    sweep_timer_.async_wait([this](beast::error_code ec) {
        if (ec) return;
        now_ = Clock::now();
        ws_sessions_.for_each([this](Tracked& t) { t.sweep(now_); });
        do_sweep();
    });
}

void Server::Impl::on_disconnect() {
    if (grace_armed_ || stopping_) return; // armed for an earlier deadline; it re-arms for the rest
    const auto next = rooms_.next_expiry();
    if (!next) return;
    grace_armed_ = true;
    grace_timer_.expires_at(*next);
    grace_timer_.async_wait([this](beast::error_code ec) {
        grace_armed_ = false;
        if (ec) return;
        now_ = Clock::now();
        rooms_.expire(now_);
        on_disconnect();
    });
}

void Server::Impl::stop() {
    if (stopping_) return;
    stopping_ = true;
    beast::error_code ec;
    acceptor_.close(ec);
    retry_timer_.cancel();
    http_sessions_.for_each([](Tracked& t) { t.stop(); });
    now_ = Clock::now();
    ws_sessions_.for_each([](Tracked& t) { t.stop(); });
    wait_for_sessions(Clock::now() + stop_timeout);
}

void Server::Impl::wait_for_sessions(Clock::time_point deadline) {
    if ((ws_sessions_.size() == 0 && http_sessions_.size() == 0) || Clock::now() >= deadline) {
        ioc_.stop();
        return;
    }
    stop_timer_.expires_after(std::chrono::milliseconds(50));
    stop_timer_.async_wait([this, deadline](beast::error_code ec) {
        if (!ec) wait_for_sessions(deadline);
    });
}

Server::Server(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Server::~Server() = default;
unsigned short Server::port() const { return impl_->port(); }
bool Server::tls() const { return impl_->tls(); }
void Server::run() { impl_->run(); }

} // namespace peddlenet::server
