// mesh_big_room_test.cpp: rooms above the full-mesh size, on the in-memory WebRTC world: a
// bounded partial mesh, messages relayed to everyone exactly once, and links that re-form
// through peers when the server is gone and a third of the room leaves at once.
#include "fake_rtc.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <queue>

using namespace peddlenet;
using namespace peddlenet::fake;

namespace {

using Pages = std::vector<std::unique_ptr<SimPeer>>;

// Runs the world for `ms` of simulated time, ticking every engine every 100 ms as the app does.
void run_for(World& world, Pages& pages, double ms) {
    const double until = world.now_ms + ms;
    while (world.now_ms < until) {
        world.run();
        world.now_ms += 100.0;
        for (auto& p : pages)
            if (p) p->engine.tick();
    }
    world.run();
}

std::vector<SimPeer*> live(const Pages& pages) {
    std::vector<SimPeer*> out;
    for (const auto& p : pages)
        if (p) out.push_back(p.get());
    return out;
}

// Every live page reaches every other over open links.
bool connected(const Pages& pages) {
    const std::vector<SimPeer*> pagesv = live(pages);
    std::map<std::string, SimPeer*> by_id;
    for (SimPeer* p : pagesv) by_id[p->id] = p;
    std::set<std::string> seen{pagesv.front()->id};
    std::queue<SimPeer*> todo;
    todo.push(pagesv.front());
    while (!todo.empty()) {
        SimPeer* p = todo.front();
        todo.pop();
        for (const LinkInfo& l : p->engine.peers())
            if (l.state == LinkState::open && by_id.count(l.peer) && seen.insert(l.peer).second)
                todo.push(by_id[l.peer]);
    }
    return seen.size() == pagesv.size();
}

// The message `id` was stored exactly once by every live page but its author.
void require_everyone_has(const Pages& pages, const std::string& author, const std::string& id) {
    for (SimPeer* p : live(pages)) {
        if (p->id == author) continue;
        INFO(p->id);
        const auto it = p->arrivals.find(id);
        REQUIRE(it != p->arrivals.end());
        CHECK(it->second == 1);
        CHECK(p->hops[id] >= 1);
        CHECK(p->hops[id] <= max_relay_hops);
    }
}

} // namespace

TEST_CASE("a big room is a bounded, connected partial mesh that relays every message to everyone "
          "exactly once, also without the server and after a third of it leaves",
          "[mesh][big]") {
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
        INFO("seed " << seed);
        World world(seed);
        FakeServer server(world);
        const RoomParams params; // full_mesh_max 12, degree 6 / 4 / 12
        Pages pages;
        for (int i = 0; i < 36; ++i) {
            pages.push_back(std::make_unique<SimPeer>(world, server, "p" + std::to_string(i),
                                                      "P" + std::to_string(i), seed * 100 + i,
                                                      params));
            pages.back()->join("mainstage");
            run_for(world, pages, 200.0);
        }
        run_for(world, pages, 30'000.0);
        REQUIRE(world.violations.empty());
        std::size_t max_links = 0;
        for (SimPeer* p : live(pages)) {
            INFO(p->id);
            CHECK(p->engine.partial_mesh());
            CHECK(p->open_links() >= params.degree_low);
            CHECK(p->engine.link_count() <= params.degree_high);
            max_links = std::max(max_links, p->engine.link_count());
        }
        CHECK(max_links < pages.size() - 1); // nobody links to everyone
        REQUIRE(connected(pages));
        // The first full_mesh_max pages were a full mesh (66 links) until the room outgrew it.
        // They must mix with the newcomers, not stay a clique that is busy for everyone else: a
        // random graph of this degree has about a dozen links among any 12 of 36 pages.
        std::size_t first_links = 0;
        for (std::size_t i = 0; i < params.full_mesh_max; ++i)
            for (std::size_t j = 0; j < i; ++j) {
                const auto l = pages[i]->engine.peer(pages[j]->id);
                first_links += l && l->state == LinkState::open;
            }
        CHECK(first_links < 33);
        // Links the other end shed are let go at once: none waited for the connect timeout.
        std::uint64_t timed_out = 0;
        for (SimPeer* p : live(pages)) timed_out += p->engine.stats().links_timed_out;
        CHECK(timed_out == 0);

        // Everyone speaks once.
        std::vector<std::pair<std::string, std::string>> said;
        for (SimPeer* p : live(pages)) said.emplace_back(p->id, p->say("hi from " + p->id).id);
        run_for(world, pages, 5'000.0);
        for (const auto& [author, id] : said) require_everyone_has(pages, author, id);
        std::uint64_t relayed = 0;
        for (SimPeer* p : live(pages)) relayed += p->engine.stats().relayed;
        CHECK(relayed > 0);
        // "Seen by": receipts come back through the relays.
        const SimPeer& first = *pages.front();
        const ChatMessage* own = first.engine.log().find(said.front().second);
        REQUIRE(own != nullptr);
        const Delivery d = first.engine.delivery(*own);
        CHECK(d.big_room);
        CHECK(d.acked == pages.size() - 1);

        // The server goes away: messages still reach everyone over the mesh.
        server.up = false;
        for (SimPeer* p : live(pages)) p->engine.on_signaling_lost();
        const std::string quiet = pages[5]->say("no server").id;
        run_for(world, pages, 3'000.0);
        require_everyone_has(pages, pages[5]->id, quiet);
        // Who is here now comes from signed announcements over the mesh.
        for (SimPeer* p : live(pages)) {
            INFO(p->id);
            CHECK(p->engine.present() == pages.size());
            CHECK(p->engine.stats().presence_announced > 0);
        }

        // A third of the pages close at once. The rest re-form links through their neighbours.
        for (std::size_t i = 0; i < pages.size(); i += 3) pages[i].reset();
        run_for(world, pages, 90'000.0);
        REQUIRE(world.violations.empty());
        std::uint64_t routed = 0;
        for (SimPeer* p : live(pages)) {
            INFO(p->id);
            CHECK(p->open_links() >= params.degree_low);
            routed += p->engine.stats().signals_routed;
        }
        CHECK(routed > 0);
        REQUIRE(connected(pages));
        // The pages that left stopped announcing: they drop out of the count.
        for (SimPeer* p : live(pages)) {
            INFO(p->id);
            CHECK(p->engine.present() == live(pages).size());
        }
        const std::string after = pages[4]->say("after the exodus").id;
        run_for(world, pages, 3'000.0);
        require_everyone_has(pages, pages[4]->id, after);
    }
}
