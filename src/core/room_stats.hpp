// room_stats.hpp: what a room engine counted: input it dropped, and the work of the big-room
// relay. For tests, logs and the automation API.
// Needs: nothing but the standard library.
#pragma once

#include <cstdint>

namespace peddlenet {

// Counters of what the engine dropped, for tests, logs and the automation API.
struct RoomStats {
    std::uint64_t frames_dropped = 0;   // malformed, oversized or unknown data channel frames
    std::uint64_t forged_dropped = 0;   // msg not authored by its link, or sync claiming to be ours
    std::uint64_t signatures_dropped = 0; // msg or sync whose signature does not verify
    std::uint64_t proofs_failed = 0;    // links refused: wrong room key, identity or fingerprints
    std::uint64_t unproven_dropped = 0; // frames on a link not (or never) proven
    std::uint64_t sync_dropped = 0;     // sync beyond the budget, or before our hello
    std::uint64_t clock_dropped = 0;    // Lamport jump too large
    std::uint64_t duplicates = 0;       // messages already held
    std::uint64_t signals_dropped = 0;  // malformed signal data, or from a peer without a link
    std::uint64_t signals_ignored = 0;  // colliding offers (and their candidates) we ignored
    std::uint64_t signals_stale = 0;    // meant for another connection (bad envelope)
    std::uint64_t errors_swallowed = 0; // rtc errors of ignored offers
    std::uint64_t errors_reported = 0;  // rtc errors passed to callbacks.error
    std::uint64_t relayed = 0;          // messages forwarded in full to a neighbour (eager)
    std::uint64_t announced = 0;        // message ids announced to a neighbour (ihave)
    std::uint64_t fetched = 0;          // messages sent because a neighbour asked (iwant)
    std::uint64_t signals_routed = 0;   // signals sent or forwarded over data channels
    std::uint64_t signals_unroutable = 0; // no server and no neighbour reaches the peer
    std::uint64_t links_shed = 0;       // links closed because we had more than degree_high
    std::uint64_t links_refused_busy = 0; // link requests declined because we were full
    std::uint64_t links_timed_out = 0;  // links that did not open in time, or died
    std::uint64_t links_dropped = 0;    // big room: their channel closed or connection stayed down
    std::uint64_t links_unroutable = 0; // no server, and no neighbour lists the peer any more
    std::uint64_t ice_restarts = 0;     // restarts we began for links that went down
    std::uint64_t fresh_connections = 0; // connections replaced after an outage (ours or theirs)
    std::uint64_t presence_announced = 0; // our own presence announcements sent (server gone)
    std::uint64_t presence_relayed = 0; // others' announcements passed on
    std::uint64_t presence_dropped = 0; // stale, replayed, badly signed or far-clocked ones
};

} // namespace peddlenet
