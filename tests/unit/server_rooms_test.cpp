// Room model (server/rooms.hpp) with recording outlets: joins, refreshes, grace periods, relay
// rules, sessions and limits, case by case; the size and sample in `joined`, and rooms of
// thousands. Joins here are taken as proven (join_auth_test.cpp).
#include "rooms_support.hpp"
#include "server/rooms.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <deque>
#include <map>
#include <set>

using namespace peddlenet;
using namespace peddlenet::server;
using protocol::ErrorCode;
using json = nlohmann::json;

namespace {

using Fake = testing::RecordingOutlet;

// Sessions "S000000000000001", "S000000000000002", ... in join order.
SessionId session_number(int n) { return testing::numbered_session(static_cast<std::uint64_t>(n)); }
std::string S(int n) { return std::string(session_number(n).view()); }

// A member whose frames are counted, not parsed: a big room sends millions of them.
struct Quiet final : Outlet {
    std::size_t frames = 0;
    std::string last;
    void deliver(std::string frame) override {
        ++frames;
        last = std::move(frame);
    }
    void replaced() override {}
};

// Member i's peer id, as long as a real one (43 characters).
std::string peer_id(std::size_t i) {
    const std::string n = std::to_string(i);
    return "p" + std::string(42 - n.size(), '0') + n;
}

std::set<std::string> listed(const json& joined) {
    std::set<std::string> ids;
    for (const json& p : joined["peers"]) ids.insert(p["peer"].get<std::string>());
    return ids;
}

struct World {
    explicit World(std::uint64_t seed = 1) : rooms{limits, metrics, seed} {}
    Limits limits;
    Metrics metrics;
    Rooms rooms;
    Rooms::Clock::time_point t0 = Rooms::Clock::now();
    int joins = 0;
    std::optional<protocol::Problem> join(Outlet& f, std::string room, std::string peer,
                                          std::string name = "N") {
        return rooms.join(f, protocol::Join{room, peer, name, "sig"}, session_number(++joins));
    }
    // Joins `q` and returns the `joined` it got.
    json join_quiet(Quiet& q, std::string room, std::string peer, std::string name = "N") {
        REQUIRE_FALSE(join(q, std::move(room), std::move(peer), std::move(name)));
        return json::parse(q.last);
    }
};

} // namespace

TEST_CASE("join announces both ways", "[server][rooms]") {
    World w;
    Fake a, b;
    REQUIRE_FALSE(w.join(a, "r", "a", "Ann"));
    CHECK(a.last() == json{{"type", "joined"}, {"room", "r"}, {"peer", "a"}, {"session", S(1)},
                           {"size", 1}, {"peers", json::array()}});
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

// [SECTION] size and sample of `joined`, big rooms ---------------------------------------------

TEST_CASE("joined lists everyone up to joined_sample, then a sample of exactly that many",
          "[server][rooms][sample]") {
    World w;
    REQUIRE(w.limits.joined_sample == 32);
    std::deque<Quiet> members(34);
    for (std::size_t i = 0; i < 33; ++i) {
        const json joined = w.join_quiet(members[i], "r", peer_id(i));
        CHECK(joined["size"] == i + 1);
        std::set<std::string> before;
        for (std::size_t j = 0; j < i; ++j) before.insert(peer_id(j));
        CHECK(listed(joined) == before); // up to 32 others: all of them
    }
    const json joined = w.join_quiet(members[33], "r", peer_id(33));
    CHECK(joined["size"] == 34);
    REQUIRE(joined["peers"].size() == 32);
    const std::set<std::string> ids = listed(joined);
    CHECK(ids.size() == 32); // no one twice
    CHECK_FALSE(ids.count(peer_id(33)));
    for (const std::string& id : ids) CHECK(id < peer_id(33)); // only real members
    for (const json& p : joined["peers"]) {
        const std::size_t i = std::stoul(p["peer"].get<std::string>().substr(1));
        CHECK(p == json{{"peer", peer_id(i)}, {"name", "N"}, {"session", S(int(i) + 1)}});
    }

    w.limits.joined_sample = 5; // the limit is read at each join
    Quiet late;
    CHECK(w.join_quiet(late, "r", peer_id(34))["peers"].size() == 5);
}

TEST_CASE("the sample is random: another seed draws another one, the same seed the same one",
          "[server][rooms][sample]") {
    auto sample = [](std::uint64_t seed) {
        World w(seed);
        std::deque<Quiet> members(101);
        for (std::size_t i = 0; i < 100; ++i) w.join_quiet(members[i], "r", peer_id(i));
        return listed(w.join_quiet(members[100], "r", peer_id(100)));
    };
    const auto one = sample(1), two = sample(2);
    CHECK(one.size() == 32);
    CHECK(two.size() == 32);
    CHECK(one != two);
    CHECK(sample(1) == one);
}

TEST_CASE("over many joins every member is listed about equally often: no hubs",
          "[server][rooms][sample]") {
    World w(7);
    constexpr std::size_t n = 100, probes = 1000;
    std::deque<Quiet> members(n);
    for (std::size_t i = 0; i < n; ++i) w.join_quiet(members[i], "r", peer_id(i));
    // Members leaving from the middle reorder the room: the sample must not care.
    for (std::size_t i : {0, 10, 50}) {
        REQUIRE_FALSE(w.rooms.leave(members[i]));
        w.join_quiet(members[i], "r", peer_id(i));
    }
    std::map<std::string, std::size_t> count;
    Quiet probe;
    for (std::size_t k = 0; k < probes; ++k) {
        for (const std::string& id : listed(w.join_quiet(probe, "r", "probe"))) ++count[id];
        REQUIRE_FALSE(w.rooms.leave(probe));
    }
    REQUIRE(count.size() == n); // everyone was listed at some point, and only members
    // Each member is in a given sample with probability 32/100: expected 320 listings out of
    // 1000, standard deviation ~15. A sampler biased by position is off by hundreds.
    const double expected = probes * 32.0 / n;
    double chi2 = 0;
    std::size_t lowest = probes, highest = 0;
    for (const auto& [id, c] : count) {
        lowest = std::min(lowest, c);
        highest = std::max(highest, c);
        chi2 += (c - expected) * (c - expected) / expected;
    }
    INFO("listings per member: " << lowest << ".." << highest << ", chi-square " << chi2);
    CHECK(lowest > 0.75 * expected);
    CHECK(highest < 1.25 * expected);
    // Uniform draws give ~67 here (99 degrees of freedom, less spread without replacement).
    CHECK(chi2 < 2.0 * n);
}

TEST_CASE("the sample prefers members with a live socket", "[server][rooms][sample]") {
    World w(3);
    std::deque<Quiet> members(50);
    for (std::size_t i = 0; i < 50; ++i) w.join_quiet(members[i], "r", peer_id(i));
    auto live = [&] {
        std::set<std::string> ids;
        for (std::size_t i = 0; i < 50; ++i)
            if (members[i].in_room()) ids.insert(peer_id(i));
        return ids;
    };
    // 40 live, 10 away: only live ones are listed
    for (std::size_t i = 0; i < 10; ++i) w.rooms.disconnect(members[i * 5], w.t0);
    Quiet a;
    json joined = w.join_quiet(a, "r", "a");
    CHECK(joined["size"] == 51); // those in their grace period count
    std::set<std::string> ids = listed(joined);
    CHECK(ids.size() == 32);
    for (const std::string& id : ids) CHECK(live().count(id));
    REQUIRE_FALSE(w.rooms.leave(a));
    // 10 live, 40 away: all live ones, and away ones make up the rest
    for (std::size_t i = 0; i < 50; ++i)
        if (members[i].in_room() && live().size() > 10) w.rooms.disconnect(members[i], w.t0);
    REQUIRE(live().size() == 10);
    Quiet b;
    joined = w.join_quiet(b, "r", "b");
    ids = listed(joined);
    CHECK(ids.size() == 32);
    for (const std::string& id : live()) CHECK(ids.count(id));
}

TEST_CASE("size counts every member: the joiner, and those in their grace period",
          "[server][rooms][sample]") {
    World w;
    Fake a, b, c, d, e, f, a2;
    w.join(a, "r", "a");
    CHECK(a.last()["size"] == 1);
    w.join(b, "r", "b");
    CHECK(b.last()["size"] == 2);
    w.join(c, "r", "c");
    CHECK(c.last()["size"] == 3);
    w.rooms.leave(b);
    w.join(d, "r", "d");
    CHECK(d.last()["size"] == 3);
    w.rooms.disconnect(c, w.t0);
    w.join(e, "r", "e");
    CHECK(e.last()["size"] == 4); // c, in its grace period, counts
    w.rooms.expire(w.t0 + w.limits.grace);
    w.join(f, "r", "f");
    CHECK(f.last()["size"] == 4); // a, d, e, f
    w.join(a2, "r", "a");         // a refresh adds no one
    CHECK(a2.last()["size"] == 4);
    CHECK(a2.last()["peers"].size() == 3);
}

TEST_CASE("removals in any order keep every member reachable by id and by socket",
          "[server][rooms]") {
    World w;
    std::deque<Fake> members(12);
    for (std::size_t i = 0; i < 12; ++i) w.join(members[i], "r", peer_id(i));
    REQUIRE_FALSE(w.rooms.leave(members[0])); // the last member moves into slot 0
    w.rooms.disconnect(members[7], w.t0);     // away, then back on a new socket
    REQUIRE_FALSE(w.rooms.leave(members[11]));
    REQUIRE_FALSE(w.rooms.leave(members[3]));
    w.rooms.disconnect(members[5], w.t0);
    w.rooms.expire(w.t0 + w.limits.grace); // 5 and 7 leave for good
    Fake back;
    w.rooms.disconnect(members[9], w.t0);
    REQUIRE_FALSE(w.join(back, "r", peer_id(9)));
    REQUIRE_FALSE(w.rooms.leave(members[1]));

    std::map<std::string, Fake*> in_room = {{peer_id(9), &back}};
    for (std::size_t i : {2, 4, 6, 8, 10}) in_room[peer_id(i)] = &members[i];
    CHECK(w.rooms.peer_count() == in_room.size());
    for (const auto& [from, sender] : in_room) {
        for (const auto& [to, target] : in_room) {
            REQUIRE_FALSE(w.rooms.signal(*sender, {to, "{}"}));
            CHECK(target->last() ==
                  json{{"type", "signal"}, {"from", from}, {"data", json::object()}});
        }
        for (std::size_t gone : {0, 1, 3, 5, 7, 11})
            CHECK(w.rooms.signal(*sender, {peer_id(gone), "{}"})->code == ErrorCode::no_such_peer);
    }
    Fake newcomer;
    w.join(newcomer, "r", "newcomer");
    CHECK(newcomer.last()["size"] == 7);
    std::set<std::string> expected;
    for (const auto& [id, outlet] : in_room) expected.insert(id);
    CHECK(listed(newcomer.last()) == expected);
}

TEST_CASE("a room holds 5000 members; their joined stays far below 64 KiB",
          "[server][rooms][big]") {
    World w;
    REQUIRE(w.limits.max_peers_per_room == 5000);
    // The widest fields: a 64-character room id, 43-character peer ids and names of 32 code
    // points of 4 bytes each (control characters, which JSON escapes longer, are not allowed).
    const std::string room(64, 'r');
    std::string name;
    for (int i = 0; i < 32; ++i) name += "\xF0\x9F\x98\x80"; // U+1F600
    // Most members are in their grace period (they count, but get no frames), which keeps the
    // test's fan-out small: a sanitizer build copies every frame to each live member slowly.
    std::deque<Quiet> members(5001);
    for (std::size_t i = 0; i + 1 < 5000; ++i) {
        REQUIRE_FALSE(w.join(members[i], room, peer_id(i), name));
        if (i % 50 != 0) w.rooms.disconnect(members[i], w.t0);
    }
    Quiet& last = members[4999];
    REQUIRE_FALSE(w.join(last, room, peer_id(4999), name));
    const json joined = json::parse(last.last);
    CHECK(joined["size"] == 5000);
    CHECK(joined["peers"].size() == 32);
    CHECK(last.last.size() < 8 * 1024); // ~7.3 KB; docs/PROTOCOL.md says under 10 KB
    CHECK(last.last.size() < w.limits.max_frame_bytes);

    CHECK(w.join(members[5000], room, peer_id(5000), name)->code == ErrorCode::room_full);
    CHECK(members[5000].frames == 0);
    CHECK(members[0].frames == 5000); // its joined and 4999 peer-joined, nothing of the refusal
    CHECK(w.rooms.peer_count() == 5000);
    Quiet again; // a member refreshing into the full room is not refused
    REQUIRE_FALSE(w.join(again, room, peer_id(0), name));
    CHECK(w.rooms.peer_count() == 5000);
}
