// session.hpp: everything the chat needs beyond drawing: the room engine on the browser's
// WebRTC and Web Crypto, the signaling client on the browser's WebSocket, room history in
// IndexedDB, and what this device remembers (name, current room and its key, verified people).
// Needs: core (RoomEngine, SignalingClient, HistoryKeeper, ChatLog, trust), platform (rtc,
// websocket, crypto, storage, main loop).
//  [X] identity: the peer id is this device's Ed25519 public key (platform/crypto.hpp loads it
//      before the session exists); joins are signed with it
//  [X] rooms: private (a key from "Create room" or an invite; the server sees only the id derived
//      from it) or open (a typed name); the current room and its key survive reloads
//  [X] name and current room survive reloads (localStorage)
//  [X] a reload comes back into the same room as the same peer, history first, then the server
//  [X] history saved to IndexedDB at once after a change (bursts coalesced), and when the page hides
//  [X] timers (pings, reconnects, keepalive) wake the loop only when due
//  [X] safety codes per peer; people verified in person (by their "My code" QR) are remembered,
//      and a verified name showing up with another key is flagged
#pragma once

#include "core/history_keeper.hpp"
#include "core/pairing.hpp"
#include "core/room_engine.hpp"
#include "core/signaling_client.hpp"
#include "core/trust.hpp"
#include "app/photos.hpp"
#include "platform/crypto.hpp"
#include "platform/rtc.hpp"
#include "platform/websocket.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace peddlenet::app {

// Uniform 32-bit values from the browser's crypto.getRandomValues (ids, room names).
std::uint32_t secure_random();

// A room as the person knows it: its display name and, for a private room, its key.
struct RoomRef {
    std::string name; // display name (is_valid_id); for an open room also the server's id
    std::string key;  // private rooms: the raw key (room_key_bytes); empty for an open room
    bool is_private() const { return !key.empty(); }
    bool operator==(const RoomRef&) const = default;
};

// What this device knows about a peer beyond the engine's link state.
struct PeerTrust {
    std::optional<std::string> safety_code; // computed once per peer (SHA-256 is asynchronous)
    bool verified = false;                  // scanned in person (persisted)
    // A person verified under this display name used another key: maybe not the same person.
    bool name_of_other_key = false;
};

class ChatSession {
public:
    struct Events {
        std::function<void(const std::string& room)> joined;   // the server confirmed our join
        std::function<void(const std::string& text)> problem;   // something to tell the person
        // Someone else's message entered the log (live or by history sync; not from storage).
        std::function<void(const ChatMessage& message)> message_from_peer;
    };

    // `identity`: a loaded identity (IdentityResult::ok); its key is this session's peer id.
    ChatSession(Events events, const platform::IdentityResult& identity);
    ChatSession(const ChatSession&) = delete;
    ChatSession& operator=(const ChatSession&) = delete;

    // Connects to the signaling server (a path like "/ws" is relative to the page).
    void start(const std::string& signaling_url);

    const std::string& peer_id() const { return engine_.self_id(); }
    // Own key's fingerprint for people to compare ("3fa2 9c01 ..."); empty until hashed.
    const std::string& identity_fingerprint() const { return identity_fingerprint_; }
    bool identity_ephemeral() const { return identity_ephemeral_; }
    const std::string& name() const { return engine_.name(); }
    // Returns an error sentence, or "" when the name was accepted and saved.
    std::string set_name(const std::string& name);
    bool has_saved_name() const { return has_saved_name_; }
    // The ICE servers setting as typed (core/ice_servers.hpp); applies to links created from
    // now on. Returns an error sentence, or "" when saved.
    std::string set_ice_servers(const std::string& text);
    const std::string& ice_servers() const { return ice_servers_text_; }
    // Links only through a relay (TURN): peers see the relay's address, never this phone's.
    // Saved; applies to links created from now on.
    void set_relay_only(bool relay_only);
    bool relay_only() const { return relay_only_; }
    // The festival box's TURN servers the signaling server handed out (with credentials until
    // box_ice_expires(), unix seconds), used beside the setting's.
    std::size_t box_ice_servers() const { return box_ice_.size(); }
    std::int64_t box_ice_expires() const { return box_ice_expires_; }
    const platform::BrowserRtc::RelayReport& relay_report() const { return rtc_.relay_report(); }
    // The path a peer's link takes (getStats, asked every path_interval_ms); null until known.
    const LinkPath* path(const std::string& peer) const { return rtc_.path(peer); }

    // The room kept from the previous visit, if any (entered automatically after a reload).
    std::optional<RoomRef> saved_room() const;

    // Enters `room`: once its keys are derived (a moment: HMAC in Web Crypto) stored history is
    // shown, messages queue and the server join follows. False when `room` is invalid.
    bool enter(const RoomRef& room);
    void leave();
    // The room entered (also while its keys are being derived), or nullopt.
    const std::optional<RoomRef>& room() const { return room_; }
    // The room's id as the server sees it, once its keys are derived.
    const std::optional<std::string>& room_id() const { return engine_.room(); }
    // Calls `done(room_id)` once the current room's keys are derived (now if they are).
    void when_entered(std::function<void(const std::string& room_id)> done);

    // Trust facts about `peer` (all false/empty for an unknown peer).
    PeerTrust trust(const std::string& peer) const;
    // The text of this device's "My code" QR (core/verify_code.hpp).
    std::string my_code() const;
    // A scanned "My code": marks that person verified (remembered on this device). Returns an
    // error sentence, or "" when done; `who` gets the person's name.
    std::string verify(const std::string& code_text, std::string* who = nullptr);

    // Sends (or queues) a message. Our own messages are stored at once, not on the save
    // throttle: peers never give us back our own, so a reload right after sending would lose it.
    SendResult send(const std::string& text);
    const RoomEngine& engine() const { return engine_; }
    Photos& photos() { return photos_; }
    const Photos& photos() const { return photos_; }
    RoomEngine& engine_mut() { return engine_; } // measurement knobs only (setFullMeshMax)
    Crypto& crypto() { return crypto_; }
    SignalingStatus signaling() const { return signaling_.status(); }

    // Per frame: engine and signaling timers; schedules the next wake-up when idle.
    void tick();
    // Saves history now (page hiding).
    void flush();
    // When each message entered the log on this page and when each link last opened, in epoch
    // ms at performance.now() resolution: the automation API reports them for latency benchmarks.
    std::optional<double> arrived_ms(const std::string& message_id) const;
    std::optional<double> link_opened_ms(const std::string& peer) const;

    // Pairing by QR with no server (core/pairing.hpp). start_pairing: this phone shows an offer
    // for the current private room ("" or why not). accept_pairing_offer: a scanned offer; on
    // success this phone enters the room it names and shows its answer ("" or the sentence).
    // accept_pairing_answer: the other phone's answer to the offer showing.
    std::string start_pairing();
    std::string accept_pairing_offer(const std::string& code);
    std::string accept_pairing_answer(const std::string& code);
    void cancel_pairing();
    const Pairing& pairing() const { return pairing_; }
    // The name of the person the last pairing linked us with, once its link is proven.
    const std::optional<std::string>& paired_with() const { return paired_with_; }

    // The UI shows round-trip times this frame (peer list open): RTT updates then redraw.
    void set_rtt_visible(bool visible) { rtt_visible_ = visible; }

private:
    void on_peers_changed();
    void on_keys_derived(std::uint64_t generation, std::optional<RoomKeys> keys);
    void note_arrivals();
    bool pairing_send_signal(const std::string& to, const nlohmann::json& data);
    void pairing_met(const PairedPeer& peer);
    void check_pairing();
    // Our session in a pairing's hello: the engine's, or a new one before any server join.
    std::string pairing_session();

    Events events_;
    platform::BrowserRtc rtc_;
    static constexpr double path_interval_ms = 2000.0;
    double paths_due_ms_ = 0.0;
    platform::WebCrypto crypto_;
    HistoryKeeper history_; // before the engine, whose callbacks call it: outlives the engine
    RoomEngine engine_;
    Photos photos_; // after the engine it sends with
    platform::BrowserSignalingSocket socket_;
    SignalingClient signaling_;
    platform::BrowserRtc pairing_rtc_; // the bootstrap connection: its own transport
    Pairing pairing_;
    std::optional<PairedPeer> pairing_pending_; // met before the room's keys were derived
    std::string pairing_session_;               // ours, while the engine has none
    std::optional<std::string> paired_with_;
    std::optional<RoomRef> room_;
    std::vector<std::function<void(const std::string&)>> entered_waiters_;
    std::string identity_fingerprint_;
    bool identity_ephemeral_ = false;
    std::map<std::string, std::string> safety_codes_; // peer id -> code
    std::map<std::string, std::string> verified_;     // peer id -> name when verified (persisted)
    bool has_saved_name_ = false;
    std::string ice_servers_text_;
    nlohmann::json user_ice_ = nlohmann::json::array(); // from the setting
    nlohmann::json box_ice_ = nlohmann::json::array();  // from the signaling server
    std::int64_t box_ice_expires_ = 0;
    bool relay_only_ = false;
    void apply_ice_servers();
    bool rtt_visible_ = false;
    std::string link_signature_; // peers and link states last drawn
    std::map<std::string, double> arrived_ms_;     // message id -> epoch ms
    std::map<std::string, double> link_opened_ms_; // peer id -> epoch ms of the last open
    std::uint64_t enter_generation_ = 0; // ignores key derivations of a room left meanwhile
    bool merging_stored_ = false;        // restore_history() running: those are not arrivals
};

} // namespace peddlenet::app
