// Links that die quietly, over the fake WebRTC world: a network that drops every packet for 40 s
// while the signaling server stays reachable, a data channel that closes under a live
// connection, the browser's network-change events, and an outage that never ends.
#include "fake_rtc.hpp"

#include <catch2/catch.hpp>

#include <memory>

using namespace peddlenet;
using namespace peddlenet::fake;

namespace {

using Pages = std::vector<std::unique_ptr<SimPeer>>;

Pages two_pages(World& world, FakeServer& server, std::uint64_t seed) {
    Pages pages;
    for (const char* label : {"x", "y"})
        pages.push_back(std::make_unique<SimPeer>(world, server, label, std::string("Name ") + label,
                                                  seed * 100 + pages.size()));
    for (auto& p : pages) p->join("r");
    world.run();
    for (auto& p : pages) REQUIRE(p->open_links() == 1);
    return pages;
}

bool has_text(const SimPeer& p, const std::string& text) {
    for (const ChatMessage& m : p.engine.messages())
        if (m.text == text) return true;
    return false;
}

// The impolite side of the pair: the one that replaces connections.
SimPeer& impolite(Pages& pages) { return is_polite(pages[0]->id, pages[1]->id) ? *pages[1] : *pages[0]; }

} // namespace

TEST_CASE("a link whose network drops every packet for 40 s is back within seconds of the network",
          "[mesh][recovery]") {
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
        INFO("seed " << seed);
        World world(seed);
        FakeServer server(world);
        Pages pages = two_pages(world, server, seed);
        SimPeer& x = *pages[0];
        SimPeer& y = *pages[1];
        world.block(x.id, y.id);
        REQUIRE(x.say("said in the outage").ok());
        run_ticking(world, pages, 40000.0);
        CHECK(x.engine.peer(y.id)->state != LinkState::open);
        CHECK_FALSE(has_text(y, "said in the outage"));
        // Both sides kept trying without giving the peer up; the impolite one replaced the
        // connection, within the bound.
        for (auto& p : pages) {
            CHECK(p->engine.stats().ice_restarts >= 3);
            CHECK(p->engine.stats().links_timed_out == 0);
            CHECK(p->engine.link_count() == 1);
        }
        CHECK(impolite(pages).engine.stats().fresh_connections >= 1);
        CHECK(impolite(pages).rtc.created <= 1 + LinkRecovery::max_fresh);

        world.unblock(x.id, y.id);
        const double back = run_ticking(world, pages, 30000.0, [&] { return has_text(y, "said in the outage"); });
        INFO("chat back after " << back << " ms");
        CHECK(back <= LinkRecovery::max_interval_ms + 1000.0);
        REQUIRE(x.open_links() == 1);
        REQUIRE(y.open_links() == 1);
        CHECK(x.engine.delivery(x.engine.messages().front()).state == DeliveryState::delivered);
        for (auto& p : pages) CHECK(p->errors == std::vector<std::string>{});
        CHECK(world.violations.empty());
    }
}

TEST_CASE("a short outage heals with ICE restarts alone, without a new connection", "[mesh][recovery]") {
    World world(3);
    FakeServer server(world);
    Pages pages = two_pages(world, server, 3);
    world.block(pages[0]->id, pages[1]->id);
    run_ticking(world, pages, 3000.0);
    world.unblock(pages[0]->id, pages[1]->id);
    run_ticking(world, pages, 15000.0, [&] { return pages[0]->open_links() == 1 && pages[1]->open_links() == 1; });
    for (auto& p : pages) {
        CHECK(p->open_links() == 1);
        CHECK(p->engine.stats().fresh_connections == 0);
        CHECK(p->rtc.created == 1);
    }
}

TEST_CASE("a data channel that closes while both connections and sockets stay up is replaced at once",
          "[mesh][recovery]") {
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
        INFO("seed " << seed);
        World world(seed);
        FakeServer server(world);
        Pages pages = two_pages(world, server, seed);
        SimPeer& x = *pages[0];
        SimPeer& y = *pages[1];
        world.close_channel(x.id, y.id);
        world.run();
        REQUIRE(x.say("after the channel closed").ok());
        const double back = run_ticking(world, pages, 30000.0, [&] { return has_text(y, "after the channel closed"); });
        INFO("chat back after " << back << " ms");
        // Before, the link waited out connect_timeout_ms (20 s) and then 3 times that to retry.
        CHECK(back <= 1000.0);
        REQUIRE(x.open_links() == 1);
        REQUIRE(y.open_links() == 1);
        for (auto& p : pages) {
            CHECK(p->engine.stats().fresh_connections == 1);
            CHECK(p->rtc.created == 2);
            CHECK(p->errors == std::vector<std::string>{});
        }
        CHECK(x.engine.delivery(x.engine.messages().front()).state == DeliveryState::delivered);
    }
}

TEST_CASE("a network change restarts ICE at once: on links that are down, and on links that are up",
          "[mesh][recovery]") {
    World world(5);
    FakeServer server(world);
    Pages pages = two_pages(world, server, 5);
    SimPeer& x = *pages[0];
    SimPeer& y = *pages[1];
    // Up: a restart on the spot, and the link stays open through it.
    x.engine.on_network_changed();
    CHECK(x.engine.stats().ice_restarts == 1);
    world.run();
    CHECK(x.open_links() == 1);
    REQUIRE(x.say("after the restart").ok());
    world.run();
    CHECK(has_text(y, "after the restart"));

    // Down, within the grace period: the event does not wait for it.
    world.block(x.id, y.id);
    while (world.scheduler.step()) world.now_ms += world.step_ms; // no timer: no ICE timeout
    CHECK(x.engine.peer(y.id)->state == LinkState::closed);
    x.engine.tick();
    CHECK(x.engine.stats().ice_restarts == 1);
    x.engine.on_network_changed();
    CHECK(x.engine.stats().ice_restarts == 2);
    world.unblock(x.id, y.id);
    run_ticking(world, pages, 5000.0, [&] { return x.open_links() == 1 && y.open_links() == 1; });
    CHECK(x.open_links() == 1);
    CHECK(y.open_links() == 1);
}

TEST_CASE("an outage that never ends is given up after give_up_ms, within the connection budget",
          "[mesh][recovery]") {
    World world(7);
    FakeServer server(world);
    Pages pages = two_pages(world, server, 7);
    world.block(pages[0]->id, pages[1]->id);
    run_ticking(world, pages, LinkRecovery::give_up_ms + 2000.0);
    for (auto& p : pages) {
        INFO(p->id);
        CHECK(p->engine.stats().links_timed_out >= 1);
        // One connection, max_fresh replacements, and the retries of a plain failed link after.
        CHECK(p->rtc.created <= 1 + LinkRecovery::max_fresh + 2);
        // About one restart per 10 s for 10 minutes, not one per tick.
        CHECK(p->engine.stats().ice_restarts <= 70);
    }
}

TEST_CASE("a peer's 'fresh' announcements cannot make us spend connections in a loop", "[mesh][recovery]") {
    World world(11);
    FakeServer server(world);
    Pages pages = two_pages(world, server, 11);
    SimPeer& loud = impolite(pages); // only the impolite side's announcement is ever honoured
    SimPeer& quiet = &loud == pages[0].get() ? *pages[1] : *pages[0];
    json signal = server.last_signal.at({loud.id, quiet.id}); // a real one: its envelope is right
    REQUIRE(signal.contains("conn"));
    const std::uint64_t conn = signal["conn"];
    const std::size_t created = quiet.rtc.created;
    signal["fresh"] = 1;
    signal.erase("to_conn"); // as a new connection's first signal: it does not know ours yet
    // The connection the link already talks to: no replacement.
    quiet.engine.on_signal(loud.id, signal);
    CHECK(quiet.rtc.created == created);
    // A newer one: replaced once; the same again, or a newer still within the second: dropped.
    world.now_ms += 2000.0;
    signal["conn"] = conn + 1;
    quiet.engine.on_signal(loud.id, signal);
    CHECK(quiet.rtc.created == created + 1);
    quiet.engine.on_signal(loud.id, signal);
    signal["conn"] = conn + 2;
    quiet.engine.on_signal(loud.id, signal);
    CHECK(quiet.rtc.created == created + 1);
    CHECK(quiet.engine.stats().fresh_connections == 1);
    // After the second, a newer announcement is honoured again.
    world.now_ms += 1500.0;
    signal["conn"] = conn + 3;
    quiet.engine.on_signal(loud.id, signal);
    CHECK(quiet.rtc.created == created + 2);
}
