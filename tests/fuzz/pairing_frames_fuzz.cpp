// pairing_frames_fuzz.cpp: what the other phone sends on a pairing's bootstrap channel
// (core/pairing.hpp): its hello (peer id, name, session) and the room engine's signals. The
// input is a sequence of frames, one per line, delivered to a pairing whose channel is open
// (reached through the real offer and answer codes of Chromium SDP).
// Invariants: at most one hello is taken, and only a valid one (a peer key id that is not ours,
// a valid session, a display name the chat accepts); a signal reaches the engine only after that
// hello, only as a JSON object, and only from that peer; nothing is ever sent but our hello.
#include "core/chat_log.hpp"
#include "core/pairing.hpp"
#include "core/text.hpp"
#include "core/trust.hpp"
#include "fuzz/fuzz_check.hpp"

#include <string>
#include <string_view>
#include <vector>

using namespace peddlenet;

namespace {

const std::string self_id = "x8SxZ7CZ2s3vJ7QfWmJ0bN2d3m6cQ0yqJ2k1tW4aB8E";

const std::string offer_sdp =
    "v=0\r\no=- 7716264046970486374 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:1Izu\r\na=ice-pwd:/I2cZSLiRINAVafg3ksR3sVI\r\na=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 E7:52:8B:F3:69:56:6E:EB:9C:B8:86:BE:8D:CA:FA:BD:7A:04:3D:1B:5D:46:9A:"
    "23:CC:40:1A:BB:50:99:B1:48\r\na=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\n";
const std::string answer_sdp =
    "v=0\r\no=- 7986222811333242484 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=application 38065 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 127.0.0.1\r\n"
    "a=candidate:1555175985 1 udp 2122260223 127.0.0.1 38065 typ host generation 0\r\n"
    "a=ice-ufrag:/1DK\r\na=ice-pwd:JVXT3i2ud9SJufA/t0V5NV6L\r\n"
    "a=fingerprint:sha-256 81:2F:BC:1D:EB:BE:9B:8E:C6:F7:EB:A8:A1:A9:94:AF:B8:A2:D6:21:27:2A:F5:95:"
    "43:22:08:E6:1A:F1:4F:7A\r\na=setup:active\r\na=mid:0\r\na=sctp-port:5000\r\n";

struct Rtc final : RtcTransport {
    std::vector<std::string> sent;
    void create_connection(const std::string&, bool) override {}
    void close_connection(const std::string&) override {}
    void set_local_description(const std::string&) override {}
    void set_remote_description(const std::string&, const SessionDescription&) override {}
    void add_ice_candidate(const std::string&, const nlohmann::json&) override {}
    void restart_ice(const std::string&) override {}
    bool send(const std::string&, std::string_view text) override {
        sent.emplace_back(text);
        return true;
    }
    void get_fingerprints(const std::string&) override {}
    SignalingState signaling_state(const std::string&) const override { return SignalingState::stable; }
};

const std::string& answer_code() {
    static const std::string code = [] {
        auto d = pairing_description_from_sdp(PairingKind::answer, answer_sdp);
        FUZZ_CHECK(d);
        auto text = encode_pairing_code(*d);
        FUZZ_CHECK(text);
        return *text;
    }();
    return code;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Rtc rtc;
    std::vector<PairedPeer> met;
    std::size_t signals = 0;
    Pairing* pairing_ptr = nullptr;
    Pairing pairing(rtc,
                    PairingCallbacks{{},
                                     [&](const PairedPeer& p) { met.push_back(p); },
                                     [&](const std::string& from, const nlohmann::json& d) {
                                         FUZZ_CHECK(met.size() == 1 && from == met[0].peer);
                                         FUZZ_CHECK(d.is_object());
                                         FUZZ_CHECK(pairing_ptr->peer() && pairing_ptr->peer()->peer == from);
                                         ++signals;
                                     }},
                    [] { return 0.0; });
    pairing_ptr = &pairing;
    pairing.offer({"festival", std::string(room_key_bytes, 'k')}, {self_id, "Me", "s1"});
    pairing.on_negotiation_needed(Pairing::connection);
    pairing.on_local_description(Pairing::connection, {SdpType::offer, offer_sdp});
    pairing.on_ice_candidate(Pairing::connection,
                             {{"candidate", "candidate:1 1 udp 2122260223 127.0.0.1 42583 typ host"}});
    pairing.on_ice_gathering_complete(Pairing::connection);
    FUZZ_CHECK(pairing.state() == Pairing::State::showing);
    FUZZ_CHECK(pairing.accept_answer(answer_code()).empty());
    pairing.on_channel_open(Pairing::connection);
    FUZZ_CHECK(rtc.sent.size() == 1); // our hello

    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::size_t start = 0;
    while (start <= input.size()) {
        const std::size_t end = std::min(input.find('\n', start), input.size());
        pairing.on_channel_message(Pairing::connection, input.substr(start, end - start));
        start = end + 1;
    }
    FUZZ_CHECK(met.size() <= 1);
    if (!met.empty()) {
        const PairedPeer& p = met[0];
        FUZZ_CHECK(is_peer_key_id(p.peer) && p.peer != self_id);
        FUZZ_CHECK(is_valid_id(p.session));
        FUZZ_CHECK(p.name.empty() || check_chat_name(p.name).ok());
        FUZZ_CHECK(pairing.peer() && pairing.peer()->peer == p.peer);
    } else {
        FUZZ_CHECK(signals == 0 && !pairing.peer());
    }
    FUZZ_CHECK(rtc.sent.size() == 1);
    return 0;
}
