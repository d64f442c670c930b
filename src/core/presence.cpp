// presence.cpp: see presence.hpp.
#include "core/presence.hpp"

namespace peddlenet {

bool Presence::is_news(const PresenceFrame& p, std::int64_t wall_now) const {
    if (p.ts_ms > wall_now + max_skew_ms || p.ts_ms < wall_now - max_skew_ms) return false;
    const auto it = newest_.find(p.peer);
    return it == newest_.end() || p.ts_ms > it->second;
}

void Presence::store(const PresenceFrame& p, double now, std::size_t room_size) {
    if (!newest_.count(p.peer) && newest_.size() >= max_entries) return;
    newest_[p.peer] = p.ts_ms;
    entries_[p.peer] = Entry{p.name, p.session, p.ts_ms, now + intervals_held * interval_ms(room_size)};
}

void Presence::expire(double now, std::int64_t wall_now) {
    for (auto it = entries_.begin(); it != entries_.end();)
        it = it->second.until <= now ? entries_.erase(it) : std::next(it);
    for (auto it = newest_.begin(); it != newest_.end();)
        it = it->second < wall_now - max_skew_ms && !entries_.count(it->first) ? newest_.erase(it)
                                                                               : std::next(it);
}

const Presence::Entry* Presence::find(const std::string& peer) const {
    const auto it = entries_.find(peer);
    return it == entries_.end() ? nullptr : &it->second;
}

void Presence::clear() {
    entries_.clear();
    newest_.clear();
    announced_at_ = -1e18;
}

} // namespace peddlenet
