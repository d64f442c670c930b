// presence.hpp: who is in the room while the server is gone. Each member announces itself,
// signed by its identity key, every interval; announcements travel the mesh and expire, so a
// member that vanished drops out of the count without anyone saying so. While the server is
// there it says who is in the room and nobody announces.
// Needs: core/peer_protocol.hpp (PresenceFrame).
//  [X] one entry per member: its latest announcement (name, session, when) and until when it holds
//  [X] an announcement is news only if it is later than the newest seen from its peer and its
//      clock is within max_skew_ms of ours (a replayed or far-future one is not); the newest
//      time is remembered after the entry expires, for as long as the skew window lets a
//      replay of it pass the clock check, so a departed member cannot be replayed back in
//  [X] the interval grows with the room, so the room's announcements stay a few per second
#pragma once

#include "core/peer_protocol.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace peddlenet {

class Presence {
public:
    // Announcements per second across the whole room stay near 1000 / per_member_ms.
    static constexpr double min_interval_ms = 30'000.0;
    static constexpr double per_member_ms = 200.0;
    // An announcement holds for this many intervals: one lost on the way does not drop anyone.
    static constexpr double intervals_held = 3.0;
    // Phones without a network clock drift; beyond this an announcement's time is refused.
    static constexpr std::int64_t max_skew_ms = 10 * 60 * 1000;
    static constexpr std::size_t max_entries = 8192;

    static double interval_ms(std::size_t room_size) {
        return std::max(min_interval_ms, static_cast<double>(room_size) * per_member_ms);
    }

    struct Entry {
        std::string name;
        std::string session;
        std::int64_t ts_ms = 0; // the announcement's own time
        double until = 0.0;     // monotonic ms: it holds until then
    };

    // Whether `p` is later than what we hold for its peer and its time is plausible.
    bool is_news(const PresenceFrame& p, std::int64_t wall_now) const;
    // Stores a verified announcement, held for intervals_held intervals of a room this size.
    void store(const PresenceFrame& p, double now, std::size_t room_size);
    // Drops entries that stopped holding at `now` (monotonic), and the newest times that the
    // clock check refuses by `wall_now` anyway.
    void expire(double now, std::int64_t wall_now);
    // Members whose announcement holds (not counting us).
    std::size_t count() const { return entries_.size(); }
    const Entry* find(const std::string& peer) const;
    void clear();

    // Our own announcements: whether one is due, and that one went out.
    bool announce_due(double now, std::size_t room_size) const {
        return now >= announced_at_ + interval_ms(room_size);
    }
    void announced(double now) { announced_at_ = now; }
    // The next announcement goes out at once (the server was just lost).
    void announce_soon() { announced_at_ = -1e18; }

private:
    std::map<std::string, Entry> entries_;
    std::map<std::string, std::int64_t> newest_; // peer -> newest announcement time seen
    double announced_at_ = -1e18;
};

} // namespace peddlenet
