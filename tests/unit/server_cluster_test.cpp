// A cluster node's pieces without Redis: the readers of what comes back from Redis
// (server/cluster_wire.hpp), and the room model as a node's mirror (server/rooms.hpp: members
// other nodes hold, admitted and removed in Redis's order, signals to them routed). The whole
// cluster over a real redis-server: tests/integration/cluster.test.js.
#include "rooms_support.hpp"
#include "server/cluster_wire.hpp"
#include "server/redis_link.hpp"
#include "server/rooms.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace peddlenet;
using namespace peddlenet::server;
using namespace peddlenet::server::cluster;
using json = nlohmann::json;

namespace {

using Fake = testing::RecordingOutlet;

struct RecordingRouter final : Router {
    struct Routed {
        NodeIndex node;
        std::string room, from, to;
        json frame;
    };
    std::vector<Routed> routed;
    bool reachable = true;
    bool route(NodeIndex node, const std::string& room, const std::string& from,
               const std::string& to, std::string frame) override {
        if (!reachable) return false;
        routed.push_back({node, room, from, to, json::parse(frame)});
        return true;
    }
};

SessionId S(int n) { return testing::numbered_session(static_cast<std::uint64_t>(n)); }
std::string s(int n) { return std::string(S(n).view()); }

struct Mirror {
    Limits limits;
    Metrics metrics;
    Rooms rooms{limits, metrics, 1};
    RecordingRouter router;
    Mirror() { rooms.set_router(&router); }
};

} // namespace

TEST_CASE("member records: live, away, names with bars; anything else refused", "[server][cluster]") {
    const auto live = parse_member("0c52343c37438099|Ygei8prjY3alE9cv|L|0|Ann");
    REQUIRE(live);
    CHECK(live->node == "0c52343c37438099");
    CHECK(live->session == "Ygei8prjY3alE9cv");
    CHECK_FALSE(live->away);
    CHECK(live->name == "Ann");
    const auto away = parse_member("n1|Ygei8prjY3alE9cv|A|1796560649217|A | B");
    REQUIRE(away);
    CHECK(away->away);
    CHECK(away->deadline_ms == 1796560649217);
    CHECK(away->name == "A | B");
    CHECK(parse_member("n1|Ygei8prjY3alE9cv|L|0|")->name.empty());
    for (const char* bad : {"", "n1|Ygei8prjY3alE9cv|L|0", "n1|short|L|0|x", "n 1|Ygei8prjY3alE9cv|L|0|x",
                            "n1|Ygei8prjY3alE9cv|X|0|x", "n1|Ygei8prjY3alE9cv|L|-1|x",
                            "n1|Ygei8prjY3alE9cv|L|01|x", "n1|Ygei8prjY3alE9cv|A|-0|x", "n1|Ygei8prjY3alE9cv|L|0|a\nb",
                            "n1|Ygei8prjY3alE9c!|L|0|x"})
        CHECK_FALSE(parse_member(bad));
}

TEST_CASE("room events: join, away, left; a counter from 1 with one spelling", "[server][cluster]") {
    const auto j = parse_event("J|7|peerA|n1|Ygei8prjY3alE9cv|Ann|x");
    REQUIRE(j);
    CHECK(j->kind == RoomEvent::Kind::join);
    CHECK(j->seq == 7);
    CHECK(j->peer == "peerA");
    CHECK(j->node == "n1");
    CHECK(j->session == "Ygei8prjY3alE9cv");
    CHECK(j->name == "Ann|x");
    CHECK(parse_event("A|8|peerA")->kind == RoomEvent::Kind::away);
    CHECK(parse_event("L|9|peerA")->kind == RoomEvent::Kind::left);
    for (const char* bad : {"", "J", "J|7", "X|7|p", "L|0|p", "L|07|p", "L|7|", "L|7|p|q", "A|x|p",
                            "J|7|p|n1|short|Ann", "L|99999999999999999999|p", "LL|7|p"})
        CHECK_FALSE(parse_event(bad));
}

TEST_CASE("node messages: netstrings that round-trip; truncated or padded ones refused", "[server][cluster]") {
    std::string m = "left over from an earlier batch";
    begin_message(m, NodeMessage::Kind::signals, "n1");
    append_entry(m, "room", "a", "b", R"({"type":"signal","from":"a","data":{"x":"1,2:3"}})");
    append_entry(m, "room", "c", "d", "");
    const auto parsed = parse_message(m);
    REQUIRE(parsed);
    CHECK(parsed->kind == NodeMessage::Kind::signals);
    CHECK(parsed->origin == "n1");
    REQUIRE(parsed->entries.size() == 2);
    CHECK(parsed->entries[0].frame == R"({"type":"signal","from":"a","data":{"x":"1,2:3"}})");
    CHECK(parsed->entries[1].to == "d");
    CHECK_FALSE(parse_message(m.substr(0, m.size() - 1)));
    CHECK_FALSE(parse_message(m + "x"));
    std::string empty;
    begin_message(empty, NodeMessage::Kind::bounce, "n1");
    CHECK_FALSE(parse_message(empty)); // no entries
    CHECK_FALSE(parse_message("S2:n1,4:room,1:a,1:b,01:x,"));
    CHECK_FALSE(parse_message("Q2:n1,4:room,1:a,1:b,0:,"));
}

TEST_CASE("channel names and the --redis URL", "[server][cluster]") {
    CHECK(room_of_channel(room_channel("my-room")) == std::optional<std::string_view>("my-room"));
    CHECK_FALSE(room_of_channel("pn:{}:ev"));
    CHECK_FALSE(room_of_channel(node_channel("n1")));
    CHECK_FALSE(room_of_channel("pn:{a b}:ev"));
    std::string error;
    const auto a = parse_redis_url("redis://127.0.0.1:6390", error);
    REQUIRE(a);
    CHECK(a->host == "127.0.0.1");
    CHECK(a->port == 6390);
    CHECK(parse_redis_url("redis://localhost", error)->port == 6379);
    for (const char* bad : {"127.0.0.1:6379", "redis://", "redis://:6379", "redis://127.0.0.1:0",
                            "redis://127.0.0.1:65536", "redis://user:pw@127.0.0.1:6379",
                            "redis://example.org:6379"}) {
        error.clear();
        CHECK_FALSE(parse_redis_url(bad, error));
        CHECK_FALSE(error.empty());
    }
}

TEST_CASE("mirror: other nodes' members are listed, announced, and signalled through the router", "[server][cluster]") {
    Mirror w;
    Fake a;
    w.rooms.admit(&a, "r", "a", "Ann", S(1), this_node);
    CHECK(a.last()["type"] == "joined");
    w.rooms.admit(nullptr, "r", "b", "Bob", S(2), 1);
    CHECK(a.last() == json{{"type", "peer-joined"}, {"peer", "b"}, {"name", "Bob"}, {"session", s(2)}});
    CHECK(w.rooms.peer_count() == 1); // a node counts the members it holds
    CHECK(w.metrics.peers == 1);

    // The same event again (a resync repeats them): nothing announced.
    const std::size_t frames = a.got.size();
    w.rooms.admit(nullptr, "r", "b", "Bob", S(2), 1);
    CHECK(a.got.size() == frames);

    // A signal to b goes to b's node with `from` filled in; away, it is refused.
    CHECK_FALSE(w.rooms.signal(a, protocol::Signal{"b", R"({"sdp":1})"}));
    REQUIRE(w.router.routed.size() == 1);
    CHECK(w.router.routed[0].node == 1);
    CHECK(w.router.routed[0].frame == json{{"type", "signal"}, {"from", "a"}, {"data", {{"sdp", 1}}}});
    w.rooms.set_away("r", "b");
    CHECK(w.rooms.signal(a, protocol::Signal{"b", "{}"})->code == protocol::ErrorCode::peer_away);
    // Back (a rejoin on node 2): peer-rejoined, routed to node 2.
    w.rooms.admit(nullptr, "r", "b", "Bob", S(3), 2);
    CHECK(a.last()["type"] == "peer-rejoined");
    CHECK_FALSE(w.rooms.signal(a, protocol::Signal{"b", "{}"}));
    CHECK(w.router.routed.back().node == 2);
    // Its node unreachable: the sender is told.
    w.router.reachable = false;
    const auto refused = w.rooms.signal(a, protocol::Signal{"b", "{}"});
    REQUIRE(refused);
    CHECK(refused->message.find("cannot be reached") != std::string::npos);

    w.rooms.remove("r", "b");
    CHECK(a.last() == json{{"type", "peer-left"}, {"peer", "b"}});
}

TEST_CASE("mirror: a refresh onto another node replaces the local socket", "[server][cluster]") {
    Mirror w;
    Fake a, c;
    w.rooms.admit(&a, "r", "a", "Ann", S(1), this_node);
    w.rooms.admit(&c, "r", "c", "Cy", S(2), this_node);
    w.rooms.admit(nullptr, "r", "a", "Ann", S(3), 1);
    CHECK(a.replaced_count == 1);
    CHECK_FALSE(a.in_room());
    CHECK(c.last() == json{{"type", "peer-rejoined"}, {"peer", "a"}, {"name", "Ann"}, {"session", s(3)}});
    CHECK(w.rooms.peer_count() == 1);
}

TEST_CASE("mirror: this process's grace period does not end a member that moved to another node", "[server][cluster]") {
    Mirror w;
    Fake a, c;
    w.rooms.admit(&a, "r", "a", "Ann", S(1), this_node);
    w.rooms.admit(&c, "r", "c", "Cy", S(2), this_node);
    const auto t0 = Rooms::Clock::now();
    w.rooms.disconnect(a, t0);
    w.rooms.admit(nullptr, "r", "a", "Ann", S(3), 1); // back, on node 1
    w.rooms.expire(t0 + w.limits.grace + std::chrono::seconds(1));
    CHECK(c.last()["type"] == "peer-rejoined"); // no peer-left
    REQUIRE(w.rooms.find("r"));
    CHECK(w.rooms.find("r")->members.size() == 2);
}

TEST_CASE("mirror: detach leaves the member without a socket; forget drops a room silently", "[server][cluster]") {
    Mirror w;
    Fake a, c;
    w.rooms.admit(&a, "r", "a", "Ann", S(1), this_node);
    w.rooms.admit(&c, "r", "c", "Cy", S(2), this_node);
    w.rooms.admit(nullptr, "r", "b", "Bob", S(3), 1);
    const Member* m = w.rooms.detach(a);
    REQUIRE(m);
    CHECK(m->peer == "a");
    CHECK_FALSE(a.in_room());
    CHECK_FALSE(w.rooms.next_expiry()); // no grace period of our own: Redis times it
    CHECK(w.rooms.signal(c, protocol::Signal{"a", "{}"})->code == protocol::ErrorCode::peer_away);
    const std::size_t frames = c.got.size();
    w.rooms.leave(c);
    w.rooms.forget("r");
    CHECK_FALSE(w.rooms.find("r"));
    CHECK(c.got.size() == frames);
    CHECK(w.rooms.peer_count() == 0);
    CHECK(w.metrics.rooms == 0);
}
