// Room model (server/rooms.hpp) with recording outlets: joins, refreshes, grace periods, relay
// rules, sessions and limits, case by case. Joins here are taken as proven (join_auth_test.cpp).
#include "server/rooms.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace peddlenet;
using namespace peddlenet::server;
using protocol::ErrorCode;
using json = nlohmann::json;

namespace {

struct Fake final : Outlet {
    std::vector<json> got;
    int replaced_count = 0;
    void deliver(std::string frame) override { got.push_back(json::parse(frame)); }
    void replaced() override { ++replaced_count; }
    std::vector<std::string> types() const {
        std::vector<std::string> t;
        for (const auto& j : got) t.push_back(j["type"]);
        return t;
    }
    json last() const { return got.empty() ? json() : got.back(); }
};

// Sessions "S000000000000001", "S000000000000002", ... in join order.
SessionId session_number(int n) {
    SessionId s;
    const std::string text = "S" + std::string(14 - std::to_string(n).size(), '0') +
                             std::to_string(n);
    std::copy(text.begin(), text.end(), s.chars.begin());
    return s;
}
std::string S(int n) { return std::string(session_number(n).view()); }

struct World {
    Limits limits;
    Metrics metrics;
    Rooms rooms{limits, metrics};
    Rooms::Clock::time_point t0 = Rooms::Clock::now();
    int joins = 0;
    std::optional<protocol::Problem> join(Fake& f, std::string room, std::string peer,
                                          std::string name = "N") {
        return rooms.join(f, protocol::Join{room, peer, name, "sig"}, session_number(++joins));
    }
};

} // namespace

TEST_CASE("join announces both ways", "[server][rooms]") {
    World w;
    Fake a, b;
    REQUIRE_FALSE(w.join(a, "r", "a", "Ann"));
    CHECK(a.last() == json{{"type", "joined"}, {"room", "r"}, {"peer", "a"}, {"session", S(1)},
                           {"peers", json::array()}});
    REQUIRE_FALSE(w.join(b, "r", "b", "Bob"));
    CHECK(b.last()["session"] == S(2));
    CHECK(b.last()["peers"] == json::array({{{"peer", "a"}, {"name", "Ann"}, {"session", S(1)}}}));
    CHECK(a.last() ==
          json{{"type", "peer-joined"}, {"peer", "b"}, {"name", "Bob"}, {"session", S(2)}});
    CHECK(w.metrics.rooms == 1);
    CHECK(w.metrics.peers == 2);
}

TEST_CASE("rooms are separate", "[server][rooms]") {
    World w;
    Fake a, b;
    w.join(a, "r1", "a");
    w.join(b, "r2", "b");
    CHECK(a.types() == std::vector<std::string>{"joined"});
    CHECK(b.last()["peers"].empty());
    const auto p = w.rooms.signal(a, {"b", "{}"});
    REQUIRE(p);
    CHECK(p->code == ErrorCode::no_such_peer);
    CHECK(w.rooms.room_count() == 2);
}

TEST_CASE("signal relays with the server's idea of from", "[server][rooms]") {
    World w;
    Fake a, b;
    w.join(a, "r", "a");
    w.join(b, "r", "b");
    REQUIRE_FALSE(w.rooms.signal(a, {"b", R"({"sdp":"v=0"})"}));
    CHECK(b.last() == json::parse(R"({"type":"signal","from":"a","data":{"sdp":"v=0"}})"));
    CHECK(w.metrics.messages_relayed == 1);
}

TEST_CASE("signal before join, and join twice", "[server][rooms]") {
    World w;
    Fake a;
    CHECK(w.rooms.signal(a, {"b", "{}"})->code == ErrorCode::not_joined);
    CHECK(w.rooms.leave(a)->code == ErrorCode::not_joined);
    w.join(a, "r", "a");
    CHECK(w.join(a, "r", "a")->code == ErrorCode::already_joined);
    CHECK(w.join(a, "other", "a")->code == ErrorCode::already_joined);
    REQUIRE_FALSE(w.rooms.leave(a));
    REQUIRE_FALSE(w.join(a, "other", "a")); // leave, then join elsewhere on the same socket
}

TEST_CASE("leave is immediate and empty rooms are deleted", "[server][rooms]") {
    World w;
    Fake a, b;
    w.join(a, "r", "a");
    w.join(b, "r", "b");
    REQUIRE_FALSE(w.rooms.leave(b));
    CHECK(a.last() == json::parse(R"({"type":"peer-left","peer":"b"})"));
    CHECK_FALSE(b.in_room());
    w.rooms.leave(a);
    CHECK(w.rooms.room_count() == 0);
    CHECK(w.metrics.rooms == 0);
    CHECK(w.metrics.peers == 0);
}

TEST_CASE("a closed socket leaves only after the grace period", "[server][rooms]") {
    World w;
    w.limits.grace = std::chrono::milliseconds(5000);
    Fake a, b;
    w.join(a, "r", "a");
    w.join(b, "r", "b");
    w.rooms.disconnect(b, w.t0);
    CHECK(a.types().back() == "peer-joined"); // nothing yet
    CHECK(w.rooms.next_expiry() == w.t0 + w.limits.grace);
    CHECK(w.rooms.signal(a, {"b", "{}"})->code == ErrorCode::peer_away);
    w.rooms.expire(w.t0 + std::chrono::milliseconds(4999));
    CHECK(a.types().back() == "peer-joined");
    w.rooms.expire(w.t0 + std::chrono::milliseconds(5000));
    CHECK(a.last() == json::parse(R"({"type":"peer-left","peer":"b"})"));
    CHECK(w.metrics.peers == 1);
    CHECK_FALSE(w.rooms.next_expiry());
}

TEST_CASE("a refresh within the grace period is peer-rejoined, never left+joined",
          "[server][rooms]") {
    World w;
    Fake a, b, b2, c;
    w.join(a, "r", "a");
    w.join(b, "r", "b", "Bob");
    w.rooms.disconnect(b, w.t0);
    REQUIRE_FALSE(w.join(b2, "r", "b", "Bobby"));
    CHECK(a.last() ==
          json{{"type", "peer-rejoined"}, {"peer", "b"}, {"name", "Bobby"}, {"session", S(3)}});
    CHECK(b2.last()["session"] == S(3));
    CHECK(b2.last()["peers"] == json::array({{{"peer", "a"}, {"name", "N"}, {"session", S(1)}}}));
    w.rooms.expire(w.t0 + std::chrono::hours(1)); // the stale grace entry does nothing
    CHECK(a.types() == std::vector<std::string>{"joined", "peer-joined", "peer-rejoined"});
    REQUIRE_FALSE(w.rooms.signal(a, {"b", "{}"}));
    CHECK(b2.last()["from"] == "a");
    // a newcomer during someone's grace period sees them listed, with their last session
    w.rooms.disconnect(a, w.t0);
    w.join(c, "r", "c");
    CHECK(c.last()["peers"].size() == 2);
    CHECK(c.last()["peers"][0] == json{{"peer", "a"}, {"name", "N"}, {"session", S(1)}});
}

TEST_CASE("a refresh that beats the old socket's close replaces it", "[server][rooms]") {
    World w;
    Fake a, b, b2;
    w.join(a, "r", "a");
    w.join(b, "r", "b");
    REQUIRE_FALSE(w.join(b2, "r", "b"));
    CHECK(b.replaced_count == 1);
    CHECK_FALSE(b.in_room());
    CHECK(a.types().back() == "peer-rejoined");
    // the old socket closing later changes nothing
    w.rooms.disconnect(b, w.t0);
    w.rooms.expire(w.t0 + std::chrono::hours(1));
    CHECK(a.types().back() == "peer-rejoined");
    CHECK(w.metrics.peers == 2);
    REQUIRE_FALSE(w.rooms.signal(a, {"b", "{}"}));
    CHECK(b2.last()["type"] == "signal");
    CHECK(b.types().size() == 1); // only its own "joined"
}

TEST_CASE("a second disconnect gets a fresh grace period", "[server][rooms]") {
    World w;
    w.limits.grace = std::chrono::milliseconds(1000);
    Fake a, b, b2;
    w.join(a, "r", "a");
    w.join(b, "r", "b");
    w.rooms.disconnect(b, w.t0);
    w.join(b2, "r", "b");
    w.rooms.disconnect(b2, w.t0 + std::chrono::milliseconds(900));
    w.rooms.expire(w.t0 + std::chrono::milliseconds(1000)); // first entry: superseded
    CHECK(a.types().back() == "peer-rejoined");
    w.rooms.expire(w.t0 + std::chrono::milliseconds(1900));
    CHECK(a.types().back() == "peer-left");
}

TEST_CASE("zero grace leaves at once", "[server][rooms]") {
    World w;
    w.limits.grace = std::chrono::milliseconds(0);
    Fake a, b;
    w.join(a, "r", "a");
    w.join(b, "r", "b");
    w.rooms.disconnect(b, w.t0);
    CHECK(a.types().back() == "peer-left");
}

TEST_CASE("room and server limits", "[server][rooms]") {
    World w;
    w.limits.max_peers_per_room = 2;
    w.limits.max_rooms = 2;
    Fake a, b, c, d, e;
    w.join(a, "r", "a");
    w.join(b, "r", "b");
    CHECK(w.join(c, "r", "c")->code == ErrorCode::room_full);
    CHECK_FALSE(c.in_room());
    CHECK(a.types().size() == 2); // no announcement of the refused peer
    // a member refreshing into a full room is not refused
    Fake b2;
    REQUIRE_FALSE(w.join(b2, "r", "b"));
    REQUIRE_FALSE(w.join(d, "r2", "d"));
    CHECK(w.join(e, "r3", "e")->code == ErrorCode::too_many_rooms);
    CHECK(w.rooms.room_count() == 2);
}

TEST_CASE("signal to oneself is delivered back (harmless, and needs no special case)",
          "[server][rooms]") {
    World w;
    Fake a;
    w.join(a, "r", "a");
    REQUIRE_FALSE(w.rooms.signal(a, {"a", "{}"}));
    CHECK(a.last()["from"] == "a");
}
