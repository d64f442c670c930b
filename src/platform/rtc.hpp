// rtc.hpp: RtcTransport over the browser's RTCPeerConnection and RTCDataChannel (web/rtc.js).
// Needs: core/rtc_transport.hpp (RtcTransport, and RtcEvents where the events go).
//  [X] one connection per peer id; events of a closed connection never reach the engine
//  [X] the data channel is opened by the side the engine names (the impolite one)
//  [X] every rejected promise and channel error reaches the engine as on_rtc_error
//  [X] ICE servers as a setting (JSON array of RTCIceServer), default none (one LAN); relay only
//  [X] how the relays answer: relay candidates gathered, STUN/TURN errors (401: credentials
//      refused, 701: no answer), the last error until a relay candidate comes
//  [X] the path each connection uses (direct, STUN, relay) and its RTT, asked for by the app
//  [X] the DTLS certificates' sha-256 fingerprints of an open connection -> on_fingerprints
//  [X] binary messages (photo chunks) both ways, and the channel's send buffer (bufferedAmount)
#pragma once

#include "core/link_path.hpp"
#include "core/rtc_transport.hpp"

#include <map>
#include <string>

namespace peddlenet::platform {

class BrowserRtc final : public RtcTransport {
public:
    BrowserRtc();
    ~BrowserRtc() override; // closes every connection
    // Registered with JS by handle: neither copyable nor movable.
    BrowserRtc(const BrowserRtc&) = delete;
    BrowserRtc& operator=(const BrowserRtc&) = delete;

    // Where events go. The engine is built with this transport, hence the late binding.
    void attach(RtcEvents* events) { events_ = events; }
    // `ice_servers_json`: e.g. [{"urls":"stun:stun.example.org"}]. False if it is not a JSON array.
    static bool set_ice_servers(const std::string& ice_servers_json);
    // Relay only (iceTransportPolicy "relay"): for connections made from now on.
    static void set_relay_only(bool relay_only);

    // The last STUN/TURN error (code 0: none since a relay answered).
    struct RelayReport {
        unsigned long candidates = 0; // relay candidates gathered, all connections
        unsigned long errors = 0;     // STUN/TURN server errors
        int error_code = 0;           // 401: credentials refused; 701: no answer
        std::string error_url;        // the server's URL
        std::string error_text;       // the browser's reason, e.g. "Unauthorized."
    };
    const RelayReport& relay_report() const { return relay_; }

    // Asks every connected connection for its path (getStats); the answers arrive later.
    void request_paths();
    // The path a peer's connection used at its last answer; null before one (or not connected).
    const LinkPath* path(const std::string& peer) const;

    void create_connection(const std::string& peer, bool opens_channel) override;
    void close_connection(const std::string& peer) override;
    void set_local_description(const std::string& peer) override;
    void set_remote_description(const std::string& peer, const SessionDescription& d) override;
    void add_ice_candidate(const std::string& peer, const nlohmann::json& candidate) override;
    void restart_ice(const std::string& peer) override;
    bool send(const std::string& peer, std::string_view text) override;
    bool send_binary(const std::string& peer, std::string_view bytes) override;
    std::size_t buffered_amount(const std::string& peer) const override;
    // Answered later through the event path; nothing for an unknown or closed peer.
    void get_fingerprints(const std::string& peer) override;
    SignalingState signaling_state(const std::string& peer) const override;

    // Called by the pn_rtc_event export for events of `handle`.
    void dispatch(int handle, int kind, int number, std::string_view text);

private:
    int handle_of(const std::string& peer) const;

    RtcEvents* events_ = nullptr;
    RelayReport relay_;
    std::map<std::string, int> handles_; // peer id -> JS handle
    std::map<int, std::string> peers_;   // JS handle -> peer id
    std::map<std::string, LinkPath> paths_;
};

} // namespace peddlenet::platform
