// Signaling protocol (core/signaling_protocol.hpp): error slugs, the join signing payload, the
// server's builders as the client parses them, malformed server frames, the size and members of
// `joined`, JSON string escaping.
#include "core/signaling_protocol.hpp"

#include "core/trust.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace peddlenet::protocol;
using nlohmann::json;

namespace {

template <class T> T server_as(std::string_view text) {
    auto r = parse_server(text);
    INFO(text << " -> " << r.problem.message);
    REQUIRE(r.ok());
    REQUIRE(std::holds_alternative<T>(*r.value));
    return std::get<T>(*r.value);
}

// Peer ids that are keys (is_peer_key_id): the bytes 1..32 and 2..33 in base64url.
const std::string key_a = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA";
const std::string key_b = "AgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fICE";

std::string joined_frame(const std::string& extra, const std::string& peers) {
    return R"({"type":"joined","room":"r","peer":"me","session":"s")" + extra +
           R"(,"peers":)" + peers + "}";
}
std::string entry(const std::string& peer, const std::string& name = R"("A")",
                  const std::string& session = R"("sA")") {
    return R"({"peer":)" + peer + R"(,"name":)" + name + R"(,"session":)" + session + "}";
}

} // namespace

TEST_CASE("error slugs round-trip and are stable", "[protocol]") {
    CHECK(slug(ErrorCode::bad_json) == "bad-json");
    CHECK(slug(ErrorCode::too_large) == "too-large");
    CHECK(slug(ErrorCode::no_such_peer) == "no-such-peer");
    CHECK(slug(ErrorCode::server_full) == "server-full");
    CHECK(slug(ErrorCode::shutting_down) == "shutting-down"); // v1 numbering kept
    CHECK(slug(ErrorCode::auth_required) == "auth-required");
    CHECK(slug(ErrorCode::bad_key) == "bad-key");
    CHECK(slug(ErrorCode::bad_signature) == "bad-signature");
    CHECK(static_cast<int>(ErrorCode::bad_signature) == 17);
    CHECK(error_code_count == 18);
    for (std::size_t i = 0; i < error_code_count; ++i) {
        const auto code = static_cast<ErrorCode>(i);
        CHECK(error_code_from_slug(slug(code)) == code);
    }
    CHECK_FALSE(error_code_from_slug("no-such-thing").has_value());
}

TEST_CASE("the join signs the challenge, the room and the peer, in one exact spelling",
          "[protocol]") {
    CHECK(join_signing_payload("NONCE", "main-stage", "KEY") ==
          "peddlenet-join-v2\nNONCE\nmain-stage\nKEY");
    // ids never contain a newline, so the fields cannot be shifted from one into another
    CHECK(join_signing_payload("n", "ab", "c") != join_signing_payload("n", "a", "bc"));
    CHECK(build_join("r", "p", "Ann", "S1g") ==
          R"({"type":"join","room":"r","peer":"p","name":"Ann","sig":"S1g"})");
}

TEST_CASE("server builders produce valid JSON the client parses", "[protocol]") {
    const std::string nonce(nonce_chars, 'N');
    CHECK(server_as<Challenge>(build_challenge(nonce)).nonce == nonce);
    CHECK(json::parse(build_challenge(nonce)) ==
          json{{"type", "challenge"}, {"v", 2}, {"nonce", nonce}});

    const std::vector<PeerInfo> others = {{key_a, "Ann", "sessA"}, {key_b, "Bob \"B\"\n", "sessB"}};
    const auto joined = server_as<Joined>(build_joined("r", "me", "sessMe", 40, others));
    CHECK(joined.room == "r");
    CHECK(joined.peer == "me");
    CHECK(joined.session == "sessMe");
    CHECK(joined.size == 40);
    CHECK(joined.peers == others);
    const auto alone = server_as<Joined>(build_joined("r", "me", "s", 1, {}));
    CHECK(alone.peers.empty());
    CHECK(alone.size == 1);

    const auto pj = server_as<PeerJoined>(build_peer_joined("a", "Ann", "sessA"));
    CHECK((pj.peer == "a" && pj.name == "Ann" && pj.session == "sessA"));
    CHECK(server_as<PeerLeft>(build_peer_left("a")).peer == "a");
    const auto pr = server_as<PeerRejoined>(build_peer_rejoined("a", "Ann", "sessA2"));
    CHECK((pr.peer == "a" && pr.name == "Ann" && pr.session == "sessA2"));
    const auto sf = server_as<SignalFrom>(build_signal_from("a", R"({"x":[1,2]})"));
    CHECK(sf.from == "a");
    CHECK(sf.data == json::parse(R"({"x":[1,2]})")); // handed on parsed
    CHECK(sf.data.is_object());
    server_as<Pong>(build_pong());
    const auto e = server_as<ServerError>(build_error(ErrorCode::room_full, "room \"r\" is full"));
    CHECK(e.code == "room-full");
    CHECK(e.message == "room \"r\" is full");

    // exact wire shapes pinned by the issue
    CHECK(build_peer_left("a") == R"({"type":"peer-left","peer":"a"})");
    CHECK(build_signal_from("a", "{}") == R"({"type":"signal","from":"a","data":{}})");
    CHECK(build_pong() == R"({"type":"pong"})");
    CHECK(build_peer_joined("a", "A", "s1") ==
          R"({"type":"peer-joined","peer":"a","name":"A","session":"s1"})");
    CHECK(build_joined("r", "p", "s1", 1, {}) ==
          R"({"type":"joined","room":"r","peer":"p","session":"s1","size":1,"peers":[]})");
}

TEST_CASE("client-side parsing refuses malformed server frames", "[protocol]") {
    CHECK_FALSE(parse_server("nope").ok());
    CHECK_FALSE(parse_server("[]").ok());
    CHECK_FALSE(parse_server(R"({"type":"joined","room":"r","peer":"p"})").ok());
    CHECK_FALSE(parse_server(R"({"type":"joined","room":"r","peer":"p","peers":[{"peer":1}]})").ok());
    // v2: the challenge's nonce and every session are checked
    CHECK_FALSE(parse_server(R"({"type":"challenge","v":2})").ok());
    CHECK_FALSE(parse_server(R"({"type":"challenge","nonce":"short"})").ok());
    CHECK_FALSE(parse_server(R"({"type":"challenge","nonce":")" + std::string(42, 'a') + "=\"}").ok());
    CHECK_FALSE(parse_server(R"({"type":"challenge","nonce":")" + std::string(44, 'a') + "\"}").ok());
    CHECK_FALSE(parse_server(R"({"type":"joined","room":"r","peer":"p","peers":[]})").ok());
    CHECK_FALSE(parse_server(R"({"type":"joined","room":"r","peer":"p","session":"a b","peers":[]})").ok());
    CHECK_FALSE(parse_server(
                    R"({"type":"joined","room":"r","peer":"p","session":"s","peers":[{"peer":"a","name":"A"}]})")
                    .ok());
    CHECK_FALSE(parse_server(
                    R"({"type":"joined","room":"r","peer":"p","session":"s","peers":[{"peer":"a","name":"A","session":""}]})")
                    .ok());
    CHECK_FALSE(parse_server(R"({"type":"peer-joined","peer":"a","name":"A"})").ok());
    CHECK_FALSE(parse_server(R"({"type":"peer-rejoined","peer":"a","name":"A","session":7})").ok());
    CHECK_FALSE(parse_server(R"({"type":"peer-rejoined","peer":"a","name":"A","session":"x/y"})").ok());
    CHECK_FALSE(parse_server(R"({"type":"signal","from":"a","data":3})").ok());
    CHECK_FALSE(parse_server(R"({"type":"peer-left"})").ok());
    CHECK(parse_server(R"({"type":"mystery"})").problem.code == ErrorCode::bad_type);
    // unknown error slugs from a newer server are kept as text
    CHECK(server_as<ServerError>(R"({"type":"error","code":"new-thing"})").code == "new-thing");
}

TEST_CASE("joined: the room's size, and every listed member is checked", "[protocol]") {
    const std::string two = "[" + entry('"' + key_a + '"') + "," + entry('"' + key_b + '"') + "]";
    // an old server sends no size: its list is the whole room
    CHECK(server_as<Joined>(joined_frame("", two)).size == 3);
    CHECK(server_as<Joined>(joined_frame("", "[]")).size == 1);
    CHECK(server_as<Joined>(joined_frame(R"(,"size":3)", two)).size == 3);
    CHECK(server_as<Joined>(joined_frame(R"(,"size":1000000)", two)).size == max_joined_size);
    // smaller than the list plus the joiner, too large, or not a non-negative integer
    for (const char* size : {"2", "0", "-1", "-0", "1000001", "18446744073709551616", "3.0",
                             "3.5", "1e3", R"("3")", "null", "true", "[3]"}) {
        INFO(size);
        const auto r = parse_server(joined_frame(std::string(R"(,"size":)") + size, two));
        REQUIRE_FALSE(r.ok());
        CHECK(r.problem.code == ErrorCode::bad_field);
    }

    // each entry's peer is a key, as peer ids are everywhere
    const std::string small_order = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"; // y = 1
    REQUIRE_FALSE(peddlenet::is_peer_key_id(small_order));
    for (const std::string& peer :
         {std::string(R"("a")"), '"' + small_order + '"', '"' + key_a + "A\"",
          '"' + key_a.substr(1) + '"', std::string(R"("")"), std::string("7")}) {
        INFO(peer);
        const auto r = parse_server(joined_frame("", "[" + entry(peer) + "]"));
        REQUIRE_FALSE(r.ok());
        CHECK(r.problem.code == ErrorCode::bad_field);
    }
    const std::string a = '"' + key_a + '"';
    CHECK_FALSE(parse_server(joined_frame("", "[" + entry(a, "5") + "]")).ok());
    CHECK_FALSE(parse_server(joined_frame("", "[" + entry(a, R"("A")", R"("a b")") + "]")).ok());
    CHECK_FALSE(parse_server(joined_frame("", "[" + entry(a) + ",3]")).ok());

    // at most max_joined_peers entries
    const std::vector<PeerInfo> most(max_joined_peers, PeerInfo{key_a, "A", "sA"});
    CHECK(server_as<Joined>(build_joined("r", "me", "s", 5000, most)).peers.size() ==
          max_joined_peers);
    const std::vector<PeerInfo> too_many(max_joined_peers + 1, PeerInfo{key_a, "A", "sA"});
    const auto r = parse_server(build_joined("r", "me", "s", 5000, too_many));
    REQUIRE_FALSE(r.ok());
    CHECK(r.problem.code == ErrorCode::bad_field);
}

TEST_CASE("ice-servers: the box's TURN server with credentials, checked on arrival", "[protocol]") {
    const std::vector<std::string> urls = {"turn:10.0.0.1:3478?transport=udp",
                                           "turn:10.0.0.1:3478?transport=tcp"};
    const std::string frame = build_ice_servers(urls, "1700043200:me", "c2VjcmV0+/=", 1700043200);
    CHECK(json::parse(frame) ==
          json::parse(R"({"type":"ice-servers","servers":[
              {"urls":"turn:10.0.0.1:3478?transport=udp","username":"1700043200:me","credential":"c2VjcmV0+/="},
              {"urls":"turn:10.0.0.1:3478?transport=tcp","username":"1700043200:me","credential":"c2VjcmV0+/="}],
              "expires":1700043200})"));
    const auto ice = server_as<IceServers>(frame);
    CHECK(ice.expires_unix == 1700043200);
    REQUIRE(ice.servers.size() == 2);
    CHECK(ice.servers[0]["urls"] == urls[0]);
    CHECK(ice.servers[1]["credential"] == "c2VjcmV0+/=");
    // A list the browser should not be given is refused whole.
    CHECK_FALSE(parse_server(R"({"type":"ice-servers","servers":[{"urls":"turn:x"}],"expires":1})").ok());
    CHECK_FALSE(parse_server(R"({"type":"ice-servers","servers":[{"urls":"javascript:x"}],"expires":1})").ok());
    CHECK_FALSE(parse_server(R"({"type":"ice-servers","servers":{},"expires":1})").ok());
    CHECK_FALSE(parse_server(R"({"type":"ice-servers","servers":[]})").ok());
    CHECK_FALSE(parse_server(R"({"type":"ice-servers","servers":[],"expires":"soon"})").ok());
}

TEST_CASE("append_json_string escapes what JSON requires", "[protocol]") {
    std::string out;
    append_json_string(out, std::string("a\"b\\c\n\x01\x1f", 8));
    CHECK(out == R"("a\"b\\c\n\u0001\u001f")");
    CHECK(json::parse(out).get<std::string>() == std::string("a\"b\\c\n\x01\x1f", 8));
}
