// A hostile peer on the data channel and in signaling: everything it sends that breaks a rule is
// dropped and counted, and the room keeps working (fake_rtc.hpp world, real engine).
#include "core/base64url.hpp"
#include "core/presence.hpp"
#include "core/trust.hpp"
#include "core/text.hpp"
#include "fake_rtc.hpp"

#include <catch2/catch.hpp>

using namespace peddlenet;
using namespace peddlenet::fake;
using nlohmann::json;

namespace {

// Alice, Bob (the hostile one, through injected frames) and Carol in one room.
struct Room {
    World world{77};
    FakeServer server{world};
    SimPeer alice{world, server, "alice", "Alice", 1};
    SimPeer bob{world, server, "bob", "Bob", 2};
    SimPeer carol{world, server, "carol", "Carol", 3};

    Room() {
        alice.join("r");
        bob.join("r");
        carol.join("r");
        world.run();
        REQUIRE(alice.open_links() == 2);
    }
    // A frame arriving at Alice on Bob's channel.
    void from_bob(const std::string& frame) {
        alice.rtc.inject(bob.id, frame);
        world.run();
    }
    // A message of `author`'s, signed by `signer` (the author unless a test forges) for `room`.
    json message(const std::string& id, SimPeer& author, const std::string& text,
                 std::uint64_t lamport = 1, SimPeer* signer = nullptr,
                 const std::string& room = "r") {
        ChatMessage m;
        m.id = id;
        m.from = author.id;
        m.name = "Bob";
        m.text = repair_utf8(text);
        m.ts_ms = 1;
        m.lamport = lamport;
        m.sig = base64url_encode((signer ? signer : &author)->crypto.sign_now(
            message_signing_payload(room, m)));
        json j = chat_message_to_json(m);
        j["text"] = text; // as given, even where it breaks a rule
        return j;
    }
    std::string msg_frame(const json& m) { return json{{"type", "msg"}, {"message", m}}.dump(); }
    std::string sync_frame(const json& m) { return json{{"type", "sync"}, {"message", m}}.dump(); }
};

} // namespace

TEST_CASE("hostile texts are stored and shown literally", "[mesh][hostile]") {
    Room room;
    const std::vector<std::string> texts = {
        "%s%n%x%p", "##x###y", "###", "\xE2\x80\xAE" "RTL override", "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7",
        "\xF0\x9F\x8E\x89\xF0\x9F\x91\x8D", "\xE4\xBD\xA0\xE5\xA5\xBD", "<script>alert(1)</script>",
        "line\nbreak\ttab", std::string("nul\0inside", 10)};
    for (std::size_t i = 0; i < texts.size(); ++i) {
        const std::string id = "h" + std::to_string(i);
        room.from_bob(room.msg_frame(room.message(id, room.bob, texts[i], i + 1)));
        const ChatMessage* m = room.alice.engine.log().find(id);
        REQUIRE(m != nullptr);
        CHECK(m->text == texts[i]);
    }
    CHECK(room.alice.engine.stats().frames_dropped == 0);
}

TEST_CASE("invalid UTF-8 on the channel is repaired", "[mesh][hostile]") {
    Room room;
    // Signed over the repaired text: what the author's own app stored and showed.
    json m = room.message("u1", room.bob, "\xEF\xBF\xBD\xEF\xBF\xBD");
    m["text"] = "XX";
    std::string frame = room.msg_frame(m);
    frame.replace(frame.find("XX"), 2, "\xC0\xFF");
    room.from_bob(frame);
    REQUIRE(room.alice.engine.log().find("u1") != nullptr);
    CHECK(room.alice.engine.log().find("u1")->text == "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("rule-breaking frames are dropped and change nothing", "[mesh][hostile]") {
    Room room;
    REQUIRE(room.carol.say("legit").ok());
    room.world.run();
    const std::vector<std::string> before = room.alice.ids();
    const std::uint64_t lamport = room.alice.engine.log().lamport();

    const std::vector<std::string> frames = {
        "", "null", "{}", "[]", "42", "\"msg\"", R"({"type":null})", R"({"type":["msg"]})",
        R"({"type":"msg","message":"text"})", R"({"type":"msg","message":{"id":1}})",
        room.msg_frame(room.message("big", room.bob, std::string(4097, 'x'))),
        room.msg_frame(room.message("##bad", room.bob, "id with hashes")),
        room.msg_frame(room.message("neg", room.bob, "negative clock", 0)),
        R"({"type":"ack","ids":"all"})", R"({"type":"ack","ids":[{"id":"x"}]})",
        R"({"type":"hello","v":1,"have":[null]})", R"({"type":"ping"})",
        R"({"type":"pong","n":{"n":1}})", R"({"type":"msg","message":{"id":"a","from":"bob",)",
        std::string(max_peer_frame_bytes + 1, 'x'),
    };
    for (const std::string& f : frames) room.from_bob(f);
    CHECK(room.alice.engine.stats().frames_dropped == frames.size());
    CHECK(room.alice.ids() == before);
    CHECK(room.alice.engine.log().lamport() == lamport);
    CHECK(room.alice.errors.empty());
}

TEST_CASE("a peer cannot author live messages as someone else", "[mesh][hostile]") {
    Room room;
    room.from_bob(room.msg_frame(room.message("f1", room.carol, "I am Carol, trust me")));
    room.from_bob(room.msg_frame(room.message("f2", room.alice, "I am you")));
    CHECK(room.alice.engine.log().find("f1") == nullptr);
    CHECK(room.alice.engine.log().find("f2") == nullptr);
    CHECK(room.alice.engine.stats().forged_dropped == 2);
    // Relayed history may name another author (its signature is checked) but never us.
    room.from_bob(room.sync_frame(room.message("f3", room.alice, "relayed as you")));
    CHECK(room.alice.engine.log().find("f3") == nullptr);
    CHECK(room.alice.engine.stats().forged_dropped == 3);
}

TEST_CASE("duplicates are dropped and still acknowledged", "[mesh][hostile]") {
    Room room;
    const std::string frame = room.msg_frame(room.message("d1", room.bob, "once"));
    const std::size_t sent = room.alice.rtc.sent;
    room.from_bob(frame);
    room.from_bob(frame);
    room.from_bob(frame);
    CHECK(room.alice.engine.messages().size() == 1);
    CHECK(room.alice.engine.stats().duplicates == 2);
    CHECK(room.alice.rtc.sent == sent + 3); // three acks: the sender learns it arrived
}

TEST_CASE("a flood of 10k messages keeps the history bounded", "[mesh][hostile]") {
    Room room;
    for (int i = 0; i < 10000; ++i)
        room.alice.rtc.inject(room.bob.id, room.msg_frame(room.message("n" + std::to_string(i), room.bob,
                                                                  "spam", std::uint64_t(i) + 1)));
    room.world.run();
    CHECK(room.alice.engine.messages().size() == max_history_messages);
    CHECK(room.alice.engine.messages().back().id == "n9999");
    // A flood of relayed history is cut at the reconciliation budget.
    for (int i = 0; i < 10000; ++i)
        room.alice.rtc.inject(room.bob.id, room.sync_frame(room.message(
                                         "s" + std::to_string(i), room.carol, "fake history",
                                         std::uint64_t(20000 + i))));
    room.world.run();
    std::size_t relayed = 0;
    for (const ChatMessage& m : room.alice.engine.messages()) relayed += m.id[0] == 's';
    CHECK(relayed == max_sync_messages);
    CHECK(room.alice.engine.stats().sync_dropped == 10000 - max_sync_messages);
}

TEST_CASE("a Lamport jump beyond the limit is refused", "[mesh][hostile]") {
    Room room;
    const std::uint64_t clock = room.alice.engine.log().lamport();
    room.from_bob(room.msg_frame(room.message("j1", room.bob, "far future", max_json_integer)));
    room.from_bob(room.msg_frame(room.message("j2", room.bob, "too far", clock + max_lamport_jump + 1)));
    room.from_bob(room.msg_frame(room.message("j3", room.bob, "just ok", clock + max_lamport_jump)));
    CHECK(room.alice.engine.log().find("j1") == nullptr);
    CHECK(room.alice.engine.log().find("j2") == nullptr);
    CHECK(room.alice.engine.log().find("j3") != nullptr);
    CHECK(room.alice.engine.stats().clock_dropped == 2);
}

TEST_CASE("hello is answered once per channel opening; acks only speak for the sender",
          "[mesh][hostile]") {
    Room room;
    for (int i = 0; i < 20; ++i) REQUIRE(room.alice.say("mine " + std::to_string(i)).ok());
    room.world.run();
    const std::size_t sent = room.alice.rtc.sent;
    room.from_bob(R"({"type":"hello","v":1,"have":[]})"); // "send me everything again"
    CHECK(room.alice.rtc.sent == sent);                   // no amplification
    CHECK(room.alice.engine.stats().frames_dropped == 1);

    // Acks speak for their sender only: repeating them counts nothing twice, and acks for
    // someone else's message mark nothing.
    const SendResult mine = room.alice.say("ack me");
    const SendResult theirs = room.carol.say("not alice's");
    room.world.run();
    CHECK(room.alice.engine.delivery(*room.alice.engine.log().find(mine.id)).acked == 2);
    room.from_bob(json{{"type", "ack"}, {"ids", {mine.id, mine.id, "unknown", theirs.id}}}.dump());
    CHECK(room.alice.engine.delivery(*room.alice.engine.log().find(mine.id)).acked == 2);
    CHECK(room.alice.engine.log().find(theirs.id)->acked_by.empty());
}

TEST_CASE("unexpected pongs do not fake a round trip", "[mesh][hostile]") {
    Room room;
    const auto rtt = room.alice.engine.peer(room.bob.id)->rtt_ms;
    room.from_bob(R"({"type":"pong","n":12345})");
    CHECK(room.alice.engine.peer(room.bob.id)->rtt_ms == rtt);
    CHECK(room.alice.engine.stats().frames_dropped == 1);
}

TEST_CASE("hostile signal data is dropped before it reaches the browser", "[mesh][hostile]") {
    Room room;
    RoomEngine& e = room.alice.engine;
    const std::vector<json> signals = {
        json(nullptr), json::array(), json{{"description", "offer"}},
        json{{"description", {{"type", "rollback"}, {"sdp", "x"}}}},
        json{{"description", {{"type", "pranswer"}, {"sdp", "x"}}}},
        json{{"description", {{"type", "offer"}, {"sdp", std::string(max_sdp_bytes + 1, 'v')}}}},
        json{{"description", {{"type", "offer"}, {"sdp", ""}}}},
        json{{"description", {{"type", "offer"}, {"sdp", 5}}}},
        json{{"candidate", {{"candidate", std::string(2000, 'c')}, {"sdpMid", "0"}}}},
        json{{"candidate", {{"candidate", "x"}}}}, // neither sdpMid nor sdpMLineIndex
        json{{"candidate", {{"candidate", "x"}, {"sdpMLineIndex", -1}}}},
        json{{"candidate", "a=candidate"}},
        json{{"description", {{"type", "offer"}, {"sdp", "x"}}}, {"candidate", {{"candidate", ""}}}},
    };
    // In Bob's envelope, so that they reach the negotiation's validation.
    const json bobs = room.server.last_signal.at({room.bob.id, room.alice.id});
    for (json s : signals) {
        if (s.is_object()) {
            s["session"] = bobs["session"];
            s["to_session"] = bobs["to_session"];
        }
        e.on_signal(room.bob.id, s);
    }
    e.on_signal("mallory", json{{"candidate", {{"candidate", ""}, {"sdpMid", "0"}}}});
    room.world.run();
    CHECK(e.stats().signals_dropped == signals.size() + 1);
    CHECK(e.stats().signals_stale == 0);

    // Envelopes that do not match the current connections are stale, whatever they carry.
    const auto offer = [](json envelope) {
        envelope["description"] = {{"type", "offer"}, {"sdp", "v=0"}};
        return envelope;
    };
    const std::vector<json> envelopes = {
        offer(json::object()),                                            // no session
        offer({{"session", 42}, {"to_session", bobs["to_session"]}}),     // not a string
        offer({{"session", "##x###y"}, {"to_session", bobs["to_session"]}}),
        offer({{"session", "someone-else"}, {"to_session", bobs["to_session"]}}), // Bob's old page
        offer({{"session", bobs["session"]}}),                            // no to_session
        offer({{"session", bobs["session"]}, {"to_session", "old-link"}}), // our old page
        offer({{"session", bobs["session"]}, {"to_session", 7}}),
    };
    for (const json& s : envelopes) e.on_signal(room.bob.id, s);
    room.world.run();
    CHECK(e.stats().signals_stale == envelopes.size());
    CHECK(room.alice.open_links() == 2);
    CHECK(room.world.violations.empty());
    CHECK(room.alice.errors.empty());
}

TEST_CASE("after all the abuse the room still works", "[mesh][hostile]") {
    Room room;
    room.from_bob("garbage");
    room.from_bob(room.msg_frame(room.message("x1", room.carol, "forged")));
    room.from_bob(R"({"type":"hello","v":1,"have":[]})");
    REQUIRE(room.bob.say("honest bob").ok());
    REQUIRE(room.alice.say("honest alice").ok());
    REQUIRE(room.carol.say("honest carol").ok());
    room.world.run();
    CHECK(room.alice.ids() == room.bob.ids());
    CHECK(room.carol.ids() == room.bob.ids());
    CHECK(room.alice.texts().size() == 3);
}

TEST_CASE("presence announcements that are forged, altered, from another room or replayed are "
          "not counted",
          "[mesh][hostile][presence]") {
    Room room;
    std::vector<SimPeer*> pages{&room.alice, &room.bob, &room.carol};
    // The server is gone: who is here now comes from announcements over the mesh.
    const auto tick_for = [&](double ms) {
        for (double t = 0; t < ms; t += 1000.0) {
            room.world.now_ms += 1000.0;
            for (SimPeer* p : pages) p->engine.tick();
            room.world.run();
        }
    };
    for (SimPeer* p : pages) p->engine.on_signaling_lost();
    tick_for(1000.0);
    REQUIRE(room.alice.engine.present() == 3);
    REQUIRE(room.carol.engine.present() == 3);

    // Dave is nowhere in the room; Bob speaks for him.
    const testing::OpenSslCrypto dave("dave");
    const std::int64_t now = 1'700'000'000'000 + static_cast<std::int64_t>(room.world.now_ms);
    const auto announcement = [&](const std::string& room_id, const testing::OpenSslCrypto& signer,
                                  std::int64_t ts) {
        PresenceFrame p{dave.peer_id(), "Dave", "sessionDave", ts, {}};
        p.sig = signer.sign_now(presence_signing_payload(room_id, p.peer, p.name, p.session, ts));
        return p;
    };
    const std::uint64_t dropped = room.alice.engine.stats().presence_dropped;
    room.from_bob(build_presence_frame(announcement("r", room.bob.crypto, now)));  // forged
    PresenceFrame altered = announcement("r", dave, now);
    altered.name = "Mallory";
    room.from_bob(build_presence_frame(altered));
    room.from_bob(build_presence_frame(announcement("other", dave, now)));        // another room
    CHECK(room.alice.engine.stats().presence_dropped == dropped + 3);
    CHECK(room.alice.engine.present() == 3);
    CHECK(room.carol.engine.present() == 3); // nothing was passed on

    // Dave's own announcement counts, and Alice passes it on.
    const std::string real = build_presence_frame(announcement("r", dave, now));
    room.from_bob(real);
    CHECK(room.alice.engine.present() == 4);
    CHECK(room.carol.engine.present() == 4);

    // Dave says no more: he drops out after three intervals, and a replay of his last
    // announcement does not bring him back.
    tick_for(3 * Presence::min_interval_ms + 2000.0);
    CHECK(room.alice.engine.present() == 3);
    room.from_bob(real);
    CHECK(room.alice.engine.present() == 3);
    CHECK(room.carol.engine.present() == 3);
}
