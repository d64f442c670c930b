// Room engine over the fake WebRTC world (fake_rtc.hpp): full mesh, perfect negotiation under
// many interleavings, chat order, reconciliation, delivery, rejoin, leave and signaling loss.
#include "fake_rtc.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <set>

using namespace peddlenet;
using namespace peddlenet::fake;

namespace {

using Peers = std::vector<std::unique_ptr<SimPeer>>;

Peers make_peers(World& world, FakeServer& server, std::vector<std::string> ids,
                 std::uint64_t seed) {
    Peers peers;
    for (std::size_t i = 0; i < ids.size(); ++i)
        peers.push_back(std::make_unique<SimPeer>(world, server, ids[i], "Name " + ids[i],
                                                  seed * 100 + i));
    return peers;
}

// Every peer has an open link to every other one, and nothing went wrong on the way.
void require_full_mesh(const World& world, const Peers& peers) {
    REQUIRE(world.violations.empty());
    for (const auto& p : peers) {
        INFO(p->id);
        CHECK(p->errors == std::vector<std::string>{});
        REQUIRE(p->open_links() == peers.size() - 1);
        REQUIRE(p->engine.link_count() == peers.size() - 1);
        REQUIRE(p->errors.empty());
        for (const LinkInfo& l : p->engine.peers()) {
            const PerfectNegotiation* n = p->engine.negotiation(l.peer);
            REQUIRE(n != nullptr);
            CHECK_FALSE(n->making_offer());
            CHECK(n->buffered_candidates() == 0);
        }
    }
}

// Joins everybody to `room`, letting `stagger` scheduler steps pass between the joins.
void join_all(World& world, Peers& peers, const std::string& room, std::size_t stagger = 0) {
    for (auto& p : peers) {
        p->join(room);
        for (std::size_t k = 0; k < stagger; ++k) world.scheduler.step();
    }
    world.run();
}

const ChatMessage* find_text(const SimPeer& p, const std::string& text) {
    for (const ChatMessage& m : p.engine.messages())
        if (m.text == text) return &m;
    return nullptr;
}

} // namespace

TEST_CASE("two and three peers reach a full mesh under 400 interleavings, and again after both "
          "ends of every link restart ICE at once (glare)",
          "[mesh]") {
    std::uint64_t ignored = 0, rollbacks = 0, glare_seeds = 0;
    for (std::uint64_t seed = 1; seed <= 400; ++seed) {
        INFO("seed " << seed);
        World world(seed);
        FakeServer server(world);
        Peers peers = seed % 2 ? make_peers(world, server, {"mango", "apple"}, seed)
                               : make_peers(world, server, {"kiwi", "fig", "plum"}, seed);
        join_all(world, peers, "stage", seed % 9);
        require_full_mesh(world, peers);
        // A new link never starts in glare (only the impolite side opens the channel), but a
        // network change makes both ends restart ICE together: both offer.
        for (const auto& p : peers)
            for (const LinkInfo& l : p->engine.peers()) p->rtc.restart_ice(l.peer);
        world.run();
        require_full_mesh(world, peers);
        std::uint64_t seed_ignored = 0;
        for (const auto& p : peers) seed_ignored += p->engine.stats().signals_ignored;
        ignored += seed_ignored;
        rollbacks += world.rollbacks;
        glare_seeds += (seed_ignored > 0 || world.rollbacks > 0);
    }
    // Both halves of perfect negotiation were really exercised, many times.
    CHECK(ignored > 50);
    CHECK(rollbacks > 50);
    CHECK(glare_seeds > 100);
}

TEST_CASE("ICE candidates that overtake their description are buffered, then added", "[mesh]") {
    std::size_t seeds_with_buffering = 0;
    for (std::uint64_t seed = 1; seed <= 200; ++seed) {
        INFO("seed " << seed);
        World world(seed);
        FakeServer server(world);
        server.candidates_overtake = true;
        Peers peers = seed % 2 ? make_peers(world, server, {"one", "two"}, seed)
                               : make_peers(world, server, {"one", "two", "six"}, seed);
        for (auto& p : peers) p->join("r");
        bool buffered = false;
        while (world.scheduler.step()) {
            world.now_ms += world.step_ms;
            for (const auto& p : peers)
                for (const LinkInfo& l : p->engine.peers())
                    if (const auto* n = p->engine.negotiation(l.peer))
                        buffered |= n->buffered_candidates() > 0;
        }
        seeds_with_buffering += buffered;
        require_full_mesh(world, peers);
    }
    CHECK(seeds_with_buffering > 50);
}

TEST_CASE("the peer with the smaller id is the polite one", "[mesh]") {
    World world(7);
    FakeServer server(world);
    Peers peers = make_peers(world, server, {"bob", "alice"}, 7);
    join_all(world, peers, "r");
    SimPeer& smaller = peers[0]->id < peers[1]->id ? *peers[0] : *peers[1];
    SimPeer& larger = &smaller == peers[0].get() ? *peers[1] : *peers[0];
    REQUIRE(smaller.engine.negotiation(larger.id)->polite() == true);
    REQUIRE(larger.engine.negotiation(smaller.id)->polite() == false);
}

TEST_CASE("messages flow both ways and every peer shows the same order", "[mesh][chat]") {
    for (std::uint64_t seed = 1; seed <= 60; ++seed) {
        INFO("seed " << seed);
        World world(seed);
        FakeServer server(world);
        Peers peers = make_peers(world, server, {"a1", "b2", "c3"}, seed);
        join_all(world, peers, "r", seed % 5);
        require_full_mesh(world, peers);
        // Concurrent bursts: each peer talks before seeing the others' messages.
        for (int round = 0; round < 5; ++round) {
            for (auto& p : peers) REQUIRE(p->say(p->id + " says " + std::to_string(round)).ok());
            for (std::uint64_t k = 0; k < seed % 13; ++k) world.scheduler.step();
        }
        world.run();
        const std::vector<std::string> order = peers[0]->ids();
        REQUIRE(order.size() == 15);
        for (const auto& p : peers) {
            REQUIRE(p->ids() == order);
            CHECK(p->engine.stats().frames_dropped == 0);
            CHECK(p->engine.stats().duplicates == 0);
        }
        // Each author's own messages keep their sending order.
        for (const auto& p : peers) {
            std::vector<std::string> mine;
            for (const ChatMessage& m : peers[0]->engine.messages())
                if (m.from == p->id) mine.push_back(m.text);
            REQUIRE(mine.size() == 5);
            for (int round = 0; round < 5; ++round)
                CHECK(mine[static_cast<std::size_t>(round)] ==
                      p->id + " says " + std::to_string(round));
        }
    }
}

TEST_CASE("messages sent with no peer connected are queued, then delivered on connect",
          "[mesh][chat]") {
    World world(3);
    FakeServer server(world);
    SimPeer a(world, server, "alice", "Alice", 1);
    a.join("r");
    world.run();
    const SendResult first = a.say("anyone here?");
    const SendResult second = a.say("hello?");
    REQUIRE(first.ok());
    const ChatMessage* m = a.engine.log().find(first.id);
    REQUIRE(m != nullptr);
    CHECK(a.engine.delivery(*m).state == DeliveryState::queued);

    SimPeer b(world, server, "bob", "Bob", 2);
    b.join("r");
    world.run();
    CHECK(b.texts() == std::vector<std::string>{"anyone here?", "hello?"});
    for (const std::string& id : {first.id, second.id}) {
        const Delivery d = a.engine.delivery(*a.engine.log().find(id));
        CHECK(d.state == DeliveryState::delivered);
        CHECK(d.acked == 1);
        CHECK(d.of == 1);
    }
    CHECK(b.engine.delivery(*b.engine.log().find(first.id)).state == DeliveryState::received);
}

TEST_CASE("delivery goes sent -> delivered N of M as acks arrive", "[mesh][chat]") {
    World world(5);
    FakeServer server(world);
    Peers peers = make_peers(world, server, {"a", "b", "c"}, 5);
    join_all(world, peers, "r");
    require_full_mesh(world, peers);
    SimPeer& a = *peers[0];
    const SendResult r = a.say("count me");
    CHECK(a.engine.delivery(*a.engine.log().find(r.id)).state == DeliveryState::queued);
    while (a.engine.log().find(r.id)->sig.empty()) REQUIRE(world.scheduler.step()); // signing
    CHECK(a.engine.delivery(*a.engine.log().find(r.id)).state == DeliveryState::sent);
    world.scheduler.step(); // at most one ack can have arrived after one step
    world.run();
    Delivery d = a.engine.delivery(*a.engine.log().find(r.id));
    CHECK(d.state == DeliveryState::delivered);
    CHECK(d.acked == 2);
    CHECK(d.of == 2);

    // A member joining later counts in M until reconciliation hands it the message.
    SimPeer late(world, server, "d", "Dee", 99);
    late.join("r");
    while (a.engine.link_count() < 3) REQUIRE(world.scheduler.step());
    d = a.engine.delivery(*a.engine.log().find(r.id));
    CHECK(d.acked == 2);
    CHECK(d.of == 3);
    world.run();
    d = a.engine.delivery(*a.engine.log().find(r.id));
    CHECK(d.acked == 3);
    CHECK(d.of == 3);
    CHECK(find_text(late, "count me") != nullptr);
}

TEST_CASE("a peer that was away gets what it missed from whoever has it", "[mesh][chat]") {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        INFO("seed " << seed);
        World world(seed);
        FakeServer server(world);
        Peers peers = make_peers(world, server, {"ann", "ben", "cat"}, seed);
        join_all(world, peers, "r", seed % 4);
        SimPeer& ann = *peers[0];
        SimPeer& ben = *peers[1];
        SimPeer& cat = *peers[2];
        REQUIRE(cat.say("before I go").ok());
        world.run();

        // Cat goes away with its history saved; Ann talks, then Ann leaves too.
        const nlohmann::json saved = cat.engine.history_json();
        cat.leave();
        world.run();
        for (int i = 0; i < 3; ++i) REQUIRE(ann.say("missed " + std::to_string(i)).ok());
        world.run();
        ann.leave();
        world.run();

        // Cat comes back: only Ben holds Ann's messages, and relays them.
        cat.join("r");
        REQUIRE(cat.engine.restore_history(saved).added == 1);
        world.run();
        REQUIRE(cat.texts() == ben.texts());
        REQUIRE(cat.engine.messages().size() == 4);
        const ChatMessage* relayed = find_text(cat, "missed 2");
        REQUIRE(relayed != nullptr);
        CHECK(relayed->from == ann.id); // relayed messages keep their author
        CHECK(cat.engine.stats().duplicates == 0);
        CHECK(cat.engine.stats().forged_dropped == 0);
    }
}

TEST_CASE("a join that does not wait for the stored history still reconciles it", "[mesh][chat]") {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        INFO("seed " << seed);
        World world(seed);
        FakeServer server(world);
        SimPeer ann(world, server, "ann", "Ann", seed);
        SimPeer cat(world, server, "cat", "Cat", seed + 100);
        // Cat wrote while alone; only its stored history holds the message.
        cat.join("r");
        REQUIRE(cat.say("only in my storage").ok());
        world.run();
        const nlohmann::json saved = cat.engine.history_json();
        cat.leave();
        ann.join("r");
        REQUIRE(ann.say("hello from ann").ok());
        world.run();

        // Cat's page reloads: it joins at once while IndexedDB is still reading.
        cat.join("r");
        cat.engine.await_history();
        world.run();
        REQUIRE(cat.open_links() == 1);
        CHECK(ann.texts() == std::vector<std::string>{"hello from ann"}); // nothing reconciled yet
        CHECK(cat.engine.messages().empty());

        REQUIRE(cat.engine.restore_history(saved).added == 1);
        world.run();
        CHECK(ann.texts() == cat.texts());
        CHECK(ann.engine.messages().size() == 2);
        CHECK(cat.engine.delivery(*find_text(cat, "only in my storage")).state == DeliveryState::delivered);
        CHECK(cat.engine.stats().frames_dropped == 0);
        CHECK(ann.engine.stats().frames_dropped == 0);
    }
}

TEST_CASE("unreadable history does not hold reconciliation back", "[mesh][chat]") {
    World world(5);
    FakeServer server(world);
    SimPeer ann(world, server, "ann", "Ann", 1);
    SimPeer cat(world, server, "cat", "Cat", 2);
    ann.join("r");
    REQUIRE(ann.say("hi").ok());
    cat.join("r");
    cat.engine.await_history();
    world.run();
    CHECK(cat.engine.messages().empty());
    CHECK(cat.engine.restore_history(nlohmann::json()).error.empty()); // nothing was stored
    world.run();
    CHECK(cat.texts() == std::vector<std::string>{"hi"});
}

TEST_CASE("reconciliation is bounded to the newest 500 messages", "[mesh][chat]") {
    World world(9);
    FakeServer server(world);
    SimPeer a(world, server, "alpha", "Alpha", 1);
    a.join("r");
    world.run();
    for (int i = 0; i < 700; ++i) REQUIRE(a.say("m" + std::to_string(i)).ok());
    SimPeer b(world, server, "beta", "Beta", 2);
    b.join("r");
    world.run();
    REQUIRE(b.engine.messages().size() == max_sync_messages);
    const std::vector<std::string> all = a.ids();
    CHECK(b.ids() == std::vector<std::string>(all.end() - 500, all.end()));
    CHECK(a.engine.delivery(a.engine.messages().front()).state == DeliveryState::queued);
    CHECK(a.engine.delivery(a.engine.messages().back()).state == DeliveryState::delivered);
}

TEST_CASE("peer-rejoined replaces the link with a fresh connection", "[mesh]") {
    World world(21);
    FakeServer server(world);
    SimPeer a(world, server, "alice", "Alice", 1);
    auto b = std::make_unique<SimPeer>(world, server, "bob", "Bob", 2);
    a.join("r");
    b->join("r");
    world.run();
    REQUIRE(a.open_links() == 1);
    const nlohmann::json saved = b->engine.history_json();
    const std::string b2_id = b->id; // the same device key comes back

    // Bob's tab reloads: the old page is gone, its connections with it. It is back within the
    // server's grace period (world.run() would jump the clock to its end: peer-left).
    b.reset();
    while (world.scheduler.step()) world.now_ms += world.step_ms;
    REQUIRE(a.engine.peer(b2_id));
    CHECK(a.engine.peer(b2_id)->state == LinkState::closed);
    REQUIRE(a.say("while you were reloading").ok());

    SimPeer b2(world, server, "bob", "Bob", 3);
    b2.join("r");
    b2.engine.restore_history(saved);
    world.run();
    CHECK(world.violations.empty());
    CHECK(a.engine.link_count() == 1);
    CHECK(a.open_links() == 1);
    CHECK(b2.open_links() == 1);
    CHECK(a.rtc.created == 2); // a new RTCPeerConnection, not a renegotiated old one
    CHECK(a.rtc.closed == 1);
    CHECK(b2.texts() == std::vector<std::string>{"while you were reloading"});
    for (const std::string& e : b2.errors) UNSCOPED_INFO(e);
    CHECK(a.errors.empty());
    CHECK(b2.errors.empty());
}

TEST_CASE("peer-left removes the link", "[mesh]") {
    World world(4);
    FakeServer server(world);
    Peers peers = make_peers(world, server, {"a", "b", "c"}, 4);
    join_all(world, peers, "r");
    peers[2]->leave();
    world.run();
    for (int i = 0; i < 2; ++i) {
        CHECK(peers[static_cast<std::size_t>(i)]->engine.link_count() == 1);
        CHECK_FALSE(peers[static_cast<std::size_t>(i)]->engine.peer(peers[2]->id).has_value());
    }
    CHECK(peers[2]->engine.link_count() == 0);
    CHECK_FALSE(peers[2]->engine.room().has_value());
    CHECK(world.current(peers[0]->id, peers[2]->id) == nullptr);
    CHECK(world.current(peers[2]->id, peers[0]->id) == nullptr);
}

TEST_CASE("chat survives the signaling server going away; re-joining rebuilds the mesh",
          "[mesh][chat]") {
    World world(13);
    FakeServer server(world);
    Peers peers = make_peers(world, server, {"a", "b"}, 13);
    join_all(world, peers, "r");
    SimPeer& a = *peers[0];
    SimPeer& b = *peers[1];

    server.up = false;
    a.engine.on_signaling_lost();
    b.engine.on_signaling_lost();
    CHECK_FALSE(a.engine.joined());

    REQUIRE(a.say("server is down").ok());
    REQUIRE(b.say("still here").ok());
    world.run();
    CHECK(a.texts() == b.texts());
    CHECK(a.texts().size() == 2);
    CHECK(a.open_links() == 1);

    // The server comes back empty; both clients re-join (as the app's backoff would).
    server.restart();
    server.join(a, "r");
    world.run();
    server.join(b, "r");
    world.run();
    CHECK(a.engine.joined());
    require_full_mesh(world, peers);
    REQUIRE(b.say("back online").ok());
    world.run();
    CHECK(a.texts() == b.texts());
    CHECK(a.texts().size() == 3);
    CHECK(a.engine.stats().frames_dropped == 0);
}

TEST_CASE("a link that fails while signaling is down heals after the re-join", "[mesh][chat]") {
    World world(19);
    FakeServer server(world);
    Peers peers = make_peers(world, server, {"a", "b"}, 19);
    join_all(world, peers, "r");
    SimPeer& a = *peers[0];
    SimPeer& b = *peers[1];
    a.engine.on_signaling_lost(); // a's socket is gone; the server has not noticed yet
    world.break_ice(a.id, b.id);
    world.run();
    // a's half of the ICE restart is not signaled (it would reach b's fresh connection after
    // the re-join), so the link stays down.
    CHECK(a.engine.peer(b.id)->state == LinkState::closed);
    CHECK(b.engine.peer(a.id)->state == LinkState::closed);
    REQUIRE(a.say("said during the outage").ok());
    world.run();
    CHECK(b.texts().empty());

    server.join(a, "r"); // the app's reconnect
    world.run();
    require_full_mesh(world, peers);
    CHECK(b.texts() == std::vector<std::string>{"said during the outage"});
    CHECK(a.engine.delivery(a.engine.messages().front()).state == DeliveryState::delivered);
}

TEST_CASE("ICE failure restarts ICE and the link recovers without losing messages", "[mesh]") {
    for (std::uint64_t seed = 1; seed <= 30; ++seed) {
        INFO("seed " << seed);
        World world(seed);
        FakeServer server(world);
        Peers peers = make_peers(world, server, {"x", "y"}, seed);
        join_all(world, peers, "r");
        world.break_ice(peers[0]->id, peers[1]->id);
        REQUIRE(peers[0]->say("during the outage").ok());
        for (std::uint64_t k = 0; k < seed % 6; ++k) world.scheduler.step();
        world.run();
        require_full_mesh(world, peers);
        CHECK(peers[1]->texts() == std::vector<std::string>{"during the outage"});
    }
}

TEST_CASE("round-trip time is measured by pings on tick", "[mesh]") {
    World world(17);
    FakeServer server(world);
    Peers peers = make_peers(world, server, {"a", "b"}, 17);
    join_all(world, peers, "r");
    std::optional<double> rtt = peers[0]->engine.peer(peers[1]->id)->rtt_ms;
    REQUIRE(rtt.has_value()); // a ping goes out as soon as the channel opens
    CHECK(*rtt > 0.0);
    CHECK(*rtt < 100.0);

    peers[0]->engine.tick(); // the first tick tells the neighbours our links
    const std::size_t sent = peers[0]->rtc.sent;
    peers[0]->engine.tick(); // interval not over yet: nothing sent
    CHECK(peers[0]->rtc.sent == sent);
    world.now_ms += 2000.0;
    peers[0]->engine.tick();
    CHECK(peers[0]->rtc.sent == sent + 1);
    world.run();
    CHECK(peers[0]->engine.peer(peers[1]->id)->rtt_ms.has_value());

    // A pong that never comes clears the RTT after the timeout.
    world.now_ms += 2000.0;
    peers[0]->engine.tick();
    world.break_ice(peers[0]->id, peers[1]->id); // the pong is stuck in the outbox
    world.now_ms += 10001.0;
    peers[0]->engine.tick();
    CHECK_FALSE(peers[0]->engine.peer(peers[1]->id)->rtt_ms.has_value());
}

TEST_CASE("nothing leaked: after everyone leaves no link or connection is left", "[mesh]") {
    World world(31);
    FakeServer server(world);
    Peers peers = make_peers(world, server, {"a", "b", "c", "d"}, 31);
    join_all(world, peers, "r", 3);
    require_full_mesh(world, peers);
    for (auto& p : peers) {
        p->leave();
        world.run();
    }
    CHECK(world.violations.empty());
    CHECK(world.pcs.empty());
    CHECK(server.members("r") == 0);
    for (const auto& p : peers) {
        CHECK(p->engine.link_count() == 0);
        CHECK(p->rtc.created == p->rtc.closed);
        CHECK(p->errors.empty());
    }
}
