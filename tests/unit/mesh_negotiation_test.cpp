// Perfect negotiation of one link (core/negotiation.hpp), step by step against a transport that
// records calls; plus the signal data format and the browser enum tables.
#include "core/negotiation.hpp"

#include <catch2/catch.hpp>

using namespace peddlenet;
using nlohmann::json;

namespace {

struct Recorder : RtcTransport {
    std::vector<std::string> calls;
    std::vector<json> candidates;
    SignalingState state = SignalingState::stable;

    void create_connection(const std::string& p, bool) override { calls.push_back("create " + p); }
    void close_connection(const std::string& p) override { calls.push_back("close " + p); }
    void set_local_description(const std::string&) override { calls.push_back("SLD"); }
    void set_remote_description(const std::string&, const SessionDescription& d) override {
        calls.push_back("SRD " + std::string(to_string(d.type)));
    }
    void add_ice_candidate(const std::string&, const json& c) override {
        calls.push_back("addIce");
        candidates.push_back(c);
    }
    void restart_ice(const std::string&) override { calls.push_back("restartIce"); }
    void get_fingerprints(const std::string&) override { calls.push_back("fingerprints"); }
    bool send(const std::string&, std::string_view) override { return false; }
    SignalingState signaling_state(const std::string&) const override { return state; }
};

struct Link {
    Recorder rtc;
    std::vector<json> sent;
    PerfectNegotiation n;
    explicit Link(bool polite)
        : n(rtc, "peer", polite, [this](const json& d) { sent.push_back(d); }) {}
};

json offer(const std::string& ufrag = "ufA") {
    return signal_data_from(SessionDescription{SdpType::offer, "v=0\r\na=ice-ufrag:" + ufrag + "\r\n"});
}
json answer(const std::string& ufrag = "ufA") {
    return signal_data_from(SessionDescription{SdpType::answer, "v=0\r\na=ice-ufrag:" + ufrag + "\r\n"});
}
json candidate(const std::string& ufrag, int n = 0) {
    return signal_data_from_candidate(json{{"candidate", "candidate:" + std::to_string(n) + " 1 udp 1 127.0.0.1 9 typ host"},
                                           {"sdpMid", "0"},
                                           {"sdpMLineIndex", 0},
                                           {"usernameFragment", ufrag}});
}

} // namespace

TEST_CASE("negotiationneeded: makingOffer while setLocalDescription runs, then the offer goes out",
          "[mesh][negotiation]") {
    Link l(false);
    l.n.on_negotiation_needed();
    CHECK(l.n.making_offer());
    CHECK(l.rtc.calls == std::vector<std::string>{"SLD"});
    l.n.on_local_description({SdpType::offer, "v=0"});
    CHECK_FALSE(l.n.making_offer());
    REQUIRE(l.sent.size() == 1);
    CHECK(l.sent[0]["description"]["type"] == "offer");
    CHECK(l.sent[0]["description"]["sdp"] == "v=0");
}

TEST_CASE("glare: the impolite side ignores the colliding offer", "[mesh][negotiation]") {
    Link l(false);
    l.n.on_negotiation_needed();
    CHECK(l.n.on_signal(offer()) == PerfectNegotiation::SignalResult::ignored);
    CHECK(l.n.ignore_offer());
    // The ignored offer's candidates never reach the browser.
    l.n.on_local_description({SdpType::offer, "v=0"});
    l.rtc.state = SignalingState::have_local_offer;
    l.n.on_signal(candidate("ufA"));
    CHECK(l.rtc.candidates.empty());
    // The polite side's answer is applied; its candidates then flow.
    CHECK(l.n.on_signal(answer("ufB")) == PerfectNegotiation::SignalResult::applied);
    CHECK_FALSE(l.n.ignore_offer());
    l.n.on_remote_description_set();
    l.n.on_signal(candidate("ufB"));
    CHECK(l.rtc.calls == std::vector<std::string>{"SLD", "SRD answer", "addIce"});
    // The buffered ufA candidate was dropped at flush as stale.
    CHECK(l.rtc.candidates.size() == 1);
    CHECK(l.rtc.candidates[0]["usernameFragment"] == "ufB");
}

TEST_CASE("glare: the polite side rolls back (implicitly) and answers", "[mesh][negotiation]") {
    Link l(true);
    l.n.on_negotiation_needed();
    l.rtc.state = SignalingState::have_local_offer;
    CHECK(l.n.on_signal(offer()) == PerfectNegotiation::SignalResult::applied);
    CHECK_FALSE(l.n.ignore_offer());
    CHECK(l.rtc.calls == std::vector<std::string>{"SLD", "SRD offer"});
    l.n.on_local_description({SdpType::offer, "v=0 (the offer that gets rolled back)"});
    l.n.on_remote_description_set();
    CHECK(l.rtc.calls.back() == "SLD"); // the answer
    l.n.on_local_description({SdpType::answer, "v=0 answer"});
    REQUIRE(l.sent.size() == 2);
    CHECK(l.sent[1]["description"]["type"] == "answer");
    CHECK_FALSE(l.n.making_offer());
}

TEST_CASE("an offer while an answer is being applied is not a collision", "[mesh][negotiation]") {
    Link l(false);
    l.n.on_negotiation_needed();
    l.n.on_local_description({SdpType::offer, "v=0"});
    l.rtc.state = SignalingState::have_local_offer;
    l.n.on_signal(answer()); // isSettingRemoteAnswerPending
    CHECK(l.n.on_signal(offer()) == PerfectNegotiation::SignalResult::applied);
    CHECK(l.rtc.calls == std::vector<std::string>{"SLD", "SRD answer", "SRD offer"});
}

TEST_CASE("candidates before any remote description are buffered, bounded, then flushed in order",
          "[mesh][negotiation]") {
    Link l(true);
    for (int i = 0; i < 3; ++i) l.n.on_signal(candidate("ufA", i));
    CHECK(l.n.buffered_candidates() == 3);
    CHECK(l.rtc.calls.empty());
    l.n.on_signal(offer("ufA"));
    // A candidate after the description is passed on at once (the browser chains it).
    l.n.on_signal(candidate("ufA", 3));
    CHECK(l.rtc.candidates.size() == 1);
    l.n.on_remote_description_set();
    REQUIRE(l.rtc.candidates.size() == 4);
    CHECK(l.n.buffered_candidates() == 0);
    for (int i = 0; i < 3; ++i)
        CHECK(l.rtc.candidates[static_cast<std::size_t>(i + 1)]["candidate"].get<std::string>().rfind(
                  "candidate:" + std::to_string(i), 0) == 0);

    Link flood(true);
    for (std::size_t i = 0; i < max_buffered_candidates + 10; ++i) flood.n.on_signal(candidate("x"));
    CHECK(flood.n.buffered_candidates() == max_buffered_candidates);
}

TEST_CASE("candidates of other credentials than the remote description's are dropped",
          "[mesh][negotiation]") {
    Link l(true);
    l.n.on_signal(offer("current"));
    l.n.on_remote_description_set();
    CHECK(l.n.on_signal(candidate("previous-page")) == PerfectNegotiation::SignalResult::ignored);
    CHECK(l.n.on_signal(candidate("current")) == PerfectNegotiation::SignalResult::applied);
    // Without a usernameFragment there is nothing to compare: passed on.
    CHECK(l.n.on_signal(json{{"candidate", {{"candidate", ""}, {"sdpMid", "0"}}}}) ==
          PerfectNegotiation::SignalResult::applied);
    CHECK(l.rtc.candidates.size() == 2);
}

TEST_CASE("errors: ignored offers' leftovers are swallowed, the rest reported",
          "[mesh][negotiation]") {
    Link l(false);
    l.n.on_negotiation_needed();
    CHECK(l.n.on_error(RtcOperation::set_local_description));
    CHECK_FALSE(l.n.making_offer()); // a failed offer does not block the next one

    l.n.on_negotiation_needed();
    l.n.on_signal(offer());
    REQUIRE(l.n.ignore_offer());
    CHECK_FALSE(l.n.on_error(RtcOperation::add_ice_candidate));
    l.n.on_local_description({SdpType::offer, "v=0"});
    l.rtc.state = SignalingState::have_local_offer;
    l.n.on_signal(answer());
    CHECK(l.n.on_error(RtcOperation::add_ice_candidate));
    CHECK(l.n.on_error(RtcOperation::set_remote_description));
    CHECK(l.n.on_error(RtcOperation::data_channel));
    // After a failed setRemoteDescription(answer) an incoming offer is judged afresh.
    l.rtc.state = SignalingState::stable;
    CHECK(l.n.on_signal(offer()) == PerfectNegotiation::SignalResult::applied);
}

TEST_CASE("signal data format", "[mesh][negotiation]") {
    const auto d = parse_signal_data(offer("u1"));
    REQUIRE(d.has_value());
    CHECK(std::get<SessionDescription>(*d).type == SdpType::offer);
    const auto c = parse_signal_data(json{{"candidate",
                                           {{"candidate", "candidate:1"}, {"sdpMLineIndex", 0},
                                            {"extra", "dropped"}, {"usernameFragment", nullptr}}}});
    REQUIRE(c.has_value());
    const json& init = std::get<IceCandidate>(*c).init;
    CHECK(init == json{{"candidate", "candidate:1"}, {"sdpMid", nullptr}, {"sdpMLineIndex", 0},
                       {"usernameFragment", nullptr}});
    std::string why;
    CHECK_FALSE(parse_signal_data(json{{"hello", 1}}, &why).has_value());
    CHECK(why == "signal data needs exactly one of description and candidate");

    CHECK(sdp_ice_ufrags("v=0\r\na=ice-ufrag:abc\r\nm=x\r\na=ice-ufrag:abc\r\na=ice-ufrag:def") ==
          std::vector<std::string>{"abc", "def"});
    CHECK(sdp_ice_ufrags("v=0\na=ice-ufrag:lf-only\n") == std::vector<std::string>{"lf-only"});
    CHECK(sdp_ice_ufrags("").empty());
}

TEST_CASE("browser enum spellings round trip", "[mesh][negotiation]") {
    for (int i = 0; i <= 5; ++i) {
        const auto s = static_cast<SignalingState>(i);
        CHECK(parse_signaling_state(to_string(s)) == s);
        const auto c = static_cast<PeerConnectionState>(i);
        CHECK(parse_connection_state(to_string(c)) == c);
    }
    CHECK(to_string(SignalingState::have_local_offer) == "have-local-offer");
    CHECK(to_string(PeerConnectionState::new_) == "new");
    CHECK(to_string(RtcOperation::add_ice_candidate) == "addIceCandidate");
    CHECK(parse_sdp_type("rollback") == std::nullopt);
    CHECK(to_string(static_cast<SignalingState>(99)) == "unknown");
}
