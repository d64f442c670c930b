// pairing.hpp: pairing two phones by QR code when no signaling server is reachable. Phone A
// shows its offer as a code (core/pairing_code.hpp), phone B scans it and shows its answer, A
// scans that: a throwaway "bootstrap" RTCPeerConnection opens between them. Over its one data
// channel each side says who it is (peer id, name, signaling session), then it carries the room
// engine's signals (RoomEngine::introduce, send_signal_aside) until the real, proven link forms;
// the rest of the room follows through the mesh. The offer carries the private room's key, so
// showing it is inviting.
// Needs: core/rtc_transport.hpp (the browser's, or a test's), core/pairing_code.hpp,
// core/identity.hpp (peer ids), core/text.hpp.
//  [X] offer: a connection that opens the channel, its local offer and every candidate gathered
//      (at most gather_timeout_ms: an unanswering STUN/TURN server must not hold the code
//      back), the room's name and key -> the code
//  [X] answer: a scanned offer is decoded strictly, its SDP rebuilt and applied, the answer
//      gathered and encoded the same way; the room it names is handed to the app
//  [X] a scanned answer is applied to the offer that is showing; a code of the wrong kind, or
//      a damaged one, gives a sentence for the screen and changes nothing
//  [X] bootstrap frames: one hello each way, then signals; anything else, or malformed, dropped
//  [X] no link within connect_timeout_ms of the last scan: failed, with a sentence
#pragma once

#include "core/pairing_code.hpp"
#include "core/rtc_transport.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace peddlenet {

// Who the other phone said it is, over the bootstrap channel.
struct PairedPeer {
    std::string peer;    // its peer id (Ed25519 public key, base64url)
    std::string name;    // its display name
    std::string session; // its signaling session name (RoomEngine::introduce)
};

// The room a scanned offer invites to.
struct PairingRoom {
    std::string name;
    std::string key; // raw room key (room_key_bytes)
};

struct PairingCallbacks {
    std::function<void()> changed;                         // state or code changed: redraw
    std::function<void(const PairedPeer& peer)> met;       // the other side's hello arrived
    // A room engine signal from the other side (route it to RoomEngine::on_signal).
    std::function<void(const std::string& from, const nlohmann::json& data)> signal;
};

// Who we are on the bootstrap channel (sent in our hello once it opens).
struct PairingSelf {
    std::string peer;
    std::string name;
    std::string session;
};

class Pairing final : public RtcEvents {
public:
    enum class State : std::uint8_t {
        idle,          // nothing under way
        gathering,     // making our code
        showing,       // our code is ready: code()
        connecting,    // both codes scanned, the bootstrap connection is opening
        open,          // bootstrap channel open (and, once hellos crossed, peer() is set)
        failed,        // error() says why
    };
    // The transport key of the bootstrap connection (its own transport: not a peer id).
    static constexpr const char* connection = "pairing";
    static constexpr double gather_timeout_ms = 3000.0;
    static constexpr double connect_timeout_ms = 30000.0;

    Pairing(RtcTransport& rtc, PairingCallbacks callbacks, std::function<double()> monotonic_ms);
    ~Pairing();
    Pairing(const Pairing&) = delete;
    Pairing& operator=(const Pairing&) = delete;

    // Phone A: starts an offer for this room (`room_key`: raw, room_key_bytes).
    void offer(const PairingRoom& room, PairingSelf self);
    // Phone B: a scanned offer. Returns the room it invites to, or nullopt with error() set
    // (state unchanged unless the code was good).
    std::optional<PairingRoom> accept_offer(std::string_view code, PairingSelf self);
    // Who we are in our hello (when it changed since offer / accept_offer: a room entered).
    void set_self(PairingSelf self) { self_ = std::move(self); }
    // Phone A: a scanned answer to the offer showing. Returns nothing, or what to tell the person.
    i18n::Message accept_answer(std::string_view code);
    // Ends the pairing and closes the bootstrap connection.
    void cancel();
    // Sends a room engine signal to the paired peer; false unless the channel is open.
    bool send_signal(const nlohmann::json& data);
    // Call every frame: the gathering and connection timeouts.
    void tick();

    State state() const { return state_; }
    bool offering() const { return kind_ == PairingKind::offer; }
    const std::string& code() const { return code_; } // "PN1:...", while showing
    const i18n::Message& error() const { return error_; }
    const std::optional<PairedPeer>& peer() const { return peer_; }
    std::size_t code_bytes() const { return code_bytes_; } // payload bytes of code()

    // RtcEvents of the bootstrap connection.
    void on_negotiation_needed(const std::string& peer) override;
    void on_local_description(const std::string& peer, const SessionDescription& d) override;
    void on_remote_description_set(const std::string& peer) override;
    void on_ice_candidate(const std::string& peer, const nlohmann::json& candidate) override;
    void on_ice_gathering_complete(const std::string& peer) override;
    void on_channel_open(const std::string& peer) override;
    void on_channel_message(const std::string& peer, std::string_view text) override;
    void on_fingerprints(const std::string&, const std::string&, const std::string&) override {}
    void on_channel_closed(const std::string& peer) override;
    void on_connection_state(const std::string& peer, PeerConnectionState state) override;
    void on_rtc_error(const std::string& peer, RtcOperation op, std::string_view message) override;

private:
    void reset();
    void fail(i18n::Message why);
    void finish_code();
    void set_state(State s);

    RtcTransport& rtc_;
    PairingCallbacks callbacks_;
    std::function<double()> now_;
    State state_ = State::idle;
    PairingKind kind_ = PairingKind::offer;
    PairingSelf self_;
    PairingRoom room_;
    std::optional<std::string> local_sdp_;
    std::vector<std::string> candidates_;
    bool gathered_ = false;
    double deadline_ = 0.0;
    std::string code_;
    std::size_t code_bytes_ = 0;
    i18n::Message error_;
    std::optional<PairedPeer> peer_;
    bool connection_open_ = false; // a bootstrap connection exists in the transport
};

} // namespace peddlenet
