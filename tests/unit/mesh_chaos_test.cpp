// Random sequences of joins, leaves, page reloads, ICE failures and chat over many seeds: once
// everyone is back, the mesh is full and every peer holds the same history in the same order.
#include "fake_rtc.hpp"

#include <catch2/catch.hpp>

#include <memory>

using namespace peddlenet;
using namespace peddlenet::fake;

namespace {

struct Tab {
    std::string id;                 // its label; the device key (peer id) follows from it
    std::unique_ptr<SimPeer> page;  // null while the tab is closed
    nlohmann::json saved;           // its IndexedDB
    bool in_room = false;
};

std::string peer_id(const Tab& t) { return testing::OpenSslCrypto(t.id).peer_id(); }

} // namespace

TEST_CASE("chaos: joins, leaves, reloads, ICE failures and chat converge", "[mesh][chat]") {
    std::size_t messages_total = 0, stale_signals = 0;
    for (std::uint64_t seed = 1; seed <= 120; ++seed) {
        INFO("seed " << seed);
        World world(seed);
        FakeServer server(world);
        SplitMix dice{seed * 7919};
        std::vector<Tab> tabs(3 + seed % 2);
        std::uint64_t serial_seed = seed * 1000;
        for (std::size_t i = 0; i < tabs.size(); ++i) tabs[i].id = "peer" + std::to_string(i);

        const auto open_tab = [&](Tab& t) {
            t.page = std::make_unique<SimPeer>(world, server, t.id, "N" + t.id, ++serial_seed);
            t.page->join("room");
            if (!t.saved.is_null()) t.page->engine.restore_history(t.saved);
            t.in_room = true;
        };
        int said = 0;
        for (int action = 0; action < 40; ++action) {
            Tab& t = tabs[dice() % tabs.size()];
            switch (dice() % 6) {
            case 0: // open or re-enter
                if (!t.page) open_tab(t);
                else if (!t.in_room) {
                    t.page->join("room");
                    t.page->engine.restore_history(t.saved);
                    t.in_room = true;
                }
                break;
            case 1: // leave the room (history stays in storage)
                if (t.page && t.in_room) {
                    t.saved = t.page->engine.history_json();
                    t.page->leave();
                    t.in_room = false;
                }
                break;
            case 2: // reload the page: same id, history from storage, socket replaced
                if (t.page && t.in_room) {
                    t.saved = t.page->engine.history_json();
                    t.page.reset();
                    open_tab(t);
                }
                break;
            case 3: { // ICE failure between two tabs
                Tab& u = tabs[dice() % tabs.size()];
                if (&u != &t) world.break_ice(peer_id(t), peer_id(u));
                break;
            }
            default: // chat
                if (t.page && t.in_room)
                    REQUIRE(t.page->say(t.id + " #" + std::to_string(said++)).ok());
                break;
            }
            const std::uint32_t steps = dice() % 40;
            for (std::uint32_t k = 0; k < steps && world.scheduler.step(); ++k)
                world.now_ms += world.step_ms;
        }
        // Everyone comes back.
        for (Tab& t : tabs) {
            if (!t.page) open_tab(t);
            else if (!t.in_room) {
                t.page->join("room");
                t.page->engine.restore_history(t.saved);
                t.in_room = true;
            }
        }
        world.run();

        REQUIRE(world.violations.empty());
        const std::vector<std::string> reference = tabs[0].page->ids();
        for (const Tab& t : tabs) {
            INFO(t.id);
            // Pages of a pair that change within one negotiation would let the old connection's
            // last signals reach the new one; the signal envelope must keep every one of them
            // out, so that no browser call fails.
            CHECK(t.page->errors == std::vector<std::string>{});
            REQUIRE(t.page->open_links() == tabs.size() - 1);
            REQUIRE(t.page->ids() == reference);
            for (const ChatMessage& m : t.page->engine.messages())
                if (m.from == t.page->id) CHECK(t.page->engine.delivery(m).acked == tabs.size() - 1);
        }
        CHECK(reference.size() == static_cast<std::size_t>(said));
        messages_total += reference.size();
        for (const Tab& t : tabs) stale_signals += t.page->engine.stats().signals_stale;
    }
    CHECK(messages_total > 500);
    CHECK(stale_signals > 0); // the race did happen, and was caught by the envelope
}
