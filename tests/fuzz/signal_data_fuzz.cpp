// signal_data_fuzz.cpp: signal data from the network (core/negotiation.hpp) and its envelope
// (core/room_engine.hpp "Signal envelope"). The last byte of the input chooses the mode:
//  - parse: the rest is JSON text for parse_signal_data. Whatever it accepts must re-encode
//    (signal_data_from / signal_data_from_candidate) to data that parses to the same value; an SDP
//    is 1..max_sdp_bytes, a candidate line at most max_candidate_bytes, a candidate has exactly
//    the four known keys; sdp_ice_ufrags gives no repeats, in order of first occurrence, each one
//    an "a=ice-ufrag:" line of the SDP.
//  - engine: a RoomEngine joined with one peer B gets a sequence of signals (descriptions and
//    candidates built from the input, or raw JSON) in envelopes that are right or wrong (session,
//    to_session: missing, other, not strings; B re-joins with a new session), interleaved with
//    the transport's completions. A signal with a wrong envelope is counted in signals_stale and
//    never reaches the transport; one with a right envelope is never counted stale. Everything
//    the transport is handed was validated: each candidate is normalized signal data whose
//    usernameFragment (if any) belongs to the last remote description set; each description is
//    one that arrived in a right envelope. Perfect negotiation never buffers more than
//    max_buffered_candidates.
#include "core/negotiation.hpp"
#include "core/room_engine.hpp"
#include "fuzz/fuzz_check.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace peddlenet;
using nlohmann::json;

namespace {

const std::string peer_a = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"; // key ids (43 chars)
const std::string peer_b = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA";

void check_ufrags(const std::string& sdp) {
    const std::vector<std::string> ufrags = sdp_ice_ufrags(sdp);
    std::size_t last_pos = 0;
    for (std::size_t i = 0; i < ufrags.size(); ++i) {
        const std::string& u = ufrags[i];
        for (std::size_t j = 0; j < i; ++j) FUZZ_CHECK(ufrags[j] != u);
        FUZZ_CHECK(u.find('\n') == std::string::npos);
        // It is a line "a=ice-ufrag:<u>" (optionally "\r"-terminated) of the SDP, and the first
        // such line comes after the first line of the previous ufrag.
        const std::string line = "a=ice-ufrag:" + u;
        std::size_t pos = std::string::npos;
        for (std::size_t at = sdp.find(line); at != std::string::npos; at = sdp.find(line, at + 1)) {
            if (at > 0 && sdp[at - 1] != '\n') continue;
            const std::size_t nl = sdp.find('\n', at);
            std::string whole = sdp.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
            if (!whole.empty() && whole.back() == '\r') whole.pop_back();
            if (whole == line) {
                pos = at;
                break;
            }
        }
        FUZZ_CHECK(pos != std::string::npos);
        if (i > 0) FUZZ_CHECK(pos > last_pos);
        last_pos = pos;
    }
}

void check_parsed(const SignalData& s) {
    if (const auto* d = std::get_if<SessionDescription>(&s)) {
        FUZZ_CHECK(!d->sdp.empty() && d->sdp.size() <= max_sdp_bytes);
        const auto again = parse_signal_data(signal_data_from(*d));
        FUZZ_CHECK(again && std::get<SessionDescription>(*again) == *d);
        check_ufrags(d->sdp);
        return;
    }
    const json& init = std::get<IceCandidate>(s).init;
    FUZZ_CHECK(init.is_object() && init.size() == 4);
    FUZZ_CHECK(init.contains("candidate") && init.contains("sdpMid") &&
               init.contains("sdpMLineIndex") && init.contains("usernameFragment"));
    FUZZ_CHECK(init["candidate"].is_string() &&
               init["candidate"].get_ref<const std::string&>().size() <= max_candidate_bytes);
    FUZZ_CHECK(!init["sdpMid"].is_null() || !init["sdpMLineIndex"].is_null());
    const auto again = parse_signal_data(signal_data_from_candidate(init));
    FUZZ_CHECK(again && std::holds_alternative<IceCandidate>(*again));
    FUZZ_CHECK(std::get<IceCandidate>(*again).init == init);
}

void parse_mode(const std::string& text) {
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) return;
    std::string why;
    const auto parsed = parse_signal_data(j, &why);
    if (!parsed) {
        FUZZ_CHECK(!why.empty());
        return;
    }
    check_parsed(*parsed);
    // The known fields are carried over unchanged.
    if (const auto* d = std::get_if<SessionDescription>(&*parsed)) {
        FUZZ_CHECK(j["description"]["sdp"] == d->sdp);
        FUZZ_CHECK(j["description"]["type"] == to_string(d->type));
    } else {
        const json& init = std::get<IceCandidate>(*parsed).init;
        const json& c = j["candidate"];
        for (const char* key : {"candidate", "sdpMid", "sdpMLineIndex", "usernameFragment"})
            if (c.contains(key) && !c[key].is_null()) FUZZ_CHECK(init[key] == c[key]);
            else FUZZ_CHECK(init[key].is_null());
    }
}

// The transport: checks everything it is handed.
class CheckingRtc final : public RtcTransport {
public:
    int calls = 0; // calls that act on a remote signal
    SignalingState state = SignalingState::stable;
    std::vector<std::string> remote_ufrags; // of the last description handed to the browser
    std::vector<SessionDescription> allowed; // descriptions that came in right envelopes

    void create_connection(const std::string& peer, bool) override { FUZZ_CHECK(peer == peer_b); }
    void close_connection(const std::string&) override {}
    void set_local_description(const std::string&) override {}
    void set_remote_description(const std::string& peer, const SessionDescription& d) override {
        ++calls;
        FUZZ_CHECK(peer == peer_b);
        FUZZ_CHECK(!d.sdp.empty() && d.sdp.size() <= max_sdp_bytes);
        FUZZ_CHECK(std::find(allowed.begin(), allowed.end(), d) != allowed.end());
        remote_ufrags = sdp_ice_ufrags(d.sdp);
    }
    void add_ice_candidate(const std::string& peer, const json& candidate) override {
        ++calls;
        FUZZ_CHECK(peer == peer_b);
        const auto parsed = parse_signal_data(signal_data_from_candidate(candidate));
        FUZZ_CHECK(parsed && std::holds_alternative<IceCandidate>(*parsed));
        FUZZ_CHECK(std::get<IceCandidate>(*parsed).init == candidate);
        FUZZ_CHECK(candidate["candidate"].get_ref<const std::string&>().size() <= max_candidate_bytes);
        const json& ufrag = candidate["usernameFragment"];
        if (ufrag.is_string() && !remote_ufrags.empty())
            FUZZ_CHECK(std::find(remote_ufrags.begin(), remote_ufrags.end(),
                                 ufrag.get<std::string>()) != remote_ufrags.end());
    }
    void restart_ice(const std::string&) override {}
    bool send(const std::string&, std::string_view) override { return false; }
    void get_fingerprints(const std::string&) override {}
    SignalingState signaling_state(const std::string&) const override { return state; }
};

class NoCrypto final : public Crypto {
public:
    void sign(std::string, BytesDone done) override { done(std::nullopt); }
    void verify(std::string, std::string, std::string, CheckDone done) override { done(false); }
    void hmac_sha256(std::string, std::string, BytesDone done) override { done(std::nullopt); }
    void verify_hmac_sha256(std::string, std::string, std::string, CheckDone done) override {
        done(false);
    }
    void sha256(std::string, BytesDone done) override { done(std::nullopt); }
};

std::string pick(FuzzedDataProvider& in, const std::vector<std::string>& pool) {
    return pool[in.ConsumeIntegralInRange<std::size_t>(0, pool.size() - 1)];
}

json make_sdp_signal(FuzzedDataProvider& in, const std::vector<std::string>& ufrags) {
    std::string sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n";
    const int n = in.ConsumeIntegralInRange(0, 3);
    for (int i = 0; i < n; ++i) sdp += "a=ice-ufrag:" + pick(in, ufrags) + (in.ConsumeBool() ? "\r\n" : "\n");
    sdp += in.ConsumeRandomLengthString(64);
    if (in.ConsumeIntegralInRange(0, 15) == 0) sdp.assign(max_sdp_bytes + in.ConsumeIntegralInRange(-1, 1), 'x');
    const char* type = in.ConsumeIntegralInRange(0, 5) == 0 ? "pranswer" : in.ConsumeBool() ? "offer" : "answer";
    return json{{"description", {{"type", type}, {"sdp", sdp}}}};
}

json make_candidate_signal(FuzzedDataProvider& in, const std::vector<std::string>& ufrags) {
    json c = json::object();
    if (in.ConsumeIntegralInRange(0, 7) != 0) {
        std::string line = "candidate:1 1 udp 2122260223 192.168.1.2 5000" + in.ConsumeRandomLengthString(20);
        if (in.ConsumeIntegralInRange(0, 15) == 0) line.assign(max_candidate_bytes + in.ConsumeIntegralInRange(-1, 1), 'c');
        c["candidate"] = line;
    }
    switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0: c["sdpMid"] = "0"; break;
    case 1: c["sdpMid"] = nullptr; break;
    case 2: c["sdpMid"] = in.ConsumeIntegralInRange(0, 2); break;
    default: break;
    }
    switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0: c["sdpMLineIndex"] = in.ConsumeIntegralInRange<std::int64_t>(-2, 66); break;
    case 1: c["sdpMLineIndex"] = nullptr; break;
    case 2: c["sdpMLineIndex"] = 0.5; break;
    default: break;
    }
    switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0:
    case 1: c["usernameFragment"] = pick(in, ufrags); break;
    case 2: c["usernameFragment"] = nullptr; break;
    default: break;
    }
    if (in.ConsumeBool()) c["extra"] = 1;
    return json{{"candidate", c}};
}

void engine_mode(FuzzedDataProvider& in) {
    CheckingRtc rtc;
    NoCrypto crypto;
    RoomCallbacks cb;
    cb.send_signal = [](const std::string&, const json&) {};
    double now = 0;
    std::uint32_t rng = 7;
    RoomEngine engine(rtc, crypto, std::move(cb), RoomClock{[&] { return now; }, [] { return 0; }},
                      [&] { return rng = rng * 1664525u + 1013904223u; },
                      in.ConsumeBool() ? peer_a : std::string("CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCA"),
                      "A");
    FUZZ_CHECK(engine.enter_room(RoomKeys{"room", std::string(32, 'k'), false, {}}));
    const std::string self_session = "sessA";
    std::string b_session = "sessB";
    engine.on_joined("room", engine.self_id(), self_session, {{peer_b, "B", b_session}});
    FUZZ_CHECK(engine.link_count() == 1);

    const std::vector<std::string> ufrags = {"uf1", "uf2", "abcd", "", "x y", "uf1\r"};
    const std::vector<std::string> sessions = {"sessA", "sessB", "sessB2", "old", ""};
    int steps = 0;
    while (in.remaining_bytes() > 0 && steps++ < 256) {
        const int op = in.ConsumeIntegralInRange(0, 10);
        if (op >= 7) {
            switch (op) {
            case 7: engine.on_remote_description_set(peer_b); break;
            case 8: engine.on_negotiation_needed(peer_b); break;
            case 9:
                rtc.state = static_cast<SignalingState>(in.ConsumeIntegralInRange(0, 5));
                if (in.ConsumeBool())
                    engine.on_rtc_error(peer_b, static_cast<RtcOperation>(in.ConsumeIntegralInRange(0, 4)), "e");
                else
                    engine.on_local_description(peer_b, {in.ConsumeBool() ? SdpType::offer : SdpType::answer, "v=0"});
                break;
            default: // B's page re-joins: its old session's signals are stale from now on
                b_session = pick(in, {"sessB", "sessB2", "sessB3"});
                engine.on_peer_rejoined(peer_b, "B", b_session);
                rtc.remote_ufrags.clear();
                break;
            }
        } else {
            json data;
            if (op == 0) {
                data = json::parse(in.ConsumeRandomLengthString(300), nullptr, false);
                if (data.is_discarded()) data = json::object();
            } else if (op <= 3) {
                data = make_sdp_signal(in, ufrags);
            } else {
                data = make_candidate_signal(in, ufrags);
            }
            if (data.is_object()) {
                // The envelope: right, wrong, missing or of the wrong type.
                switch (in.ConsumeIntegralInRange(0, 4)) {
                case 0: break; // as the data says (raw JSON may carry one)
                case 1: data["session"] = b_session; break;
                case 2: data["session"] = pick(in, sessions); break;
                case 3: data["session"] = in.ConsumeIntegral<int>(); break;
                default: data.erase("session"); break;
                }
                switch (in.ConsumeIntegralInRange(0, 3)) {
                case 0: break;
                case 1: data["to_session"] = self_session; break;
                case 2: data["to_session"] = pick(in, sessions); break;
                default: data["to_session"] = nullptr; break;
                }
            }
            const bool right = data.is_object() && data.contains("session") &&
                               data.contains("to_session") && data["session"] == b_session &&
                               data["session"].is_string() && data["to_session"].is_string() &&
                               data["to_session"] == self_session;
            if (const auto parsed = parse_signal_data(data)) {
                check_parsed(*parsed); // the parse mode's rules hold for built signals too
                if (const auto* d = std::get_if<SessionDescription>(&*parsed); d && right)
                    rtc.allowed.push_back(*d);
            }
            const RoomStats before = engine.stats();
            const int calls = rtc.calls;
            const int repeat = op == 6 ? in.ConsumeIntegralInRange(1, 80) : 1;
            for (int r = 0; r < repeat; ++r) {
                const int calls_before = rtc.calls;
                const std::uint64_t stale_before = engine.stats().signals_stale;
                const std::uint64_t dropped_before = engine.stats().signals_dropped;
                engine.on_signal(peer_b, data);
                if (!data.is_object()) {
                    FUZZ_CHECK(engine.stats().signals_dropped == dropped_before + 1);
                    FUZZ_CHECK(engine.stats().signals_stale == stale_before);
                    FUZZ_CHECK(rtc.calls == calls_before);
                } else if (right) {
                    FUZZ_CHECK(engine.stats().signals_stale == stale_before);
                } else {
                    FUZZ_CHECK(engine.stats().signals_stale == stale_before + 1);
                    FUZZ_CHECK(rtc.calls == calls_before);
                }
                const PerfectNegotiation* n = engine.negotiation(peer_b);
                FUZZ_CHECK(n && n->buffered_candidates() <= max_buffered_candidates);
            }
            if (!right) FUZZ_CHECK(rtc.calls == calls);
            // Signals of a peer without a link never get anywhere.
            if (in.ConsumeIntegralInRange(0, 7) == 0) {
                const RoomStats mid = engine.stats();
                engine.on_signal("nobody", data);
                FUZZ_CHECK(engine.stats().signals_dropped == mid.signals_dropped + 1);
                FUZZ_CHECK(engine.stats().signals_stale == mid.signals_stale);
            }
            FUZZ_CHECK(engine.stats().signals_stale >= before.signals_stale);
        }
        FUZZ_CHECK(engine.link_count() == 1);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    if (in.ConsumeBool()) {
        engine_mode(in);
    } else {
        parse_mode(in.ConsumeRemainingBytesAsString());
    }
    return 0;
}
