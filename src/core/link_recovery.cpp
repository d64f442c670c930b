#include "core/link_recovery.hpp"

#include <algorithm>

namespace peddlenet {

void LinkRecovery::proven() {
    was_up_ = true;
    down_since_.reset();
    restarts_ = since_fresh_ = fresh_ = 0;
}

void LinkRecovery::connection_changed(PeerConnectionState state, double now) {
    switch (state) {
    case PeerConnectionState::connected:
        if (was_up_) proven();
        break;
    case PeerConnectionState::disconnected:
    case PeerConnectionState::failed:
        if (!was_up_) break; // never up: the connect timeout handles it
        if (!down_since_) {
            down_since_ = now;
            next_at_ = now + restart_grace_ms;
        }
        // The browser gave up on the current credentials: nothing comes back without new ones.
        if (state == PeerConnectionState::failed) next_at_ = std::min(next_at_, now);
        break;
    case PeerConnectionState::new_:
    case PeerConnectionState::connecting:
    case PeerConnectionState::closed:
        break; // a restart or a fresh connection under way, or closed by us: no news
    }
}

void LinkRecovery::channel_closed(double now) {
    if (!was_up_) return;
    if (!down_since_) down_since_ = now;
    since_fresh_ = restarts_before_fresh;
    next_at_ = std::min(next_at_, now);
}

void LinkRecovery::network_changed(double now) {
    if (down_since_) next_at_ = std::min(next_at_, now);
}

LinkRecovery::Step LinkRecovery::due(double now, bool may_replace) {
    if (!recovering(now) || now < next_at_) return Step::none;
    if (may_replace && since_fresh_ >= restarts_before_fresh && fresh_ < max_fresh) {
        ++fresh_;
        since_fresh_ = 0;
        // A new connection gathers and checks from scratch: give it the longest interval.
        next_at_ = now + max_interval_ms;
        return Step::fresh_connection;
    }
    ++restarts_;
    ++since_fresh_;
    double interval = first_interval_ms;
    for (unsigned i = 1; i < restarts_ && interval < max_interval_ms; ++i) interval *= 2.0;
    next_at_ = now + std::min(interval, max_interval_ms);
    return Step::restart_ice;
}

bool LinkRecovery::recovering(double now) const {
    return was_up_ && down_since_ && now - *down_since_ < give_up_ms;
}

} // namespace peddlenet
