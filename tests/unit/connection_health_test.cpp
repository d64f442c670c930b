// Connection health (core/connection_health.hpp): the original PeddleNet's score, and the
// engine counting each connection once, opened or given up.
#include "core/connection_health.hpp"
#include "fake_rtc.hpp"

#include <catch2/catch.hpp>

using namespace peddlenet;
using namespace peddlenet::fake;

TEST_CASE("health score: 70 for the share of attempts that opened, 30 for speed", "[health]") {
    ConnectionHealth h;
    CHECK_FALSE(h.score());
    CHECK_FALSE(h.mean_connect_ms());
    h.opened(0.0);
    CHECK(h.score() == 100);
    h.opened(5000.0); // mean 2500 ms: half the speed points
    CHECK(h.mean_connect_ms() == Approx(2500.0));
    CHECK(h.score() == 85);
    h.failed(); // 2 of 3 opened
    CHECK(h.attempts() == 3);
    CHECK(h.successes() == 2);
    CHECK(h.score() == 62); // 70 * 2/3 + 30 * 0.5 = 61.67
    h.opened(20000.0); // slower than 5 s on average earns no speed points, never negative
    CHECK(h.score() == 53); // 70 * 3/4 + 0
    ConnectionHealth never;
    never.failed();
    CHECK(never.score() == 0);
    CHECK_FALSE(never.mean_connect_ms());
    // Only the last 100 attempts count.
    ConnectionHealth old;
    for (int i = 0; i < 100; ++i) old.failed();
    for (int i = 0; i < 100; ++i) old.opened(1000.0);
    CHECK(old.attempts() == 100);
    CHECK(old.score() == 94); // 70 + 30 * 0.8
}

TEST_CASE("the engine counts each connection once: opened with its time, or given up",
          "[mesh][health]") {
    World world(5);
    FakeServer server(world);
    SimPeer a(world, server, "alice", "Alice", 1), b(world, server, "bob", "Bob", 2);
    a.join("r");
    b.join("r");
    world.run();
    REQUIRE(a.open_links() == 1);
    const ConnectionHealth* h = a.engine.health(b.id);
    REQUIRE(h != nullptr);
    CHECK(h->attempts() == 1);
    CHECK(h->successes() == 1);
    CHECK(*h->score() >= 70);
    CHECK(a.engine.room_health().attempts() == 1);

    // Carol's join reaches the room, then nothing more gets through the server: her links
    // never open, and are given up after the connect timeout.
    SimPeer carol(world, server, "carol", "Carol", 3);
    carol.join("r");
    server.up = false;
    const double until = world.now_ms + RoomParams{}.connect_timeout_ms + 2000.0;
    while (world.now_ms < until) {
        world.run();
        world.now_ms += 100.0;
        a.engine.tick();
        b.engine.tick();
        carol.engine.tick();
    }
    const ConnectionHealth* hc = a.engine.health(carol.id);
    REQUIRE(hc != nullptr);
    CHECK(hc->attempts() == 1);
    CHECK(hc->successes() == 0);
    CHECK(hc->score() == 0);
    CHECK(a.engine.room_health().attempts() == 2);
    CHECK(a.engine.room_health().successes() == 1);
    CHECK(a.engine.health(b.id)->attempts() == 1); // the open link did not count again
}
