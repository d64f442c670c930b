// LinkRecovery: the schedule of ICE restarts and fresh connections for a link that went down.
#include "core/link_recovery.hpp"

#include <catch2/catch.hpp>

using namespace peddlenet;
using Step = LinkRecovery::Step;

TEST_CASE("recovery: nothing for a connection that was never proven", "[recovery]") {
    LinkRecovery r;
    r.connection_changed(PeerConnectionState::connected, 0);
    r.connection_changed(PeerConnectionState::failed, 100);
    CHECK_FALSE(r.recovering(100));
    CHECK(r.due(100000, true) == Step::none);
}

TEST_CASE("recovery: restarts after the grace period, at growing intervals, then a fresh connection",
          "[recovery]") {
    LinkRecovery r;
    r.proven();
    r.connection_changed(PeerConnectionState::disconnected, 1000);
    CHECK(r.recovering(1000));
    CHECK(r.due(1000 + LinkRecovery::restart_grace_ms - 1, true) == Step::none);
    double t = 1000 + LinkRecovery::restart_grace_ms;
    CHECK(r.due(t, true) == Step::restart_ice);
    CHECK(r.due(t, true) == Step::none); // taken once
    CHECK(r.due(t + 2499, true) == Step::none);
    t += 2500;
    CHECK(r.due(t, true) == Step::restart_ice);
    t += 5000; // the interval doubled
    // Two restarts did not take: the side that may replace makes a fresh connection ...
    CHECK(r.due(t, true) == Step::fresh_connection);
    CHECK(r.fresh_connections() == 1);
    // ... and the new connection gets the longest interval before its first restart.
    CHECK(r.due(t + LinkRecovery::max_interval_ms - 1, true) == Step::none);
    CHECK(r.due(t + LinkRecovery::max_interval_ms, true) == Step::restart_ice);
    CHECK(r.restarts() == 3);
}

TEST_CASE("recovery: the side that may not replace keeps restarting, never faster than the cap",
          "[recovery]") {
    LinkRecovery r;
    r.proven();
    r.connection_changed(PeerConnectionState::disconnected, 0);
    double last = -1;
    int restarts = 0;
    for (double t = 0; t < 120000; t += 100) {
        const Step step = r.due(t, false);
        REQUIRE(step != Step::fresh_connection);
        if (step == Step::restart_ice) {
            if (last >= 0) CHECK(t - last <= LinkRecovery::max_interval_ms);
            last = t;
            ++restarts;
        }
    }
    CHECK(restarts >= 12); // about one per 10 s once the interval is capped
    CHECK(restarts <= 15);
}

TEST_CASE("recovery: fresh connections are bounded per outage, and the outage ends on connected",
          "[recovery]") {
    LinkRecovery r;
    r.proven();
    r.connection_changed(PeerConnectionState::failed, 0);
    int fresh = 0;
    for (double t = 0; t < 300000; t += 100)
        if (r.due(t, true) == Step::fresh_connection) ++fresh;
    CHECK(fresh == static_cast<int>(LinkRecovery::max_fresh));
    r.connection_changed(PeerConnectionState::connected, 300000);
    CHECK_FALSE(r.recovering(300000));
    CHECK(r.restarts() == 0);
    CHECK(r.fresh_connections() == 0);
    // A later outage starts its own count.
    r.connection_changed(PeerConnectionState::failed, 400000);
    CHECK(r.due(400000, true) == Step::restart_ice); // "failed": at once, no grace
}

TEST_CASE("recovery: a closed channel wants a fresh connection at once; a network change a restart",
          "[recovery]") {
    LinkRecovery closed;
    closed.proven();
    closed.channel_closed(5000);
    CHECK(closed.recovering(5000));
    CHECK(closed.due(5000, true) == Step::fresh_connection);

    LinkRecovery down;
    down.proven();
    down.connection_changed(PeerConnectionState::disconnected, 0);
    CHECK(down.due(500, true) == Step::none);
    down.network_changed(600);
    CHECK(down.due(600, true) == Step::restart_ice);
}

TEST_CASE("recovery: gives up after give_up_ms", "[recovery]") {
    LinkRecovery r;
    r.proven();
    r.connection_changed(PeerConnectionState::disconnected, 0);
    CHECK(r.recovering(LinkRecovery::give_up_ms - 1));
    CHECK_FALSE(r.recovering(LinkRecovery::give_up_ms));
    CHECK(r.due(LinkRecovery::give_up_ms + 1, true) == Step::none);
}
