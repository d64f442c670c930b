// Data channel frames (core/peer_protocol.hpp): every builder parses back; every rule break
// drops the frame.
#include "core/base64url.hpp"
#include "core/peer_protocol.hpp"

#include <catch2/catch.hpp>

using namespace peddlenet;
using nlohmann::json;

namespace {

ChatMessage sample() {
    ChatMessage m;
    m.id = "Msg1";
    m.from = base64url_encode(std::string(32, 'A')); // a peer key id
    m.name = "Alice";
    m.text = "%s%n ##x###y \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xF0\x9F\x8E\x89 \x01";
    m.ts_ms = 1'700'000'000'123;
    m.lamport = 9;
    m.sent = true;
    m.acked_by = {"bob"};
    m.sig = base64url_encode(std::string(64, 'S')); // the frame format only; not verified here
    return m;
}

bool dropped(const std::string& text) {
    std::string why;
    const bool ok = parse_peer_frame(text, &why).has_value();
    INFO(text.substr(0, 120) << " -> " << why);
    return !ok && !why.empty();
}

} // namespace

TEST_CASE("every frame builder parses back", "[chat][protocol]") {
    const auto hello = parse_peer_frame(build_hello_frame({"a", "b-c"}));
    REQUIRE(hello.has_value());
    CHECK(std::get<HelloFrame>(*hello).have == std::vector<std::string>{"a", "b-c"});
    CHECK(std::holds_alternative<HelloFrame>(*parse_peer_frame(build_hello_frame({}))));

    for (const bool relayed : {false, true}) {
        const auto chat = parse_peer_frame(build_chat_frame(sample(), relayed));
        REQUIRE(chat.has_value());
        const ChatFrame& f = std::get<ChatFrame>(*chat);
        CHECK(f.relayed == relayed);
        CHECK(f.message.text == sample().text);
        CHECK(f.message.lamport == 9);
        CHECK_FALSE(f.message.sent);          // local bookkeeping never travels
        CHECK(f.message.acked_by.empty());
    }
    CHECK(build_chat_frame(sample(), false).find("acked") == std::string::npos);

    const auto ack = parse_peer_frame(build_ack_frame({"x", "y"}));
    REQUIRE(ack.has_value());
    CHECK(std::get<AckFrame>(*ack).ids == std::vector<std::string>{"x", "y"});
    CHECK(std::get<PingFrame>(*parse_peer_frame(build_ping_frame(77))).n == 77);
    CHECK(std::get<PongFrame>(*parse_peer_frame(build_pong_frame(78))).n == 78);
}

TEST_CASE("frames that break a rule are dropped whole", "[chat][protocol]") {
    const json good = json::parse(build_chat_frame(sample(), false));
    CHECK(dropped(""));
    CHECK(dropped("not json"));
    CHECK(dropped("[1,2,3]"));
    CHECK(dropped("\"msg\""));
    CHECK(dropped(R"({"type":42})"));
    CHECK(dropped(R"({"type":"explode"})"));
    CHECK(dropped(R"({"type":"msg"})"));
    CHECK(dropped(R"({"type":"msg","message":[]})"));
    json bad = good;
    bad["message"]["text"] = std::string(4097, 'x');
    CHECK(dropped(bad.dump()));
    bad = good;
    bad["message"]["from"] = "##forged###id";
    CHECK(dropped(bad.dump()));
    bad = good;
    bad["message"]["lamport"] = -3;
    CHECK(dropped(bad.dump()));
    CHECK(dropped(R"({"type":"hello","have":[]})"));               // no version
    CHECK(dropped(R"({"type":"hello","v":1,"have":"all"})"));
    CHECK(dropped(R"({"type":"hello","v":1,"have":[1]})"));
    CHECK(dropped(R"({"type":"ack","ids":[]})"));
    CHECK(dropped(R"({"type":"ack","ids":["ok","%s%n"]})"));
    CHECK(dropped(R"({"type":"ping","n":-1})"));
    CHECK(dropped(R"({"type":"ping","n":"1"})"));
    CHECK(dropped(R"({"type":"pong","n":1.5})"));
    CHECK(dropped(R"({"type":"pong","n":9007199254740992})"));
    // Huge arrays: over the id limit, and over the frame size limit.
    json many = json{{"type", "hello"}, {"v", 1}, {"have", json::array()}};
    for (int i = 0; i < 501; ++i) many["have"].push_back("id" + std::to_string(i));
    CHECK(dropped(many.dump()));
    CHECK(dropped(std::string(max_peer_frame_bytes + 1, ' ')));
    CHECK(dropped(std::string(60000, '[')));
    // A lone surrogate escape is not text.
    CHECK(dropped(R"({"type":"msg","message":{"id":"a","from":"b","name":"c","text":"\ud800","ts":1,"lamport":1}})"));
}

TEST_CASE("invalid UTF-8 inside a frame is repaired, not fatal", "[chat][protocol]") {
    std::string text = build_chat_frame(sample(), false);
    const std::string needle = "%s%n";
    text.replace(text.find(needle), needle.size(), "\xFF\xFE");
    const auto frame = parse_peer_frame(text);
    REQUIRE(frame.has_value());
    const std::string& shown = std::get<ChatFrame>(*frame).message.text;
    CHECK(shown.substr(0, 6) == "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("unknown fields are ignored for forward compatibility", "[chat][protocol]") {
    json j = json::parse(build_ping_frame(3));
    j["future"] = {{"x", 1}};
    CHECK(parse_peer_frame(j.dump()).has_value());
}
