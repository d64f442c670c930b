// verify_code_test.cpp: the "My code" QR text (core/verify_code.hpp).
#include "core/base64url.hpp"
#include "core/verify_code.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace peddlenet;

namespace {
const std::string peer = base64url_encode(std::string(32, '\x07')); // a well-formed key id
}

TEST_CASE("a verify code names a key and a display name, and parses back exactly", "[verify]") {
    const auto code = make_verify_code(peer, "Zoë 🎉");
    REQUIRE(code);
    CHECK(code->rfind("peddlenet-verify:1:" + peer + ":", 0) == 0);
    const auto parsed = parse_verify_code(*code);
    REQUIRE(parsed);
    CHECK(parsed->peer == peer);
    CHECK(parsed->name == "Zoë 🎉");
}

TEST_CASE("anything a verify code could not be is refused", "[verify]") {
    CHECK_FALSE(make_verify_code("short-id", "Sam"));
    CHECK_FALSE(make_verify_code(peer, ""));
    CHECK_FALSE(make_verify_code(peer, "line\nbreak"));
    const std::string name = base64url_encode("Sam");
    const std::vector<std::string> refused{std::string(), "peddlenet-verify:1:", "peddlenet-verify:2:" + peer + ":" + name,
                                   "peddlenet-verify:1:" + peer, "peddlenet-verify:1:" + peer + ":",
                                   "peddlenet-verify:1:" + peer + ":" + name + "=",
                                   "peddlenet-verify:1:" + peer.substr(1) + ":" + name,
                                   "peddlenet-verify:1:" + peer + ":" + base64url_encode("\xC0"),
                                   "peddlenet-verify:1:" + peer + ":" + base64url_encode(std::string(33, 'n')),
                                   "https://host/#join=r", "PEDDLENET-VERIFY:1:" + peer + ":" + name};
    for (const std::string& bad : refused) {
        INFO(bad);
        CHECK_FALSE(parse_verify_code(bad));
    }
}
