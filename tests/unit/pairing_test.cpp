// Pairing (core/pairing.hpp): the bootstrap connection's state machine over a scripted
// transport fed with real Chromium SDP: the offer's code, the answer's code, the answer applied,
// hellos and signals over the channel, refusals and timeouts.
#include "core/pairing.hpp"

#include "chromium_sdp.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace peddlenet;
using namespace peddlenet::testing;
using nlohmann::json;

namespace {

// Records every call; the test plays the browser's part by calling the RtcEvents back.
struct ScriptedRtc final : RtcTransport {
    std::vector<std::string> calls;
    std::vector<SessionDescription> remote;
    std::vector<std::string> sent;
    bool channel_open = false;
    void create_connection(const std::string& p, bool opens) override {
        calls.push_back("create " + p + (opens ? " opens" : ""));
    }
    void close_connection(const std::string& p) override { calls.push_back("close " + p); }
    void set_local_description(const std::string& p) override { calls.push_back("sld " + p); }
    void set_remote_description(const std::string& p, const SessionDescription& d) override {
        calls.push_back("srd " + p);
        remote.push_back(d);
    }
    void add_ice_candidate(const std::string&, const json&) override { calls.push_back("candidate"); }
    void restart_ice(const std::string&) override { calls.push_back("restart"); }
    bool send(const std::string&, std::string_view text) override {
        if (!channel_open) return false;
        sent.emplace_back(text);
        return true;
    }
    void get_fingerprints(const std::string&) override {}
    SignalingState signaling_state(const std::string&) const override { return SignalingState::stable; }
};

const std::string a_id = "x8SxZ7CZ2s3vJ7QfWmJ0bN2d3m6cQ0yqJ2k1tW4aB8E";
const std::string b_id = "QkF2b0RHbm1pb2xhUXZrR3JtZ0xQZkt2Y0VZWm1pYk4";
const std::string room_key(16, '\x2a');

struct Side {
    ScriptedRtc rtc;
    double now = 0.0;
    std::vector<PairedPeer> met;
    std::vector<std::pair<std::string, json>> signals;
    int changes = 0;
    Pairing pairing{rtc,
                    PairingCallbacks{[this] { ++changes; }, [this](const PairedPeer& p) { met.push_back(p); },
                                     [this](const std::string& from, const json& d) { signals.emplace_back(from, d); }},
                    [this] { return now; }};
};

// Side A up to its offer code.
void make_offer(Side& a) {
    a.pairing.offer({"festival", room_key}, {a_id, "Ava", "sa"});
    REQUIRE(a.rtc.calls == std::vector<std::string>{"create pairing opens"});
    a.pairing.on_negotiation_needed("pairing");
    REQUIRE(a.rtc.calls.back() == "sld pairing");
    a.pairing.on_local_description("pairing", {SdpType::offer, chromium_offer_before_gathering});
    CHECK(a.pairing.state() == Pairing::State::gathering); // waits for the candidates
    for (const std::string& c : chromium_trickled) a.pairing.on_ice_candidate("pairing", json{{"candidate", c}});
    a.pairing.on_ice_gathering_complete("pairing");
    REQUIRE(a.pairing.state() == Pairing::State::showing);
}

// B's answer code to `offer`, made the way make_offer makes A's offer.
std::string answer_to(const std::string& offer) {
    Side b;
    REQUIRE(b.pairing.accept_offer(offer, {b_id, "Bo", "sb"}));
    b.pairing.on_remote_description_set("pairing");
    b.pairing.on_local_description("pairing", {SdpType::answer, chromium_answer});
    b.pairing.on_ice_gathering_complete("pairing");
    REQUIRE(b.pairing.state() == Pairing::State::showing);
    return b.pairing.code();
}

} // namespace

TEST_CASE("pairing: offer, answer, channel, hellos and signals", "[pairing]") {
    Side a, b;
    make_offer(a);
    CHECK(a.pairing.offering());
    CHECK(a.pairing.code().rfind("PN1:", 0) == 0);
    CHECK(a.pairing.code_bytes() <= max_pairing_payload_bytes);

    // B scans it: the room it names, the offer applied, then B's answer.
    const auto room = b.pairing.accept_offer(a.pairing.code(), {b_id, "Bo", "sb"});
    REQUIRE(room);
    CHECK(room->name == "festival");
    CHECK(room->key == room_key);
    REQUIRE(b.rtc.calls == std::vector<std::string>{"create pairing", "srd pairing"});
    CHECK(b.rtc.remote[0].type == SdpType::offer);
    CHECK(b.rtc.remote[0].sdp.find("a=ice-ufrag:1Izu\r\n") != std::string::npos);
    CHECK(b.rtc.remote[0].sdp.find("127.0.0.1 42583 typ host") != std::string::npos);
    b.pairing.on_remote_description_set("pairing");
    REQUIRE(b.rtc.calls.back() == "sld pairing");
    b.pairing.on_local_description("pairing", {SdpType::answer, chromium_answer});
    b.pairing.on_ice_gathering_complete("pairing");
    REQUIRE(b.pairing.state() == Pairing::State::showing);
    CHECK_FALSE(b.pairing.offering());

    // A scans B's answer.
    CHECK(a.pairing.accept_answer(b.pairing.code()).empty());
    CHECK(a.pairing.state() == Pairing::State::connecting);
    CHECK(a.rtc.remote.back().type == SdpType::answer);
    CHECK(a.rtc.remote.back().sdp.find("a=setup:active") != std::string::npos);

    // The channel opens on both: hellos cross, then signals.
    for (Side* s : {&a, &b}) {
        s->rtc.channel_open = true;
        s->pairing.on_channel_open("pairing");
        CHECK(s->pairing.state() == Pairing::State::open);
        REQUIRE(s->rtc.sent.size() == 1);
    }
    CHECK_FALSE(a.pairing.send_signal(json{{"x", 1}})); // not before B said who it is
    a.pairing.on_channel_message("pairing", b.rtc.sent[0]);
    b.pairing.on_channel_message("pairing", a.rtc.sent[0]);
    REQUIRE(a.met.size() == 1);
    CHECK(a.met[0].peer == b_id);
    CHECK(a.met[0].name == "Bo");
    CHECK(a.met[0].session == "sb");
    REQUIRE(b.met.size() == 1);
    CHECK(b.met[0].peer == a_id);
    REQUIRE(a.pairing.send_signal(json{{"description", {{"type", "offer"}, {"sdp", "v=0"}}}}));
    b.pairing.on_channel_message("pairing", a.rtc.sent.back());
    REQUIRE(b.signals.size() == 1);
    CHECK(b.signals[0].first == a_id);
    CHECK(b.signals[0].second["description"]["type"] == "offer");
    // A second hello (a page changing who it is mid-pairing) is ignored.
    b.pairing.on_channel_message("pairing", json{{"t", "hello"}, {"id", a_id}, {"name", "X"}, {"session", "sz"}}.dump());
    CHECK(b.met.size() == 1);

    // B closes its end once its link is proven: A's channel error and close are no failure.
    a.pairing.on_rtc_error("pairing", RtcOperation::data_channel, "OperationError: User-Initiated Abort");
    a.pairing.on_channel_closed("pairing");
    a.pairing.on_connection_state("pairing", PeerConnectionState::failed);
    CHECK(a.pairing.state() == Pairing::State::open);
    CHECK(a.pairing.error().empty());

    a.pairing.cancel();
    CHECK(a.rtc.calls.back() == "close pairing");
    CHECK(a.pairing.state() == Pairing::State::idle);
}

TEST_CASE("pairing: wrong kinds, damaged codes and hostile frames change nothing", "[pairing]") {
    Side a, b;
    make_offer(a);
    const std::string offer = a.pairing.code();
    // An offer where an answer is expected, and damage: a sentence, the offer stays up.
    CHECK(a.pairing.accept_answer(offer) == pairing_error_offer_not_answer);
    CHECK(a.pairing.accept_answer(offer.substr(0, offer.size() - 3)) == pairing_error_damaged);
    CHECK(a.pairing.accept_answer("https://example.org/") == pairing_error_not_ours);
    CHECK(a.pairing.state() == Pairing::State::showing);
    CHECK(a.pairing.code() == offer);
    // An answer where an offer is expected: refused before anything is created.
    CHECK_FALSE(b.pairing.accept_offer("PN1:", {b_id, "Bo", "sb"}));
    CHECK_FALSE(b.pairing.error().empty());
    CHECK(b.rtc.calls.empty());
    // Without an offer showing, an answer is refused.
    CHECK_FALSE(b.pairing.accept_answer(offer).empty());

    // Hostile hellos: a bad id, a bad session, our own id, not JSON, oversized.
    a.pairing.accept_answer(answer_to(offer));
    a.rtc.channel_open = true;
    a.pairing.on_channel_open("pairing");
    for (const std::string& frame :
         {json{{"t", "hello"}, {"id", "nope"}, {"name", "B"}, {"session", "sb"}}.dump(),
          json{{"t", "hello"}, {"id", b_id}, {"name", "B"}, {"session", "bad session"}}.dump(),
          json{{"t", "hello"}, {"id", a_id}, {"name", "B"}, {"session", "sb"}}.dump(),
          json{{"t", "signal"}, {"data", {{"x", 1}}}}.dump(), // before any hello
          std::string("not json"), std::string(70000, '{')}) {
        a.pairing.on_channel_message("pairing", frame);
    }
    CHECK(a.met.empty());
    CHECK(a.signals.empty());
}

TEST_CASE("pairing: a slow gathering still makes a code, and no link in time fails", "[pairing]") {
    Side a;
    a.pairing.offer({"festival", room_key}, {a_id, "Ava", "sa"});
    a.pairing.on_negotiation_needed("pairing");
    a.pairing.on_local_description("pairing", {SdpType::offer, chromium_offer_before_gathering});
    a.pairing.on_ice_candidate("pairing", json{{"candidate", chromium_trickled[0]}});
    a.now = Pairing::gather_timeout_ms - 1;
    a.pairing.tick();
    CHECK(a.pairing.state() == Pairing::State::gathering);
    a.now = Pairing::gather_timeout_ms; // a STUN server that never answers
    a.pairing.tick();
    REQUIRE(a.pairing.state() == Pairing::State::showing);
    // Candidates after the code was made cannot change it.
    const std::string code = a.pairing.code();
    a.pairing.on_ice_candidate("pairing", json{{"candidate", "candidate:1 1 udp 1 10.0.0.9 9 typ host"}});
    CHECK(a.pairing.code() == code);

    a.pairing.accept_answer(answer_to(code));
    REQUIRE(a.pairing.state() == Pairing::State::connecting);
    a.now += Pairing::connect_timeout_ms;
    a.pairing.tick();
    CHECK(a.pairing.state() == Pairing::State::failed);
    CHECK_FALSE(a.pairing.error().empty());
    CHECK(a.rtc.calls.back() == "close pairing");

    // A connection the browser could not make fails the pairing with a sentence too.
    Side c;
    make_offer(c);
    c.pairing.on_connection_state("pairing", PeerConnectionState::failed);
    CHECK(c.pairing.state() == Pairing::State::failed);
}
