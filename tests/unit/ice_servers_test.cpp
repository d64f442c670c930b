// The ICE servers setting (core/ice_servers.hpp): what people type becomes RTCIceServer JSON.
#include "core/ice_servers.hpp"

#include <catch2/catch.hpp>

using peddlenet::parse_ice_servers;

TEST_CASE("empty text means no ICE servers (host candidates only)", "[ice]") {
    const auto r = parse_ice_servers("");
    REQUIRE(r.ok());
    CHECK(r.servers.empty());
    CHECK(parse_ice_servers("\n  \n# comment\n").servers.empty());
}

TEST_CASE("STUN and TURN lines become RTCIceServer objects", "[ice]") {
    const auto r = parse_ice_servers("stun:stun.example.org:3478\nturns:turn.example.org:443 ann s3cret\n");
    REQUIRE(r.ok());
    REQUIRE(r.servers.size() == 2);
    CHECK(r.servers[0] == nlohmann::json{{"urls", "stun:stun.example.org:3478"}});
    CHECK(r.servers[1]["username"] == "ann");
    CHECK(r.servers[1]["credential"] == "s3cret");
}

TEST_CASE("mistakes are refused with the line number", "[ice]") {
    using Message = peddlenet::i18n::Message;
    CHECK(parse_ice_servers("http://example.org").error == Message{"ice.bad_scheme", {{"line", "1"}}});
    CHECK(parse_ice_servers("stun:a\nturn:b").error == Message{"ice.turn_needs_credentials", {{"line", "2"}}});
    CHECK_FALSE(parse_ice_servers("stun:a user pass").ok());
    CHECK_FALSE(parse_ice_servers("stun:a\"b").ok());
    CHECK_FALSE(parse_ice_servers("stun:" + std::string(600, 'x')).ok());
    CHECK_FALSE(parse_ice_servers("\xff").ok());
    std::string many;
    for (int i = 0; i < 9; ++i) many += "stun:s" + std::to_string(i) + "\n";
    CHECK_FALSE(parse_ice_servers(many).ok());
}

TEST_CASE("a list from the server is held to the same rules, one URL per entry", "[ice]") {
    using nlohmann::json;
    using peddlenet::check_ice_server_list;
    const json list = json::parse(R"([{"urls":["turn:10.0.0.1:3478?transport=udp",
        "turn:10.0.0.1:3478?transport=tcp"],"username":"1700043200:p","credential":"c2VjcmV0"},
        {"urls":"stun:10.0.0.1:3478"}])");
    const auto r = check_ice_server_list(list);
    REQUIRE(r.ok());
    REQUIRE(r.servers.size() == 3);
    CHECK(r.servers[1] == json{{"urls", "turn:10.0.0.1:3478?transport=tcp"},
                                {"username", "1700043200:p"}, {"credential", "c2VjcmV0"}});
    CHECK(r.servers[2] == json{{"urls", "stun:10.0.0.1:3478"}});
    CHECK(check_ice_server_list(json::array()).ok());
    CHECK_FALSE(check_ice_server_list(json::object()).ok());
    CHECK_FALSE(check_ice_server_list(json::parse(R"([{"urls":"http://x"}])")).ok());
    CHECK_FALSE(check_ice_server_list(json::parse(R"([{"urls":"turn:x"}])")).ok()); // no credentials
    CHECK_FALSE(check_ice_server_list(json::parse(R"([{"urls":"turn:x","username":"u","credential":5}])")).ok());
    CHECK_FALSE(check_ice_server_list(json::parse(R"([{"urls":["stun:a",7]}])")).ok());
    CHECK_FALSE(check_ice_server_list(json::parse(R"([{"urls":[]}])")).ok());
    CHECK_FALSE(check_ice_server_list(json::parse(R"([7])")).ok());
    json many = json::array();
    for (int i = 0; i < 9; ++i) many.push_back({{"urls", "stun:a" + std::to_string(i)}});
    CHECK(check_ice_server_list(many).error == peddlenet::i18n::Message{"ice.too_many", {{"max", "8"}}});
}
