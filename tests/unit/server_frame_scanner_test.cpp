// The server's frame scanner (server/frame_scanner.hpp): client frames case by case, hostile
// input, the client builders as the server parses them, and the strict scanner against
// nlohmann's parser.
#include "server/frame_scanner.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <random>

using namespace peddlenet::protocol;
using nlohmann::json;

namespace {

ErrorCode code_of(std::string_view text) {
    const auto r = parse_client(text);
    REQUIRE_FALSE(r.ok());
    CHECK_FALSE(r.problem.message.empty());
    return r.problem.code;
}

template <class T> T as(std::string_view text) {
    auto r = parse_client(text);
    INFO(text << " -> " << r.problem.message);
    REQUIRE(r.ok());
    REQUIRE(std::holds_alternative<T>(*r.value));
    return std::get<T>(*r.value);
}

} // namespace

TEST_CASE("join parses with all fields valid", "[protocol]") {
    const auto j = as<Join>(R"({"type":"join","sig":"s","room":"main-stage","peer":"p_1","name":"Zoë 🎉"})");
    CHECK(j.room == "main-stage");
    CHECK(j.peer == "p_1");
    CHECK(j.name == "Zoë 🎉");
    CHECK(j.sig == "s"); // only taken here; join_auth.hpp decodes and verifies it
    // field order, whitespace and unknown fields do not matter
    const auto k = as<Join>(" {\n\"name\" : \"A\", \"future\":[1,{\"x\":null}], \"peer\":\"b\","
                            "\t\"room\":\"r\", \"sig\":\"x\", \"type\":\"join\"}\r\n");
    CHECK(k.name == "A");
    // escapes in names decode, including surrogate pairs
    CHECK(as<Join>(R"({"type":"join","sig":"s","room":"r","peer":"p","name":"\"Q\" \u00e9\ud83c\udf89"})")
              .name == "\"Q\" \xC3\xA9\xF0\x9F\x8E\x89");
}

TEST_CASE("a join without sig (a v1 client) is auth-required, whatever else it holds",
          "[protocol]") {
    CHECK(code_of(R"({"type":"join","room":"r","peer":"p","name":"n"})") ==
          ErrorCode::auth_required);
    CHECK(code_of(R"({"type":"join"})") == ErrorCode::auth_required);
    const auto r = parse_client(R"({"type":"join","room":"r","peer":"p","name":"n"})");
    CHECK(r.problem.message.find("reload") != std::string::npos);
    CHECK(code_of(R"({"type":"join","room":"r","peer":"p","name":"n","sig":7})") ==
          ErrorCode::bad_field);
    CHECK(code_of(R"({"type":"join","room":"r","peer":"p","name":"n","sig":"a","sig":"b"})") ==
          ErrorCode::bad_json);
}

TEST_CASE("join field rules", "[protocol]") {
    CHECK(code_of(R"({"type":"join","sig":"s","peer":"p","name":"n"})") == ErrorCode::bad_field);
    CHECK(code_of(R"({"type":"join","sig":"s","room":"r","name":"n"})") == ErrorCode::bad_field);
    CHECK(code_of(R"({"type":"join","sig":"s","room":"r","peer":"p"})") == ErrorCode::bad_field);
    CHECK(code_of(R"({"type":"join","sig":"s","room":7,"peer":"p","name":"n"})") == ErrorCode::bad_field);
    CHECK(code_of(R"({"type":"join","sig":"s","room":"r","peer":null,"name":"n"})") == ErrorCode::bad_field);
    CHECK(code_of(R"({"type":"join","sig":"s","room":"r","peer":"p","name":["n"]})") == ErrorCode::bad_field);
    CHECK(code_of(R"({"type":"join","sig":"s","room":"","peer":"p","name":"n"})") == ErrorCode::bad_field);
    CHECK(code_of(R"({"type":"join","sig":"s","room":"a b","peer":"p","name":"n"})") == ErrorCode::bad_field);
    CHECK(code_of(R"({"type":"join","sig":"s","room":"r","peer":"p/../x","name":"n"})") ==
          ErrorCode::bad_field);
    const std::string id64(64, 'x'), id65(65, 'x');
    CHECK(as<Join>(R"({"type":"join","sig":"s","room":")" + id64 + R"(","peer":"p","name":"n"})").room ==
          id64);
    CHECK(code_of(R"({"type":"join","sig":"s","room":")" + id65 + R"(","peer":"p","name":"n"})") ==
          ErrorCode::bad_field);
    CHECK(code_of(R"({"type":"join","sig":"s","room":"r","peer":"p","name":""})") == ErrorCode::bad_field);
    std::string name32;
    for (int i = 0; i < 32; ++i) name32 += "é";
    CHECK(as<Join>(R"({"type":"join","sig":"s","room":"r","peer":"p","name":")" + name32 + "\"}").name ==
          name32);
    CHECK(code_of(R"({"type":"join","sig":"s","room":"r","peer":"p","name":")" + name32 + "x\"}") ==
          ErrorCode::bad_field);
    CHECK(code_of(R"({"type":"join","sig":"s","room":"r","peer":"p","name":"a\u0000b"})") ==
          ErrorCode::bad_field);
    CHECK(code_of(R"({"type":"join","sig":"s","room":"r","peer":"p","name":"tab\there"})") ==
          ErrorCode::bad_field);
    // an escaped id is decoded before the id rule applies
    CHECK(code_of(R"({"type":"join","sig":"s","room":"r\u0020","peer":"p","name":"n"})") ==
          ErrorCode::bad_field);
    CHECK(as<Join>(R"({"type":"join","sig":"s","room":"\u0072","peer":"p","name":"n"})").room == "r");
}

TEST_CASE("signal keeps data byte for byte", "[protocol]") {
    const std::string data = R"({"sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n","n":-1.5e3,"a":[true,false,null],"u":"\u00e9"})";
    const auto s = as<Signal>(R"({"type":"signal","to":"peer-2","data":)" + data + "}");
    CHECK(s.to == "peer-2");
    CHECK(s.data == data);
    CHECK(as<Signal>(R"({"data":{},"to":"x","type":"signal"})").data == "{}");
}

TEST_CASE("signal field rules", "[protocol]") {
    CHECK(code_of(R"({"type":"signal","data":{}})") == ErrorCode::bad_field);
    CHECK(code_of(R"({"type":"signal","to":"x"})") == ErrorCode::bad_field);
    CHECK(code_of(R"({"type":"signal","to":"x","data":"str"})") == ErrorCode::bad_field);
    CHECK(code_of(R"({"type":"signal","to":"x","data":[1]})") == ErrorCode::bad_field);
    CHECK(code_of(R"({"type":"signal","to":"x","data":null})") == ErrorCode::bad_field);
    CHECK(code_of(R"({"type":"signal","to":5,"data":{}})") == ErrorCode::bad_field);
    CHECK(code_of(R"({"type":"signal","to":"bad id","data":{}})") == ErrorCode::bad_field);
    // the sender cannot choose its own `from`: it is ignored like any unknown field
    CHECK(as<Signal>(R"({"type":"signal","to":"x","from":"admin","data":{}})").to == "x");
}

TEST_CASE("leave and ping", "[protocol]") {
    as<Leave>(R"({"type":"leave"})");
    as<Ping>(R"({"type":"ping","t":123})");
}

TEST_CASE("type errors", "[protocol]") {
    CHECK(code_of(R"({})") == ErrorCode::bad_field);
    CHECK(code_of(R"({"room":"r"})") == ErrorCode::bad_field);
    CHECK(code_of(R"({"type":1})") == ErrorCode::bad_field);
    CHECK(code_of(R"({"type":"JOIN"})") == ErrorCode::bad_type);
    CHECK(code_of(R"({"type":"hello"})") == ErrorCode::bad_type);
    // the echo of an unknown type is short and printable
    const auto r = parse_client(R"({"type":")" + std::string(5000, 'z') + "\\n\"}");
    REQUIRE_FALSE(r.ok());
    CHECK(r.problem.code == ErrorCode::bad_type);
    CHECK(r.problem.message.size() < 100);
}

TEST_CASE("invalid JSON is refused with its byte offset", "[protocol]") {
    for (const char* bad : {"", " ", "nul", "[]", "\"join\"", "42", "{", "{\"type\"", "{\"type\":}",
                            "{\"type\":\"ping\",}", "{\"type\":\"ping\"} x", "{'type':'ping'}",
                            "{\"type\":\"ping\",\"a\":01}", "{\"type\":\"ping\",\"a\":1.}",
                            "{\"type\":\"ping\",\"a\":-}", "{\"type\":\"ping\",\"a\":tru}",
                            "{\"type\":\"ping\",\"a\":\"\\x\"}", "{\"type\":\"ping\",\"a\":\"\\u12\"}",
                            "{\"type\":\"ping\",\"a\":\"\\ud800\"}",
                            "{\"type\":\"ping\",\"a\":\"\\udc00\"}",
                            "{\"type\":\"ping\",\"a\":\"tab\tin string\"}",
                            "{\"type\":\"ping\",\"a\":[1,2}", "{\"type\":\"ping\"}{}"}) {
        INFO(bad);
        CHECK(code_of(bad) == ErrorCode::bad_json);
    }
    const auto r = parse_client("{\"type\":\"ping\",\"a\":@}");
    CHECK(r.problem.message.find("byte 19") != std::string::npos);
}

TEST_CASE("duplicate known fields are refused", "[protocol]") {
    CHECK(code_of(R"({"type":"ping","type":"join"})") == ErrorCode::bad_json);
    CHECK(code_of(R"({"type":"signal","to":"a","to":"b","data":{}})") == ErrorCode::bad_json);
}

TEST_CASE("invalid UTF-8 gets its own slug", "[protocol]") {
    CHECK(code_of("{\"type\":\"join\",\"sig\":\"s\",\"room\":\"r\",\"peer\":\"p\",\"name\":\"\xC0\xAF\"}") ==
          ErrorCode::bad_utf8);
    CHECK(code_of("{\"type\":\"ping\",\"x\":\"\xED\xA0\x80\"}") == ErrorCode::bad_utf8);
    CHECK(code_of("{\"type\":\"ping\",\"x\":\"\xF0\x9F\x8E\"}") == ErrorCode::bad_utf8);
    // outside a string, non-ASCII is simply bad JSON
    CHECK(code_of("{\"type\":\"ping\",\"x\":\xC3\xA9}") == ErrorCode::bad_json);
}

TEST_CASE("nesting is capped, without recursion blowing the stack", "[protocol]") {
    auto nested = [](std::size_t depth) {
        // the frame object is level 1, data level 2, each extra array one more
        return R"({"type":"signal","to":"x","data":{"a":)" + std::string(depth - 2, '[') +
               std::string(depth - 2, ']') + "}}";
    };
    as<Signal>(nested(max_json_depth));
    CHECK(code_of(nested(max_json_depth + 1)) == ErrorCode::bad_json);
    CHECK(code_of(R"({"type":"signal","to":"x","data":)" + std::string(200000, '[')) ==
          ErrorCode::bad_json);
}

TEST_CASE("the scanner agrees with nlohmann on valid and mutated frames", "[protocol]") {
    const std::vector<std::string> seeds = {
        R"({"type":"join","sig":"s","room":"r","peer":"p","name":"N \u00e9\ud83c\udf89"})",
        R"({"type":"signal","to":"x","data":{"sdp":"v=0\r\n","c":[1,-0.5,2e10,true,null,{}],"e":""}})",
        R"({"type":"ping","z":[[],{},"",0,-1,1.25E-3]})",
    };
    std::mt19937 rng(12345);
    const std::string alphabet = "{}[]\":,\\/ubfnrt0123456789.eE+-xaé\xFF\x01 \t";
    std::size_t compared = 0;
    for (const auto& seed : seeds) {
        for (int round = 0; round < 3000; ++round) {
            std::string s = seed;
            const int edits = 1 + static_cast<int>(rng() % 3);
            for (int e = 0; e < edits && !s.empty(); ++e) {
                const std::size_t at = rng() % s.size();
                const char c = alphabet[rng() % alphabet.size()];
                switch (rng() % 3) {
                case 0: s[at] = c; break;
                case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), c); break;
                default: s.erase(at, 1);
                }
            }
            const auto r = parse_client(s);
            const bool scanner_says_json =
                r.ok() || (r.problem.code != ErrorCode::bad_json &&
                           r.problem.code != ErrorCode::bad_utf8);
            bool object = false;
            try {
                object = json::parse(s).is_object();
            } catch (const json::exception& e) {
                // JSON's grammar allows 2e999; nlohmann alone refuses it as out of range
                if (std::string(e.what()).find("number overflow") != std::string::npos) continue;
            }
            // duplicate keys are the one deliberate difference: nlohmann keeps the last one
            if (r.problem.message.find("duplicate") != std::string::npos) continue;
            INFO(s);
            CHECK(scanner_says_json == object);
            ++compared;
        }
    }
    CHECK(compared > 8000);
}

TEST_CASE("client builders produce frames the server parses", "[protocol]") {
    const auto j = as<Join>(build_join("room", "peer", "Ann \"the\" \\ 🎉", "c2ln"));
    CHECK(j.name == "Ann \"the\" \\ 🎉");
    CHECK(j.sig == "c2ln");
    const auto s = as<Signal>(build_signal("to", R"({"candidate":"x"})"));
    CHECK(s.data == R"({"candidate":"x"})");
    as<Leave>(build_leave());
    as<Ping>(build_ping());
}

TEST_CASE("special bytes are found at every offset of long strings", "[protocol]") {
    // The scanner skips plain text 16 bytes (SSE2) or 8 bytes at a time; a special byte anywhere
    // must still count, in a block, in the 8-byte tail and in the last few bytes.
    const std::vector<std::string> specials = {"\"", "\\n", "\\u00e9", "\x01", "\xC3\xA9",
                                               "\xC3", "\\", "\x7F", "\x1F", "\xFF"};
    for (const auto& sp : specials) {
        for (std::size_t at = 0; at <= 60; ++at) {
            std::string pad(60, 'a');
            pad.insert(at, sp);
            const std::string frame = R"({"type":"signal","to":"x","data":{"p":")" + pad + "\"}}";
            const auto r = parse_client(frame);
            bool nlohmann_ok = json::accept(frame);
            INFO(frame);
            CHECK(r.ok() == nlohmann_ok);
            if (r.ok()) CHECK(std::get<Signal>(*r.value).data.find(sp) != std::string::npos);
        }
    }
}
