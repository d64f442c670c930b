// The room engine's chat API (core/room_engine.hpp): send() results and errors, names, room
// lifecycle, history restore, and refusals of signaling events for another room.
#include "core/text.hpp"
#include "fake_rtc.hpp"

#include <catch2/catch.hpp>

using namespace peddlenet;
using namespace peddlenet::fake;

TEST_CASE("send refuses clearly and stores nothing on refusal", "[chat][engine]") {
    World world(1);
    FakeServer server(world);
    SimPeer a(world, server, "alice", "Alice", 1);
    using peddlenet::i18n::Message;
    CHECK(a.say("hello").error == Message{"messages.not_in_room", {}});
    RoomKeys bad = open_room_keys("r");
    bad.id = "bad room!";
    CHECK_FALSE(a.engine.enter_room(bad));
    bad = open_room_keys("r");
    bad.proof_key.pop_back();
    CHECK_FALSE(a.engine.enter_room(bad));
    CHECK_FALSE(a.engine.room().has_value());
    REQUIRE(a.engine.enter_room(open_room_keys("r")));
    CHECK(a.say("").error == Message{"messages.empty_text", {}});
    CHECK(a.say(std::string(4097, 'x')).error == Message{"messages.too_long", {{"used", "4097"}, {"max", "4096"}}});
    CHECK(a.engine.messages().empty());
    const SendResult ok = a.say(std::string(4096, 'x'));
    CHECK(ok.ok());
    CHECK(is_valid_id(ok.id));
    const SendResult repaired = a.say("bad \xFF byte");
    REQUIRE(repaired.ok());
    CHECK(a.engine.log().find(repaired.id)->text == "bad \xEF\xBF\xBD byte");
    CHECK(a.engine.messages().size() == 2);
}

TEST_CASE("composed messages carry id, author, name, wall clock and a rising Lamport clock",
          "[chat][engine]") {
    World world(1);
    FakeServer server(world);
    SimPeer a(world, server, "alice", "Alice", 1);
    a.engine.enter_room(open_room_keys("r"));
    world.now_ms = 1234.0;
    const ChatMessage m1 = *a.engine.log().find(a.say("one").id);
    CHECK(a.engine.set_name("") == peddlenet::i18n::Message{"name.empty", {}});
    CHECK(a.engine.set_name("Alice \xF0\x9F\x8E\xB8").empty());
    const ChatMessage m2 = *a.engine.log().find(a.say("two").id);
    CHECK(m1.from == a.id);
    CHECK(m1.name == "Alice");
    CHECK(m2.name == "Alice \xF0\x9F\x8E\xB8");
    CHECK(m1.ts_ms == 1'700'000'001'234);
    CHECK(m2.lamport == m1.lamport + 1);
    CHECK(m1.id != m2.id);
    CHECK(a.engine.delivery(m1).state == DeliveryState::queued);
    CHECK(a.engine.delivery(m1).of == 0);
}

TEST_CASE("a broken wall clock does not make messages unacceptable", "[chat][engine]") {
    World world(1);
    FakeServer server(world);
    SimPeer a(world, server, "alice", "Alice", 1);
    RoomClock bad{[] { return 0.0; }, [] { return std::int64_t{-5}; }};
    RoomEngine e(a.rtc, a.crypto, {}, bad, [] { return 7u; }, a.id, "Zed");
    e.enter_room(open_room_keys("r"));
    CHECK(e.log().find(e.send("x").id)->ts_ms == 0);
    CHECK(e.name() == "Zed");
    RoomEngine unnamed(a.rtc, a.crypto, {}, bad, [] { return 7u; }, a.id, "\n");
    CHECK(unnamed.name() == "Anonymous");
}

TEST_CASE("room lifecycle: enter, restore, leave", "[chat][engine]") {
    World world(1);
    FakeServer server(world);
    SimPeer a(world, server, "alice", "Alice", 1);
    CHECK(a.engine.restore_history(ChatLog().to_storage_json()).error == "not in a room");
    a.join("r");
    a.say("kept");
    const nlohmann::json saved = a.engine.history_json();
    const std::size_t changes = a.history_changes;
    a.leave();
    CHECK(a.history_changes > changes);
    CHECK_FALSE(a.engine.room().has_value());
    CHECK(a.engine.messages().empty());

    a.join("r");
    const ChatLog::MergeResult r = a.engine.restore_history(saved);
    CHECK(r.added == 1);
    CHECK(a.texts() == std::vector<std::string>{"kept"});
    // New messages continue the restored clock.
    const SendResult next = a.say("after");
    CHECK(a.engine.log().find(next.id)->lamport == 2);
    CHECK(a.engine.restore_history(nlohmann::json("junk")).error == "stored history is not a JSON object");
    CHECK(a.texts().size() == 2);
}

TEST_CASE("signaling events for another room or peer are refused", "[chat][engine]") {
    World world(1);
    FakeServer server(world);
    SimPeer a(world, server, "alice", "Alice", 1);
    const std::string bob = testing::OpenSslCrypto("bob").peer_id();
    const std::string mallory = testing::OpenSslCrypto("mallory").peer_id();
    a.engine.on_joined("r", a.id, "s1", {{bob, "Bob", "s2"}}); // not in a room yet
    CHECK(a.engine.link_count() == 0);
    a.engine.enter_room(open_room_keys("r"));
    a.engine.on_joined("other", a.id, "s1", {{bob, "Bob", "s2"}});
    a.engine.on_joined("r", mallory, "s1", {{bob, "Bob", "s2"}});
    a.engine.on_joined("r", a.id, "bad session!", {{bob, "Bob", "s2"}});
    CHECK(a.engine.link_count() == 0);
    CHECK_FALSE(a.engine.joined());
    // Listed members with ids that are no keys, no session, or our own id are skipped.
    a.engine.on_joined("r", a.id, "s1",
                       {{bob, "Bob", "s2"}, {a.id, "Me", "s3"}, {"bad id", "X", "s4"},
                        {"bobbobbob", "Short", "s5"}, {mallory, "No session", ""}});
    CHECK(a.engine.joined());
    CHECK(a.engine.link_count() == 1);
    CHECK(a.engine.peer(bob)->name == "Bob");
    CHECK(a.engine.peer(bob)->state == LinkState::connecting);
    CHECK(a.engine.peer(bob)->proof == ProofState::pending);
    a.engine.on_peer_joined(a.id, "Me", "s6");
    a.engine.on_peer_left("nobody");
    CHECK(a.engine.link_count() == 1);
    a.engine.leave_room();
    world.run();
    CHECK(world.pcs.empty());
}
