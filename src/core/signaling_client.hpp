// signaling_client.hpp: the app's side of the signaling server: one WebSocket, the room join,
// reconnection with backoff, and the server's events turned into RoomEngine calls.
// Needs: core/signaling_protocol.hpp (wire format), core/room_engine.hpp, core/backoff.hpp.
// Platform-free: the socket is an interface (browser binding or test fake), time is injected.
//  [X] status offline / connecting / online; reconnect with capped exponential backoff + jitter
//  [X] the current room is (re)joined on every connection, so a server restart heals by itself
//  [X] protocol v2: waits for the server's challenge, has the injected (asynchronous) signer sign
//      join_signing_payload(), sends the join when the signature comes back; a signature for an
//      older connection, another room or a left room is dropped
//  [X] joined / peer-joined / peer-rejoined / peer-left (with the server's sessions) / signal
//      (its data already parsed) forwarded to the engine
//  [X] keepalive pings; a silent server (no pong) is treated as gone
//  [X] "replaced" (the same peer id opened elsewhere): stop reconnecting instead of fighting
#pragma once

#include "core/backoff.hpp"
#include "core/random.hpp"
#include "core/signaling_protocol.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace peddlenet {

class RoomEngine;

// What the client needs from a WebSocket. Events come back through SignalingClient::on_*.
class SignalingSocket {
public:
    virtual ~SignalingSocket() = default;
    // Opens (closing any previous socket); later on_open, or on_closed when it fails.
    virtual void open(const std::string& url) = 0;
    // False when not open.
    virtual bool send(std::string_view text) = 0;
    // Closes; no event of the closed socket arrives afterwards.
    virtual void close() = 0;
};

enum class SignalingStatus { offline, connecting, online };
std::string_view to_string(SignalingStatus s); // "offline", "connecting", "online"

struct SignalingCallbacks {
    // The server confirmed our join of `room`.
    std::function<void(const std::string& room)> joined;
    // The server refused something (error frame), or the client gave up ("replaced").
    std::function<void(const std::string& code, const std::string& message)> error;
    // status() changed.
    std::function<void()> status_changed;
    // Signs `payload` (protocol::join_signing_payload) with this device's identity key, the one
    // the engine's self_id spells. `done` may be called later, from another event, or never;
    // with the base64url signature, or with "" on failure (then error("sign-failed", ...)).
    // Calling `done` after the client is gone, or for an outdated join, is safe and ignored.
    std::function<void(const std::string& payload,
                       std::function<void(std::string sig_b64url)> done)>
        sign_join;
    // The server's ICE servers (its TURN server, with credentials for us until `expires_unix`),
    // checked: for the connections made from now on.
    std::function<void(const nlohmann::json& servers, std::int64_t expires_unix)> ice_servers;
};

struct SignalingParams {
    // keepalive_ms: double, default = 20000. Ping interval: below the 30-60 s idle timeouts of
    // common NATs and proxies, rare enough to cost nothing.
    double keepalive_ms = 20000.0;
    // silence_limit_ms: double, default = 45000. No frame at all for this long means the server
    // (or the path to it) is gone even if the socket still looks open: reconnect.
    double silence_limit_ms = 45000.0;
    BackoffParams backoff;
};

class SignalingClient {
public:
    SignalingClient(SignalingSocket& socket, RoomEngine& engine, SignalingCallbacks callbacks,
                    RandomSource random, std::function<double()> monotonic_ms,
                    SignalingParams params = {});
    SignalingClient(const SignalingClient&) = delete;
    SignalingClient& operator=(const SignalingClient&) = delete;

    // Connects to `url` and keeps reconnecting until stop().
    void start(std::string url);
    void stop();

    // Joins `room` as the engine's peer with `name`: once the connection's challenge is in and
    // the signer answered (now if online, else on connect). The engine must already have
    // entered the room (it owns history and links).
    void join(std::string room, std::string name);
    // Leaves the current room (tells the server if online).
    void leave();
    const std::optional<std::string>& room() const { return room_; }

    SignalingStatus status() const { return status_; }
    // True between the server's `joined` and the connection's loss or leave().
    bool joined() const { return joined_; }

    // Reconnects when the backoff delay has passed, sends keepalives. Call every frame or timer.
    void tick();
    // Milliseconds until tick() has something to do (for an idle app's wake-up timer).
    double ms_until_next_tick() const;

    // ---- from the socket ----
    void on_open();
    void on_message(std::string_view text);
    void on_closed();

private:
    // Where this connection's join of room_ stands (joined_ is the last step).
    enum class JoinStep : std::uint8_t { idle, signing, sent };

    void connect();
    void set_status(SignalingStatus s);
    void lost();
    void request_join();
    void on_signed(std::uint64_t attempt, std::string sig);
    void forget_join(); // outdates a signature in flight

    SignalingSocket& socket_;
    RoomEngine& engine_;
    SignalingCallbacks callbacks_;
    std::function<double()> now_;
    SignalingParams params_;
    Backoff backoff_;
    std::string url_;
    bool running_ = false;
    SignalingStatus status_ = SignalingStatus::offline;
    std::optional<std::string> room_;
    std::string name_;
    bool joined_ = false;
    std::optional<std::string> nonce_; // this connection's challenge, once received
    JoinStep step_ = JoinStep::idle;
    std::uint64_t attempt_ = 0; // numbers sign requests; only the latest one's answer counts
    // Signer completions hold a weak_ptr to this: an answer after destruction finds it expired.
    std::shared_ptr<SignalingClient*> self_ = std::make_shared<SignalingClient*>(this);
    double retry_at_ms_ = 0;     // when offline and running: next connection attempt
    double last_heard_ms_ = 0;   // last frame from the server
    double last_ping_ms_ = 0;
};

} // namespace peddlenet
