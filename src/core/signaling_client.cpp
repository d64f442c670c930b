// signaling_client.cpp: see signaling_client.hpp.
#include "core/signaling_client.hpp"

#include "core/room_engine.hpp"

#include <algorithm>
#include <limits>
#include <type_traits>

namespace peddlenet {

namespace {
// Error codes that answer a join (the only message we send before `joined`).
bool refuses_join(std::string_view code) {
    using protocol::ErrorCode;
    for (const ErrorCode c : {ErrorCode::bad_field, ErrorCode::auth_required, ErrorCode::bad_key,
                              ErrorCode::bad_signature, ErrorCode::room_full,
                              ErrorCode::too_many_rooms})
        if (code == protocol::slug(c)) return true;
    return false;
}
} // namespace

std::string_view to_string(SignalingStatus s) {
    switch (s) {
    case SignalingStatus::offline: return "offline";
    case SignalingStatus::connecting: return "connecting";
    case SignalingStatus::online: return "online";
    }
    return "offline";
}

SignalingClient::SignalingClient(SignalingSocket& socket, RoomEngine& engine,
                                 SignalingCallbacks callbacks, RandomSource random,
                                 std::function<double()> monotonic_ms, SignalingParams params)
    : socket_(socket), engine_(engine), callbacks_(std::move(callbacks)),
      now_(std::move(monotonic_ms)), params_(params), backoff_(std::move(random), params.backoff) {}

void SignalingClient::start(std::string url) {
    url_ = std::move(url);
    running_ = true;
    backoff_.reset();
    connect();
}

void SignalingClient::stop() {
    running_ = false;
    socket_.close();
    if (joined_) engine_.on_signaling_lost();
    joined_ = false;
    nonce_.reset();
    forget_join();
    set_status(SignalingStatus::offline);
}

void SignalingClient::connect() {
    set_status(SignalingStatus::connecting);
    last_heard_ms_ = now_();
    nonce_.reset(); // every connection has its own challenge
    forget_join();
    socket_.open(url_);
}

void SignalingClient::join(std::string room, std::string name) {
    if (room_ && *room_ != room) {
        // The server has (or will have) us in the old room: leave it first. A signature still
        // on its way is for the old room and is dropped.
        if (joined_ || step_ == JoinStep::sent) leave();
        forget_join();
    }
    room_ = std::move(room);
    name_ = std::move(name);
    request_join();
}

void SignalingClient::leave() {
    if (status_ == SignalingStatus::online && (joined_ || step_ == JoinStep::sent))
        socket_.send(protocol::build_leave());
    room_.reset();
    joined_ = false;
    forget_join();
}

void SignalingClient::forget_join() {
    step_ = JoinStep::idle;
    ++attempt_;
}

// Asks for the join's signature once everything it signs is known: the connection's challenge,
// the room and our id.
void SignalingClient::request_join() {
    if (status_ != SignalingStatus::online || !nonce_ || !room_ || joined_ ||
        step_ != JoinStep::idle)
        return;
    step_ = JoinStep::signing;
    const std::uint64_t attempt = ++attempt_;
    if (!callbacks_.sign_join) return on_signed(attempt, {});
    callbacks_.sign_join(
        protocol::join_signing_payload(*nonce_, *room_, engine_.self_id()),
        [self = std::weak_ptr<SignalingClient*>(self_), attempt](std::string sig) {
            if (const auto alive = self.lock()) (*alive)->on_signed(attempt, std::move(sig));
        });
}

void SignalingClient::on_signed(std::uint64_t attempt, std::string sig) {
    // Anything since the request (new connection, leave, another room) outdated the signature.
    if (attempt != attempt_ || step_ != JoinStep::signing) return;
    step_ = JoinStep::idle;
    if (sig.empty()) {
        // No retry loop: the next join() or connection asks again.
        if (callbacks_.error)
            callbacks_.error("sign-failed", "this device could not sign its join of the room");
        return;
    }
    socket_.send(protocol::build_join(*room_, engine_.self_id(), name_, sig));
    step_ = JoinStep::sent;
}

void SignalingClient::set_status(SignalingStatus s) {
    if (status_ == s) return;
    status_ = s;
    if (callbacks_.status_changed) callbacks_.status_changed();
}

void SignalingClient::on_open() {
    const double now = now_();
    last_heard_ms_ = last_ping_ms_ = now;
    set_status(SignalingStatus::online);
    // The join waits for the server's challenge, its first frame.
}

void SignalingClient::on_message(std::string_view text) {
    last_heard_ms_ = now_();
    auto parsed = protocol::parse_server(text);
    if (!parsed.ok()) {
        if (callbacks_.error)
            callbacks_.error(std::string(protocol::slug(parsed.problem.code)),
                             parsed.problem.message);
        return;
    }
    std::visit(
        [this](auto& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, protocol::Challenge>) {
                if (nonce_) return; // one per connection: the join signs the first
                nonce_ = std::move(m.nonce);
                request_join();
            } else if constexpr (std::is_same_v<T, protocol::Joined>) {
                if (!room_ || m.room != *room_) return; // a join we no longer want
                joined_ = true;
                step_ = JoinStep::idle;
                backoff_.reset(); // only a completed join counts as a healthy connection
                std::vector<RoomMember> members;
                members.reserve(m.peers.size());
                for (auto& p : m.peers)
                    members.push_back(
                        {std::move(p.peer), std::move(p.name), std::move(p.session)});
                engine_.on_joined(m.room, m.peer, m.session, members, m.size);
                if (callbacks_.joined) callbacks_.joined(m.room);
            } else if constexpr (std::is_same_v<T, protocol::PeerJoined>) {
                if (joined_) engine_.on_peer_joined(m.peer, m.name, m.session);
            } else if constexpr (std::is_same_v<T, protocol::PeerRejoined>) {
                if (joined_) engine_.on_peer_rejoined(m.peer, m.name, m.session);
            } else if constexpr (std::is_same_v<T, protocol::PeerLeft>) {
                if (joined_) engine_.on_peer_left(m.peer);
            } else if constexpr (std::is_same_v<T, protocol::SignalFrom>) {
                if (joined_) engine_.on_signal(m.from, m.data); // already parsed, an object
            } else if constexpr (std::is_same_v<T, protocol::IceServers>) {
                if (callbacks_.ice_servers) callbacks_.ice_servers(m.servers, m.expires_unix);
            } else if constexpr (std::is_same_v<T, protocol::Pong>) {
                // last_heard_ms_ is already updated: that is all a pong is for.
            } else if constexpr (std::is_same_v<T, protocol::ServerError>) {
                if (m.code == protocol::slug(protocol::ErrorCode::replaced)) {
                    // Another tab or device took over this peer id; reconnecting would only
                    // take it back and start a tug of war.
                    running_ = false;
                }
                // A refused join (bad proof, full room, ...) may be asked for again by join().
                if (step_ == JoinStep::sent && refuses_join(m.code)) step_ = JoinStep::idle;
                if (callbacks_.error) callbacks_.error(m.code, m.message);
            }
        },
        *parsed.value);
}

void SignalingClient::on_closed() {
    lost();
}

void SignalingClient::lost() {
    if (joined_) engine_.on_signaling_lost(); // open data channels keep working
    joined_ = false;
    nonce_.reset();
    forget_join();
    set_status(SignalingStatus::offline);
    if (running_) retry_at_ms_ = now_() + backoff_.next_delay_ms();
}

void SignalingClient::tick() {
    if (!running_) return;
    const double now = now_();
    if (status_ == SignalingStatus::offline) {
        if (now >= retry_at_ms_) connect();
        return;
    }
    if (now - last_heard_ms_ > params_.silence_limit_ms) {
        socket_.close(); // no close event follows our own close: handle the loss here
        lost();
        return;
    }
    if (status_ == SignalingStatus::online && now - last_ping_ms_ >= params_.keepalive_ms) {
        last_ping_ms_ = now;
        socket_.send(protocol::build_ping());
    }
}

double SignalingClient::ms_until_next_tick() const {
    if (!running_) return std::numeric_limits<double>::infinity();
    const double now = now_();
    if (status_ == SignalingStatus::offline) return std::max(0.0, retry_at_ms_ - now);
    const double ping_due = last_ping_ms_ + params_.keepalive_ms - now;
    const double silence_due = last_heard_ms_ + params_.silence_limit_ms - now;
    return std::max(0.0, std::min(ping_due, silence_due));
}

} // namespace peddlenet
