// The WebSocket connection's state machine (server/websocket_session.hpp) over an in-memory
// transport: the challenge and early frames, signed joins, relay, pings, both close handshakes,
// idle and close timeouts, frame errors, the write queue and its cap, the rate limit, a full
// server, replaced sockets, teardown with the room's grace period, and TURN renewals.
// Needs: a real SharedState (room model, metrics, session list) over an empty temporary web
// root, real Ed25519 signatures (tests/unit/openssl_crypto.hpp). Time is SharedState::now, set
// by the test, so nothing sleeps and no io_context runs.
//  [X] MemorySession: written bytes recorded and decoded as server frames; a socket that takes
//      only so many bytes, so frames queue and drain through gather()/account_written()
//  [X] client frames masked as browsers send them (or unmasked, to be refused)
#include "core/base64url.hpp"
#include "core/signaling_protocol.hpp"
#include "openssl_crypto.hpp"
#include "server/log.hpp"
#include "server/shared_state.hpp"
#include "server/websocket_session.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

using namespace peddlenet;
using namespace peddlenet::server;
using namespace std::chrono_literals;
using peddlenet::testing::OpenSslCrypto;
using protocol::ErrorCode;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
using Strings = std::vector<std::string>;

// [SECTION] client frames ----------------------------------------------------------------------

// A final client frame as a browser sends it: masked (RFC 6455 5.3) unless `masked` is false,
// with the shortest length encoding.
std::string client_frame(ws::Opcode op, std::string_view payload, bool masked = true) {
    const std::uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    const std::uint8_t mask_bit = masked ? 0x80 : 0x00;
    const std::uint64_t n = payload.size();
    std::string out;
    out += static_cast<char>(0x80 | static_cast<std::uint8_t>(op));
    if (n < 126) {
        out += static_cast<char>(mask_bit | n);
    } else if (n <= 0xFFFF) {
        out += static_cast<char>(mask_bit | 126);
        for (int shift = 8; shift >= 0; shift -= 8) out += static_cast<char>(n >> shift);
    } else {
        out += static_cast<char>(mask_bit | 127);
        for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>(n >> shift);
    }
    if (masked) out.append(reinterpret_cast<const char*>(key), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        out += static_cast<char>(masked ? payload[i] ^ key[i % 4] : payload[i]);
    return out;
}

std::string text_frame(std::string_view message) { return client_frame(ws::Opcode::text, message); }
std::string ping_message() { return text_frame(protocol::build_ping()); }
std::string close_frame(ws::CloseCode code, std::string_view reason = {}) {
    return client_frame(ws::Opcode::close, ws::close_payload(code, reason));
}

// `frame` `n` times over, as one read: a client sending faster than the server answers.
std::string repeated(const std::string& frame, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += frame;
    return out;
}

// A join of `room` by `key`'s holder, signed over the challenge `nonce`.
std::string signed_join(const OpenSslCrypto& key, std::string_view nonce, const std::string& room,
                        const std::string& name = "Ann") {
    const std::string peer = key.peer_id();
    const std::string sig =
        base64url_encode(key.sign_now(protocol::join_signing_payload(nonce, room, peer)));
    return text_frame(protocol::build_join(room, peer, name, sig));
}

// [SECTION] server frames ----------------------------------------------------------------------

struct ServerFrame {
    ws::Opcode op = ws::Opcode::text;
    std::string payload;

    // A text frame's JSON (discarded, not thrown, when it is none: the test then fails on it).
    json message() const { return json::parse(payload, nullptr, false); }
    // The close code, or 0 for a close frame without one.
    int close_code() const {
        if (payload.size() < 2) return 0;
        return (static_cast<std::uint8_t>(payload[0]) << 8) | static_cast<std::uint8_t>(payload[1]);
    }
    // One word per frame, for comparing whole sequences: a text message by its type (errors as
    // "error:<code>"), control frames in capitals with their payload or code: "PING",
    // "PONG:hello", "CLOSE:1001".
    std::string describe() const {
        switch (op) {
        case ws::Opcode::text: {
            const json m = message();
            if (!m.is_object()) return "not JSON: " + payload.substr(0, 40);
            const std::string type = m.value("type", "?");
            return type == "error" ? "error:" + m.value("code", "?") : type;
        }
        case ws::Opcode::ping: return payload.empty() ? "PING" : "PING:" + payload;
        case ws::Opcode::pong: return payload.empty() ? "PONG" : "PONG:" + payload;
        case ws::Opcode::close:
            return payload.empty() ? "CLOSE" : "CLOSE:" + std::to_string(close_code());
        default: return "opcode " + std::to_string(static_cast<int>(op));
        }
    }
};

// Decodes the complete server frames in bytes[at...), moving `at` past them; an incomplete
// last frame stays for the next call. Server frames must be final and unmasked (RFC 6455 5.1).
std::vector<ServerFrame> decode_server_frames(const std::string& bytes, std::size_t& at) {
    std::vector<ServerFrame> out;
    auto byte = [&bytes](std::size_t i) { return static_cast<std::uint8_t>(bytes[i]); };
    while (bytes.size() - at >= 2) {
        const std::uint8_t b0 = byte(at), b1 = byte(at + 1);
        REQUIRE((b0 & 0x80) != 0); // FIN: we never fragment
        REQUIRE((b0 & 0x70) == 0); // no extension bits
        REQUIRE((b1 & 0x80) == 0); // a server never masks
        std::uint64_t length = b1 & 0x7F;
        std::size_t header = 2;
        if (length >= 126) {
            header = length == 126 ? 4 : 10;
            if (bytes.size() - at < header) break;
            length = 0;
            for (std::size_t i = at + 2; i < at + header; ++i) length = (length << 8) | byte(i);
        }
        if (bytes.size() - at - header < length) break;
        out.push_back({static_cast<ws::Opcode>(b0 & 0x0F), bytes.substr(at + header, length)});
        at += header + length;
    }
    return out;
}

Strings describe(const std::vector<ServerFrame>& frames) {
    Strings out;
    for (const ServerFrame& f : frames) out.push_back(f.describe());
    return out;
}

// [SECTION] the in-memory transport ------------------------------------------------------------

// WebSocketSession over a "socket" that appends what it is given to `wire` and can refuse: it
// takes at most `room_` more bytes (a kernel send buffer filling up), and the session then
// queues the rest and waits for writable(), as PlainWsSession waits for the socket to become
// writable. flush() works the way PlainWsSession's does, through gather() and account_written().
class MemorySession final : public WebSocketSession {
public:
    static constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();

    explicit MemorySession(SharedState& state) : WebSocketSession(state) {}
    ~MemorySession() { teardown(); } // as the real transports do

    using WebSocketSession::finished;
    using WebSocketSession::teardown;

    // The upgrade was answered; `early` are bytes read past the HTTP request.
    void open(std::string_view early = {}) { start(early); }
    // One read of the client's bytes (a copy: the session unmasks in place).
    void receive(std::string bytes) {
        process(reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size());
    }

    // From now the socket takes only `bytes` more; writes beyond them are refused.
    void refuse_writes_after(std::size_t bytes) { room_ = bytes; }
    // The socket takes `bytes` more (default: everything) and says it is writable again.
    void writable(std::size_t bytes = unlimited) {
        room_ = bytes;
        if (!writing_) return; // nobody was waiting
        writing_ = false;
        if (!finished()) flush();
    }

    // The server frames written since the last call.
    std::vector<ServerFrame> take_frames() { return decode_server_frames(wire, decoded_); }
    Strings take() { return describe(take_frames()); }

    std::size_t queued_frames() const { return queue_.size(); }
    std::size_t queued_bytes() const { return queued_bytes_; }
    bool closing() const { return phase_ == Phase::closing; }

    std::string wire;              // every byte the socket took, in order
    bool transport_closed = false; // close_transport() was called
    boost::asio::ip::address address = boost::asio::ip::make_address("127.0.0.1");

private:
    // Takes what fits of [p, p + n); returns how much that was.
    std::size_t put(const void* p, std::size_t n) {
        n = std::min(n, room_);
        wire.append(static_cast<const char*>(p), n);
        if (room_ != unlimited) room_ -= n;
        return n;
    }

    bool write_now(OutFrame& f) override {
        std::size_t n = put(f.header.data(), f.header_size);
        if (n == f.header_size) n += put(f.payload.data(), f.payload.size());
        if (n == f.size()) return true;
        head_offset_ = n;
        return false;
    }

    void flush() override {
        while (!queue_.empty()) {
            std::array<boost::asio::const_buffer, 6> bufs; // few: long queues take several rounds
            const std::size_t k = gather(bufs);
            std::size_t n = 0;
            for (std::size_t i = 0; i < k; ++i) {
                const std::size_t took = put(bufs[i].data(), bufs[i].size());
                n += took;
                if (took < bufs[i].size()) break;
            }
            if (n == 0) break; // would block
            account_written(n);
        }
        if (queue_.empty()) return on_flushed();
        writing_ = true; // wait for writable()
    }

    void close_transport() override { transport_closed = true; }
    boost::asio::ip::address local_address() const override { return address; }

    std::size_t room_ = unlimited;
    std::size_t decoded_ = 0; // bytes of `wire` take_frames() has decoded
};

// [SECTION] the server around the sessions -----------------------------------------------------

// Keeps the session's info lines (a dropped slow client) out of the test output.
class QuietLogs {
public:
    QuietLogs() { log::set_level(log::Level::error); }
    ~QuietLogs() { log::set_level(before_); }

private:
    static log::Level current() {
        for (const log::Level l : {log::Level::debug, log::Level::info, log::Level::warn})
            if (log::enabled(l)) return l;
        return log::Level::error;
    }
    log::Level before_ = current();
};

// SharedState wants a web root that exists; the sessions never read it.
struct TempRoot {
    TempRoot() {
        static int count = 0;
        path = fs::temp_directory_path() /
               ("peddlenet-ws-session-" + std::to_string(getpid()) + "-" + std::to_string(++count));
        fs::create_directories(path);
    }
    ~TempRoot() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    fs::path path;
};

// A real SharedState (room model, metrics, session list) with the given limits, and a clock the
// test moves. Declare it before its sessions: they refer to it until they are torn down.
struct World {
    explicit World(Limits limits = {}, unsigned short turn_port = 0)
        : state(config(root, limits, turn_port)) {}

    // A connection whose upgrade was just answered.
    std::unique_ptr<MemorySession> connect(std::string_view early = {}) {
        auto s = std::make_unique<MemorySession>(state);
        s->open(early);
        return s;
    }
    // Takes a new connection's only frame, the challenge, and returns its nonce.
    std::string read_challenge(MemorySession& s) {
        const std::vector<ServerFrame> frames = s.take_frames();
        REQUIRE(frames.size() == 1);
        const json challenge = frames[0].message();
        REQUIRE(challenge["type"] == "challenge");
        return challenge["nonce"].get<std::string>();
    }
    // A connection of `key`'s holder that joined `room`; its frames so far are taken.
    std::unique_ptr<MemorySession> member(const OpenSslCrypto& key, const std::string& room) {
        auto s = connect();
        s->receive(signed_join(key, read_challenge(*s), room));
        REQUIRE(s->take() == Strings{"joined"});
        return s;
    }

    // The time `since_start` after the world began, for the next reads.
    void at(Clock::duration since_start) { state.now = t0 + since_start; }
    // What the server's sweep timer does at that time.
    void sweep_at(Clock::duration since_start) {
        at(since_start);
        state.ws_sessions.for_each([this](Tracked& t) { t.sweep(state.now); });
    }
    std::uint64_t errors(ErrorCode code) const {
        return state.metrics.errors[static_cast<std::size_t>(code)];
    }

    static Config config(const TempRoot& root, const Limits& limits, unsigned short turn_port) {
        Config c;
        c.root = root.path.string();
        c.limits = limits;
        c.turn_port = turn_port;
        c.turn_secret = "test-secret";
        c.turn_ttl = 100s;
        return c;
    }

    QuietLogs quiet;
    TempRoot root;
    SharedState state;
    const Clock::time_point t0 = state.now;
};

} // namespace

// [SECTION] tests ------------------------------------------------------------------------------

TEST_CASE("ws session: the challenge is the first frame; frames behind the handshake are handled",
          "[server][websocket_session]") {
    World w;
    auto a = w.connect();
    const std::vector<ServerFrame> first = a->take_frames();
    REQUIRE(first.size() == 1);
    const json challenge = first[0].message();
    CHECK(challenge["type"] == "challenge");
    CHECK(challenge["v"] == protocol::version);
    CHECK(challenge["nonce"].get<std::string>().size() == protocol::nonce_chars);
    // One nonce per connection (the second connection ends with the statement).
    CHECK(w.read_challenge(*w.connect()) != challenge["nonce"].get<std::string>());
    CHECK(w.state.metrics.connections == 1);
    CHECK(w.state.metrics.connections_total == 2);

    SECTION("whole frames in the same read as the upgrade are answered after the challenge") {
        auto b = w.connect(ping_message() + client_frame(ws::Opcode::ping, "early"));
        CHECK(b->take() == Strings{"challenge", "pong", "PONG:early"});
    }
    SECTION("a frame cut by the end of that read is completed by the next one") {
        const std::string ping = ping_message();
        auto b = w.connect(std::string_view(ping).substr(0, 5));
        CHECK(b->take() == Strings{"challenge"});
        b->receive(ping.substr(5));
        CHECK(b->take() == Strings{"pong"});
    }
}

TEST_CASE("ws session: a join signed over this connection's challenge is answered with joined",
          "[server][websocket_session]") {
    World w;
    const OpenSslCrypto ann;
    auto a = w.connect();
    a->receive(signed_join(ann, w.read_challenge(*a), "stage"));
    const std::vector<ServerFrame> frames = a->take_frames();
    REQUIRE(frames.size() == 1);
    const json joined = frames[0].message();
    CHECK(joined["type"] == "joined");
    CHECK(joined["room"] == "stage");
    CHECK(joined["peer"] == ann.peer_id());
    CHECK(joined["size"] == 1);
    CHECK(joined["session"].get<std::string>().size() == protocol::session_chars);
    CHECK(w.state.metrics.peers == 1);
}

TEST_CASE("ws session: a join with a bad signature gets an error and no joined",
          "[server][websocket_session]") {
    World w;
    const OpenSslCrypto ann, mallory;
    auto a = w.connect();
    const std::string nonce = w.read_challenge(*a);

    SECTION("replayed from another connection (signed over its challenge)") {
        auto other = w.connect();
        a->receive(signed_join(ann, w.read_challenge(*other), "stage"));
    }
    SECTION("signed by another key than the peer id's") {
        const std::string peer = ann.peer_id();
        const std::string forged = base64url_encode(
            mallory.sign_now(protocol::join_signing_payload(nonce, "stage", peer)));
        a->receive(text_frame(protocol::build_join("stage", peer, "Ann", forged)));
    }
    CHECK(a->take() == Strings{"error:bad-signature"});
    CHECK(w.state.metrics.peers == 0);
    CHECK(w.errors(ErrorCode::bad_signature) == 1);
    // Refused, not ended: the right proof still joins on this connection.
    CHECK_FALSE(a->finished());
    a->receive(signed_join(ann, nonce, "stage"));
    CHECK(a->take() == Strings{"joined"});
}

TEST_CASE("ws session: a signal from A reaches B with from filled in by the server",
          "[server][websocket_session]") {
    World w;
    const OpenSslCrypto ann, bob;
    auto a = w.member(ann, "stage");
    auto b = w.member(bob, "stage");
    CHECK(a->take() == Strings{"peer-joined"});

    // A claims to be someone else: `from` is not the sender's to choose.
    const json signal = {{"type", "signal"},
                         {"from", "mallory"},
                         {"to", bob.peer_id()},
                         {"data", {{"sdp", "v=0"}}}};
    a->receive(text_frame(signal.dump()));
    const std::vector<ServerFrame> got = b->take_frames();
    REQUIRE(got.size() == 1);
    CHECK(got[0].message() ==
          json{{"type", "signal"}, {"from", ann.peer_id()}, {"data", {{"sdp", "v=0"}}}});
    CHECK(a->take().empty());
    CHECK(w.state.metrics.messages_relayed == 1);
}

TEST_CASE("ws session: a ping frame gets a pong with its payload; a ping message gets pong",
          "[server][websocket_session]") {
    World w;
    auto a = w.connect();
    w.read_challenge(*a);
    a->receive(client_frame(ws::Opcode::ping, "are you there?"));
    CHECK(a->take() == Strings{"PONG:are you there?"});
    a->receive(ping_message());
    const std::vector<ServerFrame> frames = a->take_frames();
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].op == ws::Opcode::text);
    CHECK(frames[0].message() == json{{"type", "pong"}});
    // A pong frame (an answer to nothing we sent) is read and not answered.
    a->receive(client_frame(ws::Opcode::pong, "unsolicited"));
    CHECK(a->take().empty());
    CHECK_FALSE(a->finished());
}

TEST_CASE("ws session: a client's close is echoed with its code; TCP ends once that is written",
          "[server][websocket_session]") {
    World w;
    auto a = w.connect();
    w.read_challenge(*a);

    SECTION("the socket takes the echo at once") {
        a->receive(close_frame(ws::CloseCode::normal, "bye"));
        const std::vector<ServerFrame> frames = a->take_frames();
        REQUIRE(frames.size() == 1);
        CHECK(frames[0].op == ws::Opcode::close);
        CHECK(frames[0].payload == ws::close_payload(ws::CloseCode::normal, "")); // code only
        CHECK(a->transport_closed);
        CHECK(a->finished());
    }
    SECTION("a close without a code is answered without one") {
        a->receive(client_frame(ws::Opcode::close, ""));
        CHECK(a->take() == Strings{"CLOSE"});
        CHECK(a->transport_closed);
    }
    SECTION("a code a peer may not send is answered with 1002, not echoed (RFC 6455 7.4.1)") {
        const std::string no_status = ws::close_payload(static_cast<ws::CloseCode>(1005), "");
        for (const std::string& payload : {no_status, std::string("\x03"), std::string("\x03\xE7", 2),
                                           ws::close_payload(static_cast<ws::CloseCode>(2999), "x")}) {
            auto b = w.connect();
            w.read_challenge(*b);
            b->receive(client_frame(ws::Opcode::close, payload));
            CHECK(b->take() == Strings{"CLOSE:1002"});
            CHECK(b->transport_closed);
        }
        a->receive(close_frame(static_cast<ws::CloseCode>(4500)));
        CHECK(a->take() == Strings{"CLOSE:4500"}); // the application range is echoed
    }
    SECTION("the echo waits behind queued frames, and TCP waits for the echo") {
        a->refuse_writes_after(0);
        a->receive(ping_message() + close_frame(ws::CloseCode::going_away));
        CHECK(a->queued_frames() == 2);
        CHECK_FALSE(a->transport_closed);
        a->writable(10); // part of it
        CHECK_FALSE(a->transport_closed);
        a->writable();
        CHECK(a->take() == Strings{"pong", "CLOSE:1001"});
        CHECK(a->queued_frames() == 0);
        CHECK(a->transport_closed);
    }
}

TEST_CASE("ws session: our close is 1001 on stop(); the client gets close_timeout to answer",
          "[server][websocket_session]") {
    World w;
    auto a = w.connect();
    w.read_challenge(*a);
    a->stop();
    CHECK(a->take() == Strings{"error:shutting-down", "CLOSE:1001"});
    CHECK(a->closing());
    CHECK_FALSE(a->transport_closed);
    // Between our close and the answer, messages are not answered (nothing may follow a close).
    a->receive(ping_message() + client_frame(ws::Opcode::ping, "late"));
    CHECK(a->take().empty());

    SECTION("the client answers: TCP ends at once") {
        a->receive(close_frame(ws::CloseCode::going_away));
        CHECK(a->transport_closed);
        CHECK(a->finished());
        CHECK(a->take().empty()); // an answer is not echoed
    }
    SECTION("the client never answers: the sweep ends TCP after close_timeout (2 s)") {
        w.sweep_at(1999ms);
        CHECK_FALSE(a->transport_closed);
        w.sweep_at(2001ms);
        CHECK(a->transport_closed);
        CHECK(a->finished());
    }
}

TEST_CASE("ws session: a client's close that crosses ours while it is queued ends TCP once ours "
          "is written", "[server][websocket_session]") {
    World w;
    auto a = w.connect();
    w.read_challenge(*a);
    a->refuse_writes_after(0);
    a->stop();
    CHECK(a->queued_frames() == 2);
    a->receive(close_frame(ws::CloseCode::going_away));
    CHECK_FALSE(a->transport_closed); // the client would see 1006 instead of our close
    a->writable();
    CHECK(a->take() == Strings{"error:shutting-down", "CLOSE:1001"});
    CHECK(a->transport_closed);
    CHECK(a->finished());
}

TEST_CASE("ws session: idle, a ping after idle_timeout and the end after twice that",
          "[server][websocket_session]") {
    Limits limits;
    limits.idle_timeout = 10s;
    World w(limits);
    auto a = w.connect();
    w.read_challenge(*a);

    w.sweep_at(10s); // not more than idle_timeout yet
    CHECK(a->take().empty());
    w.sweep_at(10001ms);
    CHECK(a->take() == Strings{"PING"});
    w.sweep_at(15s);
    CHECK(a->take().empty()); // one ping per silence

    SECTION("still silent at twice idle_timeout: the connection is dropped") {
        w.sweep_at(20s);
        CHECK_FALSE(a->transport_closed);
        w.sweep_at(20001ms);
        CHECK(a->transport_closed);
        CHECK(a->finished());
    }
    SECTION("any read starts the silence over, and the next silence is pinged again") {
        w.at(12s);
        a->receive(client_frame(ws::Opcode::pong, ""));
        w.sweep_at(21s);
        CHECK_FALSE(a->transport_closed);
        CHECK(a->take().empty());
        w.sweep_at(22001ms);
        CHECK(a->take() == Strings{"PING"});
        CHECK_FALSE(a->transport_closed);
    }
}

TEST_CASE("ws session: frames the protocol refuses", "[server][websocket_session]") {
    Limits limits;
    limits.max_frame_bytes = 1024;
    World w(limits);
    auto a = w.connect();
    w.read_challenge(*a);

    SECTION("a message of exactly max_frame_bytes is read") {
        std::string padded = R"({"type":"ping","pad":""})";
        padded.insert(padded.size() - 2, 1024 - padded.size(), 'x');
        REQUIRE(padded.size() == 1024);
        a->receive(text_frame(padded));
        CHECK(a->take() == Strings{"pong"});
    }
    SECTION("one byte more: too-large and close 1009, and nothing after it is read") {
        a->receive(text_frame(std::string(1025, ' ')) + ping_message());
        CHECK(a->take() == Strings{"error:too-large", "CLOSE:1009"});
        a->receive(ping_message());
        CHECK(a->take().empty());
    }
    SECTION("text that is not UTF-8: bad-utf8 and close 1007") {
        a->receive(text_frame("{\"type\":\"ping\",\"x\":\"\xff\"}"));
        CHECK(a->take() == Strings{"error:bad-utf8", "CLOSE:1007"});
    }
    SECTION("a binary frame: bad-type, and the connection goes on") {
        a->receive(client_frame(ws::Opcode::binary, R"({"type":"ping"})"));
        CHECK(a->take() == Strings{"error:bad-type"});
        a->receive(ping_message());
        CHECK(a->take() == Strings{"pong"});
    }
    SECTION("an unmasked client frame: close 1002, and nothing after it is read") {
        a->receive(client_frame(ws::Opcode::text, protocol::build_ping(), false) + ping_message());
        CHECK(a->take() == Strings{"CLOSE:1002"});
        CHECK(a->closing());
    }
}

TEST_CASE("ws session: what the socket refuses is queued, drained in order, and capped",
          "[server][websocket_session]") {
    Limits limits;
    limits.max_queue_bytes = 1000;
    World w(limits);

    SECTION("a frame written in part, then frames behind it, drain whole and in order") {
        auto a = std::make_unique<MemorySession>(w.state);
        a->refuse_writes_after(5); // the socket takes 5 bytes of the challenge
        a->open();
        CHECK(a->wire.size() == 5);
        REQUIRE(a->queued_frames() == 1);
        const std::size_t challenge_rest = a->queued_bytes();
        a->receive(client_frame(ws::Opcode::ping, "1") + client_frame(ws::Opcode::ping, "2") +
                   client_frame(ws::Opcode::ping, "3"));
        CHECK(a->wire.size() == 5); // nothing jumps the queue
        CHECK(a->queued_frames() == 4);
        CHECK(a->queued_bytes() == challenge_rest + 3 * 3); // 3 pongs of 2 + 1 bytes

        // Seven bytes per writable event: writes end inside headers, payloads and frames.
        int events = 0;
        while (a->queued_frames() > 0 && events < 100) {
            a->writable(7);
            ++events;
        }
        CHECK(events > 5);
        CHECK(a->take() == Strings{"challenge", "PONG:1", "PONG:2", "PONG:3"});
        CHECK(a->queued_bytes() == 0);
        // Drained: the next answer is written at once, not queued.
        a->writable();
        a->receive(client_frame(ws::Opcode::ping, "4"));
        CHECK(a->queued_frames() == 0);
        CHECK(a->take() == Strings{"PONG:4"});
    }
    SECTION("past max_queue_bytes the client is dropped") {
        auto a = w.connect();
        w.read_challenge(*a);
        a->refuse_writes_after(0);
        const std::string ping100 = client_frame(ws::Opcode::ping, std::string(100, 'p'));
        a->receive(repeated(ping100, 9)); // 9 pongs of 102 bytes: 918 of 1000
        CHECK(a->queued_bytes() == 918);
        CHECK_FALSE(a->finished());
        CHECK(w.state.metrics.slow_clients_dropped == 0);
        a->receive(ping100); // the 10th would make 1020
        CHECK(a->finished());
        CHECK(a->transport_closed);
        CHECK(a->queued_frames() == 9); // the frame over the cap was never queued
        CHECK(w.state.metrics.slow_clients_dropped == 1);
        a->teardown(); // what the transport's read handler does next
        CHECK(w.state.metrics.connections == 0);
    }
}

TEST_CASE("ws session: over the rate limit, one rate-limited error, not one per dropped message",
          "[server][websocket_session]") {
    Limits limits;
    limits.rate_burst = 5;
    limits.rate_per_sec = 1;
    World w(limits);
    auto a = w.connect();
    w.read_challenge(*a);

    a->receive(repeated(ping_message(), 20));
    CHECK(a->take() == Strings{"pong", "pong", "pong", "pong", "pong", "error:rate-limited"});
    CHECK(w.state.metrics.messages_received == 20);
    CHECK(w.errors(ErrorCode::rate_limited) == 1);

    w.at(500ms); // half a token back: still dropped, and the error is not repeated within 1 s
    a->receive(repeated(ping_message(), 3));
    CHECK(a->take().empty());
    w.at(1500ms); // 1.5 tokens: one answer, and a second error a second after the first
    a->receive(repeated(ping_message(), 3));
    CHECK(a->take() == Strings{"pong", "error:rate-limited"});
    CHECK_FALSE(a->finished()); // dropping messages is not a reason to close
}

TEST_CASE("ws session: past max_connections a connection gets server-full and close 1013",
          "[server][websocket_session]") {
    Limits limits;
    limits.max_connections = 1;
    World w(limits);
    auto a = w.connect();
    CHECK(a->take() == Strings{"challenge"});
    auto b = w.connect(ping_message()); // early bytes too
    CHECK(b->take() == Strings{"error:server-full", "CLOSE:1013"});
    CHECK(w.errors(ErrorCode::server_full) == 1);
    b->receive(ping_message()); // a full server reads nothing from it
    CHECK(b->take().empty());
    CHECK(w.state.metrics.connections == 2);
    // Unanswered, it is ended by the sweep after close_timeout like any other close.
    w.sweep_at(1999ms);
    CHECK_FALSE(b->transport_closed);
    w.sweep_at(2001ms);
    CHECK(b->transport_closed);
    CHECK_FALSE(a->transport_closed);
    b->teardown(); // what the transport's read handler does next
    CHECK(w.state.metrics.connections == 1);
    // Its slot is not kept: after a leaves, a newcomer is served.
    a->teardown();
    CHECK(w.connect()->take() == Strings{"challenge"});
}

TEST_CASE("ws session: the same peer joining on a second connection replaces the first",
          "[server][websocket_session]") {
    World w;
    const OpenSslCrypto ann, bob;
    auto a = w.member(ann, "stage");
    auto b = w.member(bob, "stage");
    CHECK(a->take() == Strings{"peer-joined"});

    auto refreshed = w.member(ann, "stage"); // a page refresh that beat the old socket's close
    CHECK(a->take() == Strings{"error:replaced", "CLOSE:4001"});
    CHECK(a->closing());
    CHECK(b->take() == Strings{"peer-rejoined"}); // never peer-left + peer-joined
    CHECK(w.state.metrics.peers == 2);

    // The old socket's end does not take Ann out of the room; signals reach the new one.
    a->teardown();
    CHECK(w.state.metrics.peers == 2);
    b->receive(text_frame(protocol::build_signal(ann.peer_id(), R"({"n":1})")));
    CHECK(refreshed->take() == Strings{"signal"});
    CHECK(a->take().empty());
}

TEST_CASE("ws session: teardown is idempotent; a dropped member stays for the grace period",
          "[server][websocket_session]") {
    Limits limits;
    limits.grace = 5000ms;
    World w(limits);
    const OpenSslCrypto ann, bob;
    auto a = w.member(ann, "stage");
    auto b = w.member(bob, "stage");
    CHECK(a->take() == Strings{"peer-joined"});
    CHECK(w.state.ws_sessions.size() == 2);

    a->teardown(); // the socket closed without `leave`
    CHECK(a->transport_closed);
    CHECK(w.state.metrics.connections == 1);
    CHECK(w.state.ws_sessions.size() == 1);
    a->teardown();
    CHECK(w.state.metrics.connections == 1);
    CHECK(w.state.ws_sessions.size() == 1);

    CHECK(w.state.metrics.peers == 2); // still a member: a refresh comes back within grace
    CHECK(b->take().empty());           // no peer-left yet
    b->receive(text_frame(protocol::build_signal(ann.peer_id(), "{}")));
    CHECK(b->take() == Strings{"error:peer-away"});
    a->deliver(protocol::build_pong()); // nothing is written after the end
    CHECK(a->take().empty());

    w.state.rooms->expire(w.t0 + 4999ms);
    CHECK(w.state.metrics.peers == 2);
    w.state.rooms->expire(w.t0 + 5000ms);
    CHECK(w.state.metrics.peers == 1);
    CHECK(b->take() == Strings{"peer-left"});
}

TEST_CASE("ws session: with a TURN server, ice-servers precedes joined and is renewed by sweep",
          "[server][websocket_session]") {
    Limits limits;
    limits.idle_timeout = 3600s; // the renewal, not the idle ping, is under test
    World w(limits, 3478);       // turn_ttl is 100 s: renewed after 80 s
    const OpenSslCrypto ann;
    auto a = w.connect();
    // The phone reached us over IPv4 on a dual-stack socket: the URL names the IPv4 address.
    a->address = boost::asio::ip::make_address("::ffff:192.0.2.7");
    a->receive(signed_join(ann, w.read_challenge(*a), "stage"));
    const std::vector<ServerFrame> frames = a->take_frames();
    REQUIRE(describe(frames) == Strings{"ice-servers", "joined"});
    const json servers = frames[0].message()["servers"];
    REQUIRE(servers.size() == 2);
    CHECK(servers[0]["urls"] == "turn:192.0.2.7:3478?transport=udp");
    CHECK(servers[1]["urls"] == "turn:192.0.2.7:3478?transport=tcp");

    w.sweep_at(79s);
    CHECK(a->take().empty());
    w.sweep_at(80s);
    CHECK(a->take() == Strings{"ice-servers"});
    w.sweep_at(81s);
    CHECK(a->take().empty()); // renewed once, next at 160 s
    w.sweep_at(160s);
    CHECK(a->take() == Strings{"ice-servers"});
}

