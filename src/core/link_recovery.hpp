// link_recovery.hpp: what to do, and when, for a link whose connection went down after it had
// been up (Wi-Fi roaming, a phone walking out of range, a relay that lost its allocation).
// Browsers recover a connection by themselves only while its ICE pair still works; once packets
// stop for long, the connection stays down until it gets new ICE credentials (an ICE restart),
// and a connection whose restarts do not take is better replaced by a fresh one.
// Needs: core/rtc_transport.hpp (PeerConnectionState).
//  [X] an outage starts when the connection of a proven link leaves "connected"; it ends when a
//      connection of that link is "connected" again
//  [X] an ICE restart once the connection has stayed down for restart_grace_ms, then again at
//      growing intervals up to max_interval_ms, for as long as it lasts; at once on "failed"
//      (the browser gave up on those credentials)
//  [X] after restarts_before_fresh restarts that did not take, a fresh connection (the caller
//      decides whether this side may make one), at most max_fresh per outage
//  [X] a data channel that closes while its connection lives on (the peer's page closed it, or
//      SCTP gave up): a fresh connection at once, since a restart cannot reopen a channel
//  [X] a network change (the browser's online / connection change) makes a restart due at once
//  [X] an outage longer than give_up_ms ends the recovery: the link fails like any other
#pragma once

#include "core/rtc_transport.hpp"

#include <cstdint>
#include <optional>

namespace peddlenet {

class LinkRecovery {
public:
    // A connection that is down this long without "failed" gets its first restart: long enough
    // for a blip (a browser's own consent checks ride those out), short enough to be unnoticed.
    static constexpr double restart_grace_ms = 2000.0;
    static constexpr double first_interval_ms = 2500.0; // between restarts, doubling ...
    static constexpr double max_interval_ms = 10000.0;  // ... up to this
    static constexpr unsigned restarts_before_fresh = 2;
    static constexpr unsigned max_fresh = 3; // each costs an RTCPeerConnection of the page's budget
    static constexpr double give_up_ms = 10 * 60 * 1000.0;

    enum class Step : std::uint8_t { none, restart_ice, fresh_connection };

    // The link proved itself on this connection (it is up, and worth recovering from now on).
    void proven();
    // Every state the connection reports.
    void connection_changed(PeerConnectionState state, double now);
    // The data channel closed while the connection may live on: an ICE restart cannot reopen
    // it, so a fresh connection is due at once.
    void channel_closed(double now);
    // The network changed under us: whatever is down is retried now.
    void network_changed(double now);
    // What is due now, if anything; the step is taken as counted (call it once per tick).
    // `may_replace`: this side may make a fresh connection (the other side follows it).
    Step due(double now, bool may_replace);

    // The connection was up once and is down now, and the recovery has not given up. A fresh
    // connection inherits its predecessor's recovery: the outage goes on until it connects.
    bool recovering(double now) const;
    bool was_up() const { return was_up_; }
    std::optional<double> down_since() const { return down_since_; }
    unsigned restarts() const { return restarts_; }
    unsigned fresh_connections() const { return fresh_; }

private:
    bool was_up_ = false;
    std::optional<double> down_since_;
    double next_at_ = 0.0;
    unsigned restarts_ = 0;       // in this outage
    unsigned since_fresh_ = 0;    // restarts since the last fresh connection
    unsigned fresh_ = 0;          // fresh connections in this outage
};

} // namespace peddlenet
