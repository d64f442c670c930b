// negotiation.hpp: "perfect negotiation" for one peer link, and the signal data format it sends
// through the signaling server (the server relays `data` untouched).
// Needs: core/rtc_transport.hpp, nlohmann/json.
//  [X] polite / impolite by peer id order: the peer whose id is bytewise SMALLER is polite
//  [X] makingOffer / ignoreOffer / isSettingRemoteAnswerPending as in the W3C example
//      (https://w3c.github.io/webrtc-pc/#perfect-negotiation-example), mapped onto asynchronous
//      completions: the engine issues a call and acts when the completion comes back
//  [X] glare: the impolite side ignores a colliding offer, the polite side lets
//      setRemoteDescription(offer) roll its own offer back and answers
//  [X] remote ICE candidates that arrive before any remote description are buffered (bounded) and
//      added once it is set; a candidate whose usernameFragment names other ICE credentials than
//      the remote description's is dropped (it belongs to an ignored or rolled-back offer, or to
//      the peer's previous page; the browser would only reject it)
//  [X] errors: addIceCandidate failures while an offer is being ignored are swallowed, the rest
//      are reported
//  [X] every signal from the network is validated (types, sizes) before it reaches the browser
//
// Signal data (the `data` object of a signaling `signal` message), one of:
//   {"description": {"type": "offer" | "answer", "sdp": "<SDP text>"}}
//   {"candidate": {"candidate": "<a=candidate line or empty>", "sdpMid": "0" | null,
//                  "sdpMLineIndex": 0 | null, "usernameFragment": "<ufrag>" | null}}
// Unknown fields are ignored; anything else is refused. RoomEngine adds its envelope fields
// "session" / "to_session" to every signal, and sends a bare {"session": ...} announce first
// (see room_engine.hpp); this class neither needs nor reads them.
#pragma once

#include "core/rtc_transport.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace peddlenet {

// SDP text accepted from the network, in bytes: a data-channel-only session is ~1 KiB; 16 KiB
// leaves room for many ICE candidates inlined by some browsers.
inline constexpr std::size_t max_sdp_bytes = 16 * 1024;
// One candidate line, in bytes (real ones are ~100-200).
inline constexpr std::size_t max_candidate_bytes = 1024;
// Candidates held while no remote description is set: a host-only LAN yields a handful,
// STUN/TURN a few more; a flood beyond this is dropped.
inline constexpr std::size_t max_buffered_candidates = 64;

// A parsed signal: a session description or a normalized RTCIceCandidateInit object.
struct IceCandidate {
    nlohmann::json init; // exactly the four known keys, validated
};
using SignalData = std::variant<SessionDescription, IceCandidate>;

nlohmann::json signal_data_from(const SessionDescription& d);
// `candidate` is what the browser's icecandidate event gave (candidate.toJSON()).
nlohmann::json signal_data_from_candidate(const nlohmann::json& candidate);
// Validates signal data from the network; nullopt (and a reason in `why`) when refused.
std::optional<SignalData> parse_signal_data(const nlohmann::json& data, std::string* why = nullptr);

// The ICE usernames ("a=ice-ufrag:" values) an SDP carries, in order, without repeats.
std::vector<std::string> sdp_ice_ufrags(std::string_view sdp);

// True when `self` plays the polite role towards `peer` (self < peer, bytewise).
inline bool is_polite(const std::string& self, const std::string& peer) { return self < peer; }

// The negotiation state of one RTCPeerConnection. The owner (RoomEngine) forwards the
// transport's completions for this peer to the matching on_* method.
class PerfectNegotiation {
public:
    using SignalSink = std::function<void(const nlohmann::json& data)>;

    PerfectNegotiation(RtcTransport& rtc, std::string peer, bool polite, SignalSink send);
    PerfectNegotiation(const PerfectNegotiation&) = delete;
    PerfectNegotiation& operator=(const PerfectNegotiation&) = delete;

    // "negotiationneeded": makingOffer = true; setLocalDescription().
    void on_negotiation_needed();
    // setLocalDescription resolved: send {description}; clears makingOffer if it was ours.
    void on_local_description(const SessionDescription& d);
    // setRemoteDescription resolved: flush buffered candidates; answer if it was an offer.
    void on_remote_description_set();
    // Local "icecandidate" event: forward it to the peer.
    void on_local_candidate(const nlohmann::json& candidate);

    enum class SignalResult { applied, ignored, malformed };
    // Remote signal data: runs the perfect negotiation decision for descriptions, buffers or adds
    // candidates. `ignored` = a colliding offer (impolite side), a candidate of one, or a
    // candidate of other ICE credentials than the remote description's.
    SignalResult on_signal(const nlohmann::json& data);

    // A rejected transport operation for this peer. Returns true when it should be reported,
    // false when swallowed (addIceCandidate while ignoring an offer).
    bool on_error(RtcOperation op);

    bool polite() const { return polite_; }
    bool making_offer() const { return making_offer_; }
    bool ignore_offer() const { return ignore_offer_; }
    std::size_t buffered_candidates() const { return buffered_.size(); }

private:
    bool stale(const nlohmann::json& candidate) const;

    // Why a setLocalDescription call was made, matched to completions in call order.
    enum class LocalReason { negotiation, answer };

    RtcTransport& rtc_;
    std::string peer_;
    bool polite_;
    SignalSink send_;
    bool making_offer_ = false;
    bool ignore_offer_ = false;
    bool setting_remote_answer_pending_ = false;
    bool has_remote_description_ = false;
    std::deque<LocalReason> pending_local_; // setLocalDescription calls in flight
    std::deque<SdpType> pending_remote_;    // setRemoteDescription calls in flight
    std::vector<nlohmann::json> buffered_;  // remote candidates waiting for a remote description
    std::vector<std::string> remote_ufrags_; // of the last remote description applied
};

} // namespace peddlenet
