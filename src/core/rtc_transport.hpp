// rtc_transport.hpp: what the room engine asks of a WebRTC implementation (RtcTransport), what
// the implementation reports back (RtcEvents), and the browser's enums spelled once. The browser
// binding (src/platform/rtc) implements RtcTransport over RTCPeerConnection + RTCDataChannel;
// tests/unit/fake_rtc.hpp implements it in memory. Both report to an RtcEvents, never to a
// concrete engine.
// Needs: nlohmann/json (ICE candidates travel as RTCIceCandidateInit objects).
//  [X] one RTCPeerConnection per remote peer, keyed by peer id, with one data channel that the
//      side named by create_connection opens (the other receives it)
//  [X] implicit setLocalDescription (offer or answer as the state requires), as perfect
//      negotiation wants
//  [X] enum <-> browser string tables with explicit numbers, and operator<< for test output
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace peddlenet {

// RTCSdpType, restricted to what crosses the signaling server ("rollback" never does; pranswer
// is not used by this app).
enum class SdpType : std::uint8_t { offer = 0, answer = 1 };

struct SessionDescription {
    SdpType type = SdpType::offer;
    std::string sdp;
    bool operator==(const SessionDescription&) const = default;
};

// RTCSignalingState.
enum class SignalingState : std::uint8_t {
    stable = 0,
    have_local_offer = 1,
    have_remote_offer = 2,
    have_local_pranswer = 3,
    have_remote_pranswer = 4,
    closed = 5,
};

// RTCPeerConnectionState ("new" is a C++ keyword, hence new_).
enum class PeerConnectionState : std::uint8_t {
    new_ = 0,
    connecting = 1,
    connected = 2,
    disconnected = 3,
    failed = 4,
    closed = 5,
};

// The asynchronous operation an error came from (RoomEngine::on_rtc_error).
enum class RtcOperation : std::uint8_t {
    create_connection = 0,      // new RTCPeerConnection / createDataChannel threw
    set_local_description = 1,  // the promise rejected
    set_remote_description = 2, // the promise rejected
    add_ice_candidate = 3,      // the promise rejected
    data_channel = 4,           // the channel's "error" event
};

// Browser spellings: "offer", "have-local-offer", "connected", "setRemoteDescription", ...
std::string_view to_string(SdpType v);
std::string_view to_string(SignalingState v);
std::string_view to_string(PeerConnectionState v);
std::string_view to_string(RtcOperation v);
std::optional<SdpType> parse_sdp_type(std::string_view s);
std::optional<SignalingState> parse_signaling_state(std::string_view s);
std::optional<PeerConnectionState> parse_connection_state(std::string_view s);
std::ostream& operator<<(std::ostream& os, SignalingState v);
std::ostream& operator<<(std::ostream& os, PeerConnectionState v);

// What a transport reports, for the peer's current connection only. Every completion and event of
// an RtcTransport call arrives here later, never from inside the call (the one exception allowed
// is on_rtc_error(peer, create_connection, ...) from inside create_connection).
class RtcEvents {
public:
    virtual void on_negotiation_needed(const std::string& peer) = 0;
    virtual void on_local_description(const std::string& peer, const SessionDescription& d) = 0;
    virtual void on_remote_description_set(const std::string& peer) = 0;
    // A local ICE candidate (candidate.toJSON()); the end-of-candidates null is not reported.
    virtual void on_ice_candidate(const std::string& peer, const nlohmann::json& candidate) = 0;
    virtual void on_channel_open(const std::string& peer) = 0;
    virtual void on_channel_message(const std::string& peer, std::string_view text) = 0;
    // A binary message (ArrayBuffer) on the channel: photo chunks (core/photo.hpp).
    virtual void on_channel_binary(const std::string& /*peer*/, std::string_view /*bytes*/) {}
    // The answer to RtcTransport::get_fingerprints (raw browser spelling; empty when unknown).
    virtual void on_fingerprints(const std::string& peer, const std::string& local,
                                 const std::string& remote) = 0;
    virtual void on_channel_closed(const std::string& peer) = 0;
    virtual void on_connection_state(const std::string& peer, PeerConnectionState state) = 0;
    virtual void on_rtc_error(const std::string& peer, RtcOperation op, std::string_view message) = 0;
    // ICE gathering finished (the end-of-candidates null). Only pairing by QR waits for it (it
    // cannot trickle); the room engine trickles and ignores it.
    virtual void on_ice_gathering_complete(const std::string& /*peer*/) {}

protected:
    ~RtcEvents() = default;
};

// Every method is called by the engine only; completions and events go to the RtcEvents the
// implementation was given.
// Contract for implementations:
//  - completions of set_local_description, set_remote_description and add_ice_candidate arrive
//    in call order per peer (the browser's operations chain gives this for free);
//  - after close_connection(peer) no event of that connection reaches the engine any more, even
//    if a new connection for the same peer id is created right away;
//  - every rejected promise and channel error is reported via on_rtc_error, not only logged.
class RtcTransport {
public:
    virtual ~RtcTransport() = default;

    // Creates an RTCPeerConnection for `peer` (ICE servers from the app's settings). With
    // `opens_channel` it creates the ordered data channel, so "negotiationneeded" fires and this
    // side offers first; otherwise it takes the channel the other side opens (ondatachannel).
    // The engine lets the impolite side open, so a new link never starts in glare.
    virtual void create_connection(const std::string& peer, bool opens_channel) = 0;
    // Closes channel and connection (dataChannel.close(); pc.close()) and forgets them.
    virtual void close_connection(const std::string& peer) = 0;
    // pc.setLocalDescription() with no argument -> on_local_description(peer, pc.localDescription)
    // or on_rtc_error(peer, set_local_description, message).
    virtual void set_local_description(const std::string& peer) = 0;
    // pc.setRemoteDescription(d) -> on_remote_description_set(peer) or on_rtc_error(...).
    // In have-local-offer an offer performs the implicit rollback of modern browsers.
    virtual void set_remote_description(const std::string& peer, const SessionDescription& d) = 0;
    // pc.addIceCandidate(candidate), an RTCIceCandidateInit object -> errors via on_rtc_error.
    virtual void add_ice_candidate(const std::string& peer, const nlohmann::json& candidate) = 0;
    // pc.restartIce(): new ICE credentials on the next offer; "negotiationneeded" follows.
    virtual void restart_ice(const std::string& peer) = 0;
    // Sends one text message on the peer's data channel. False when the channel is not open
    // (nothing is queued in that case).
    virtual bool send(const std::string& peer, std::string_view text) = 0;
    // Sends one binary message (an ArrayBuffer), like send.
    virtual bool send_binary(const std::string& /*peer*/, std::string_view /*bytes*/) { return false; }
    // Bytes queued on the peer's data channel and not yet handed to the network
    // (RTCDataChannel.bufferedAmount); 0 for an unknown peer.
    virtual std::size_t buffered_amount(const std::string& /*peer*/) const { return 0; }
    // The sha-256 fingerprints of this connection's two DTLS certificates, as negotiated (the
    // browser's getStats certificate entries, once the channel is open) -> on_fingerprints(peer,
    // local, remote), with empty strings when the browser cannot say.
    virtual void get_fingerprints(const std::string& peer) = 0;
    // pc.signalingState right now (stable for an unknown peer).
    virtual SignalingState signaling_state(const std::string& peer) const = 0;
};

} // namespace peddlenet
