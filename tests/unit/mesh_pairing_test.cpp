// Pages that never reach a signaling server, introduced outside it (pairing by QR: the app's
// bootstrap connection carries their signals, core/pairing.hpp), over the fake WebRTC world:
// the paired pages link and chat, and a third page paired with one of them is introduced to the
// other through the mesh.
#include "fake_rtc.hpp"

#include <catch2/catch.hpp>

#include <memory>

using namespace peddlenet;
using namespace peddlenet::fake;

namespace {

using Pages = std::vector<std::unique_ptr<SimPeer>>;

// Connects a and b the way the app's pairing does: each learns the other's id, name and session
// over the bootstrap connection, whose frames arrive later, in order.
void pair(World& world, SimPeer& a, const std::string& a_session, SimPeer& b, const std::string& b_session) {
    for (auto [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
        auto previous = from->aside;
        from->aside = [&world, from = from, to = to, previous](const std::string& peer, const json& data) {
            if (peer != to->id) return previous && previous(peer, data);
            const std::string sender = from->id;
            world.scheduler.post("aside#" + sender + ">" + to->id, [to, sender, data] { to->engine.on_signal(sender, data); });
            return true;
        };
    }
    a.engine.introduce(b.id, "Name " + b_session, b_session, a_session);
    b.engine.introduce(a.id, "Name " + a_session, a_session, b_session);
}

} // namespace

TEST_CASE("pages paired outside the server link, chat, and introduce a third through the mesh",
          "[mesh][pairing]") {
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        INFO("seed " << seed);
        World world(seed);
        FakeServer server(world);
        server.up = false; // no server anywhere in this test
        Pages pages;
        for (const char* label : {"x", "y", "z"})
            pages.push_back(std::make_unique<SimPeer>(world, server, label, std::string("Name ") + label,
                                                      seed * 100 + pages.size()));
        const RoomKeys keys = private_room_keys("0123456789abcdef");
        for (auto& p : pages) {
            REQUIRE(p->engine.enter_room(keys));
            CHECK(p->engine.session().empty());
        }
        SimPeer& x = *pages[0];
        SimPeer& y = *pages[1];
        SimPeer& z = *pages[2];
        pair(world, x, "sx", y, "sy");
        CHECK(x.engine.session() == "sx");
        world.run();
        REQUIRE(x.open_links() == 1);
        REQUIRE(y.open_links() == 1);
        CHECK(x.engine.peer(y.id)->proof == ProofState::ok);
        REQUIRE(x.say("paired").ok());
        world.run();
        CHECK(y.texts() == std::vector<std::string>{"paired"});

        // z pairs with y only; x learns of z from y and links to it through y.
        pair(world, y, "sy", z, "sz");
        run_ticking(world, pages, 10000.0);
        for (auto& p : pages) {
            INFO(p->id);
            CHECK(p->open_links() == 2);
            CHECK(p->errors == std::vector<std::string>{});
        }
        CHECK(z.texts() == std::vector<std::string>{"paired"}); // history reached it too
        CHECK(world.violations.empty());
    }
}

TEST_CASE("an introduction is refused for a bad id or session, and a stranger without the key is refused",
          "[mesh][pairing]") {
    World world(9);
    FakeServer server(world);
    server.up = false;
    SimPeer x(world, server, "x", "Name x", 1);
    SimPeer y(world, server, "y", "Name y", 2);
    REQUIRE(x.engine.enter_room(private_room_keys("0123456789abcdef")));
    REQUIRE(y.engine.enter_room(private_room_keys("fedcba9876543210"))); // another room's key
    x.engine.introduce("not a key id", "N", "s1", "sx");
    x.engine.introduce(y.id, "N", "bad session!", "sx");
    CHECK(x.engine.link_count() == 0);
    x.aside = [&](const std::string&, const json& data) {
        world.scheduler.post("x>y", [&y, &x, data] { y.engine.on_signal(x.id, data); });
        return true;
    };
    y.aside = [&](const std::string&, const json& data) {
        world.scheduler.post("y>x", [&y, &x, data] { x.engine.on_signal(y.id, data); });
        return true;
    };
    x.engine.introduce(y.id, "Name y", "sy", "sx");
    y.engine.introduce(x.id, "Name x", "sx", "sy");
    world.run();
    // The link forms but its proof fails: y does not hold this room's key.
    CHECK(x.engine.peer(y.id)->proof == ProofState::failed);
    CHECK_FALSE(x.engine.peer(y.id)->refusal.empty());
    CHECK(x.open_links() == 0);
}
