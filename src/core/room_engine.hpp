// room_engine.hpp: one peer's view of a chat room: its WebRTC links (a full mesh in a small room,
// a bounded partial mesh in a big one), perfect negotiation, link proofs, the chat log and
// delivery state. Platform-free and deterministic: time and randomness are injected, nothing runs
// on its own (no threads, no sleeping, no exceptions). It orchestrates; its parts live in units
// of their own: core/reconciliation (catching up link by link), core/gossip_relay (passing
// messages on in a big room), core/room_members (who is in the room, whom to link to),
// core/presence (who is here while the server is gone).
// Needs: core/rtc_transport.hpp (the browser binding or a fake), core/negotiation.hpp,
// core/peer_protocol.hpp, core/chat_log.hpp, core/identity.hpp, core/random.hpp and the units above.
//  [X] full mesh from the server's events: joined -> a link to each listed peer; peer-joined ->
//      new link; peer-rejoined -> the old connection is dead: close it, start a fresh one;
//      peer-left -> close and forget
//  [X] every `joined` (first join, or re-join after a socket loss) rebuilds every link: the
//      others were told peer-joined/peer-rejoined and start fresh too; reconciliation fills
//      whatever was said during the short gap
//  [X] signal envelope: stale signals of a replaced connection never reach the new one (below)
//  [X] link proof: nothing but the proof crosses a link until both ends proved that they hold
//      the room key and their identity key, bound to this connection's DTLS fingerprints (below)
//  [X] signed messages: own messages are signed with the identity key; every msg and sync is
//      verified against its author's key before it is stored
//  [X] link state per peer (connecting / open / closed), proof state, round-trip time
//  [X] chat: send() composes, stores, signs and sends on every proven channel; messages sent while
//      no channel is proven stay "queued" and go out by reconciliation when one is
//  [X] reconciliation on every proven link: hello lists the newest 500 ids, each side answers
//      with the signed messages (of its own newest 500) that the other lacks
//  [X] delivery per own message: queued / sent / delivered to N of M (acks and hello lists)
//  [X] hostile input: every frame and signal is validated; see "Trust rules" below
//  [X] no ack timeouts and resends: a data channel is reliable and ordered, and every reopen
//      reconciles; a channel that closes while both sockets stay up is replaced at once (below),
//      and what was said meanwhile shows as "sent" until the new channel reconciles it
//  [X] links that die quietly (core/link_recovery): a small room's link whose connection goes
//      down is kept and recovered: ICE restarts after a grace period and on the browser's
//      network-change events, then a fresh connection made by the impolite side, which
//      announces it ("fresh") so that the other side replaces its own
//  [X] a link that does not open, or stays closed, for connect_timeout_ms is given up; its peer
//      is tried again after three times that (a full mesh links to every member it lacks); in a
//      big room a channel that closed is given up at the next tick, and a link whose connection
//      stays down for big_room_outage_ms
//  [X] big rooms (above full_mesh_max members), see "Big rooms" below
//
// Big rooms. A joiner knocks at `degree` random members of the server's sample (only the impolite
// side of a pair opens the data channel, so a polite initiator must ask); members accept until
// degree_high and answer "busy" beyond it, which also keeps anyone from becoming a hub. tick()
// tops a peer up to `degree` when it falls below degree_low and sheds random links above
// degree_high; when the room outgrows a full mesh, its first members (a clique) shed down to
// `degree` so newcomers find room. Messages carry the links they crossed (at most max_relay_hops); every relay
// verifies the author's signature before it passes a message on (GossipRelay: eager to
// eager_fanout links, ihave/iwant to the rest), so a relay can neither forge nor alter one.
// Receipts travel back the way each message came: "seen by N" (Delivery). Signaling prefers the
// server; without it signals travel over data channels (on the link itself, or through a
// neighbour whose links frame lists the peer), with the same envelope and perfect negotiation,
// so links form and heal with no server. Every RTCPeerConnection counts against
// connection_budget (browsers cap them per page lifetime): links others ask for are rationed.
//
// Usage: construct with the transport and the crypto provider (whose signing key is the one
// self_id spells); enter_room(keys); await_history(); send the server's join;
// restore_history(stored) when the read completes; forward every server event and every
// transport event to the on_* methods; call tick() every frame; save history_json() when
// history_changed fires.
//
// Link proof. When a link's channel opens, each side asks the transport for the connection's two
// DTLS fingerprints and sends one `auth` frame: an HMAC under the room's proof key and an Ed25519
// signature by its identity key, both over link_proof_payload(room, own id, peer id, own
// fingerprint, peer fingerprint). The receiver checks both over the same fields seen from its
// side. A relay in the middle (a server that swaps SDP) terminates DTLS itself, so each end sees
// the relay's certificate and the proofs fail; a stranger the server adds to the room has no room
// key. DTLS certificates are new for every RTCPeerConnection, so a proof cannot be replayed.
// Until a link is proven every other frame waits (bounded); a failed or missing (proof_timeout_ms)
// proof closes the connection for good: the peer id is refused until the room is entered again,
// so a hostile server cannot make us retry in a loop. LinkInfo says why ("not in this room":
// the identity is right but not the room key; "could not be verified": anything else).
//
// Trust rules for data channel input (what a hostile peer P can and cannot do):
//  - nothing is read before P's proof; then:
//  - "msg" must be authored by P itself (message.from == P); otherwise dropped as forged.
//  - every msg and sync must carry a valid signature of its author over all its fields and the
//    room id; a forged, altered or replayed (from another room) message is dropped and counted.
//  - "sync" (relayed history) may carry any author except ourselves; it is accepted only after
//    our hello on this channel, at most max_sync_messages per channel opening. A copy of a
//    message we already hold never replaces it (first id wins).
//  - a message whose Lamport value jumps more than max_lamport_jump above our clock is dropped,
//    so one peer cannot push the room's clock to its limit.
//  - acks and hello lists only mark messages as delivered *to P* (the link's own id).
//  - one hello per channel opening is answered; later ones are dropped (no amplification).
//  - frames over max_peer_frame_bytes, non-JSON, wrong types, unknown types: dropped.
//  Dropped input is counted in stats(); it never changes the log or the links.
//
// Signal envelope. When a page re-joins, the others replace their connection to it, but a
// connection of theirs that was still negotiating with its previous page can emit signals until
// they process the server's event; the server relays those to the new page. To keep them out,
// the server names each join's connection with a `session` (in joined, peer-joined and
// peer-rejoined), and every signal carries "session" (the sender's) and "to_session" (the
// receiver's). A link accepts only signals from the session the server named for its peer and
// addressed to our own session (others count as stats().signals_stale). The server's ordering
// makes this sound: we learn a peer's new session before anything its new page sends us.
// Within one session a link can also change connections (a fresh one after an outage), so every
// signal also carries "conn" (the sender's link serial) and, once known, "to_conn" (ours): a
// signal of the peer's older connection, or meant for our older one, is stale. A "fresh" signal
// from the impolite side, for a newer connection than ours talks to, makes the polite side
// replace its connection (at most once a second per link).
//
// Threading and re-entrancy: call everything from one thread (the browser's main loop). Callbacks
// run synchronously inside engine calls: they may read the engine, but must not call its mutating
// methods (queue the work for the next frame instead). Crypto completions may come at any later
// time; the engine ignores those of links, rooms or engines that are gone.
#pragma once

#include "core/chat_log.hpp"
#include "core/connection_health.hpp"
#include "core/crypto.hpp"
#include "core/gossip_relay.hpp"
#include "core/link_recovery.hpp"
#include "core/presence.hpp"
#include "core/negotiation.hpp"
#include "core/peer_protocol.hpp"
#include "core/photo_transfer.hpp"
#include "core/random.hpp"
#include "core/room_members.hpp"
#include "core/room_stats.hpp"
#include "core/rtc_transport.hpp"
#include "core/trust.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace peddlenet {

// Links per room: a browser handles a few dozen RTCPeerConnections; a full mesh beyond this
// costs more than it helps, and a hostile server list must not create thousands.
inline constexpr std::size_t max_room_links = 64;
// Frames a link holds while its proof is being checked (the peer may send hello and messages as
// soon as it has checked ours); more than this before the proof is a flood and is dropped.
inline constexpr std::size_t max_unproven_frames = 64;
// Rooms from this size on widen the relay's first hop (GossipRelay::arrived): measured with
// mesh_sim, at 1000 peers it lifted delivery within the hop limit from 99.71 % to 99.91 %;
// at 100 it only added copies.
inline constexpr std::size_t wide_first_hop_size = 256;
// Largest accepted Lamport jump above our own clock (2^24): far more than any honest room
// produces, while pushing the clock to 2^53 would take a hostile peer 2^29 messages.
inline constexpr std::uint64_t max_lamport_jump = std::uint64_t{1} << 24;

enum class LinkState : std::uint8_t {
    connecting = 0, // connection created, data channel not open yet
    open = 1,       // data channel open and the connection not disconnected/failed
    closed = 2,     // channel closed, or the connection disconnected/failed/closed
};
std::string_view to_string(LinkState v); // "connecting" | "open" | "closed"
std::ostream& operator<<(std::ostream& os, LinkState v);

// Whether a link proved room membership and identity (see "Link proof").
enum class ProofState : std::uint8_t {
    pending = 0, // no open channel yet, or the proofs are being exchanged
    ok = 1,      // both sides hold the room key and their identity keys, on this connection
    failed = 2,  // refused for the rest of this room visit; LinkInfo::refusal says why
};
std::string_view to_string(ProofState v); // "pending" | "ok" | "failed"
std::ostream& operator<<(std::ostream& os, ProofState v);

// One other member of the room, as the peer list shows it.
struct LinkInfo {
    std::string peer;             // peer id
    std::string name;             // display name from the signaling server
    LinkState state = LinkState::connecting;
    std::optional<double> rtt_ms; // last round trip on the data channel; none until measured
    ProofState proof = ProofState::pending;
    std::string refusal;          // when proof failed: "not in this room" / "could not be verified"
};

// A member listed by the server's `joined` message.
struct RoomMember {
    std::string peer;
    std::string name;
    std::string session; // the server's name for that member's connection (signal envelope)
};

enum class DeliveryState : std::uint8_t {
    received = 0,  // someone else's message
    queued = 1,    // own, not yet on any data channel
    sent = 2,      // own, handed to at least one channel, no ack yet
    delivered = 3, // own, acknowledged by `acked` peers
};
std::string_view to_string(DeliveryState v); // "received" | "queued" | "sent" | "delivered"

// Own messages in a small room (full mesh): "delivered to N of M", N peers that told us directly
// that they hold it. In a big room (partial mesh) most peers are not linked to us, so the figure
// is "seen by N": the peers that reported it, directly or through the relays it reached them by
// (each counts once; a report is lost if its relay leaves first, so N is a lower bound among
// honest relays). `big_room` says which one to show.
struct Delivery {
    DeliveryState state = DeliveryState::received;
    std::size_t acked = 0; // N: peers that hold it (own messages)
    std::size_t of = 0;    // M: current members plus any acked peer that has since left
    bool big_room = false; // N is "seen by", M the room's size
};

// Result of send(): the new message id, or a sentence for the UI / API error.
struct SendResult {
    std::string id;
    i18n::Message error;
    bool ok() const { return error.empty(); }
};

// Outputs of the engine. send_signal is required; the others are optional notifications.
struct RoomCallbacks {
    // Send `data` (signal data, see negotiation.hpp) to peer `to` via the signaling server as
    // {"type":"signal","to":to,"data":data}. Only called while joined(); dropping it when the
    // socket is down anyway is fine: the mesh is rebuilt after the next `joined`.
    std::function<void(const std::string& to, const nlohmann::json& data)> send_signal;
    // The chat log changed (message added, delivery state changed, history restored): redraw,
    // and save history_json() to storage (debounce as you like).
    std::function<void()> history_changed;
    // A link was created, removed or changed state or RTT.
    std::function<void()> peers_changed;
    // A browser error worth showing or logging (not the swallowed ones of perfect negotiation).
    std::function<void(const std::string& peer, const std::string& what)> error;
    // A message from the network was verified and stored; `hops` is the number of links it
    // crossed (1: straight from its author). For measurements (the mesh simulator).
    std::function<void(const ChatMessage& m, unsigned hops)> message_arrived;
    // A path to a peer outside the server and the mesh (pairing by QR: the bootstrap
    // connection), for peers given to introduce(). True when the signal went out.
    std::function<bool(const std::string& to, const nlohmann::json& data)> send_signal_aside;
    // Photos (PhotoTransfers::Hooks): a link asks for a photo the app may have stored (answer with
    // photos().provide or photos().absent), and a fetched photo checked out (store and show it).
    std::function<void(const std::string& hash)> photo_load;
    std::function<void(const std::string& hash, const std::shared_ptr<const std::string>& bytes)> photo_fetched;
};

// Injected time; the engine never reads a clock itself.
struct RoomClock {
    // Monotonic milliseconds (performance.now()): pings and RTT.
    std::function<double()> monotonic_ms;
    // Wall clock, ms since 1970 (Date.now()): the timestamp of composed messages.
    std::function<std::int64_t()> wall_ms;
};

struct RoomParams {
    // ping_interval_ms: double, default = 2000. How often each open link measures RTT; the peer
    // list refreshes at this rate and a ping costs ~30 bytes.
    double ping_interval_ms = 2000.0;
    // pong_timeout_ms: double, default = 10000. An unanswered ping older than this clears the
    // shown RTT (the link is probably dead; the browser reports it soon after).
    double pong_timeout_ms = 10000.0;
    // history_capacity: size_t, default = max_history_messages. Messages kept for the room.
    std::size_t history_capacity = max_history_messages;
    // connect_timeout_ms: double, default = 20000. A link whose channel has not opened by then,
    // or that stays closed this long, is given up; its peer is retried later with backoff.
    double connect_timeout_ms = 20000.0;
    // connection_budget: RTCPeerConnections, default 400. No new connection is made past this
    // many in the page's lifetime (Chromium refuses them after about 500, closed ones included).
    std::uint64_t connection_budget = 400;
    // proof_timeout_ms: double, default = 10000. An open channel whose peer has not proved itself
    // by then is refused (an old app, or a stranger that sits on the link).
    double proof_timeout_ms = 10000.0;
    // full_mesh_max: members, default 12, at most max_room_links + 1 (a full mesh past the link
    // cap would leave pairs unlinked with nothing relaying between them). A room of at most this
    // many members (us included) links everyone; above it each peer keeps a bounded set of links.
    std::size_t full_mesh_max = 12;
    // degree, degree_low, degree_high: links, defaults 6, 4, 12 (gossipsub's D, D_low, D_high).
    // In a partial mesh a peer opens links until it has `degree`, opens more whenever it falls
    // below degree_low, accepts links from others up to degree_high and sheds any above it.
    std::size_t degree = 6;
    std::size_t degree_low = 4;
    std::size_t degree_high = 12;
    // eager_fanout: links, default 3. A relayed message goes in full to this many links that may
    // lack it; the others get its id (ihave) and fetch it if they still lack it (iwant).
    std::size_t eager_fanout = 3;
    // photos: fetch and upload limits (core/photo_transfer.hpp).
    PhotoTransferParams photos;
};

class RoomEngine final : public RtcEvents {
public:
    // `self_id` is the identity's peer key id (is_peer_key_id), whose private key `crypto` signs
    // with; `name` must pass check_chat_name (else "Anonymous").
    RoomEngine(RtcTransport& rtc, Crypto& crypto, RoomCallbacks callbacks, RoomClock clock,
               RandomSource random, std::string self_id, std::string name, RoomParams params = {});
    // Closes every connection it still holds.
    ~RoomEngine();
    RoomEngine(const RoomEngine&) = delete;
    RoomEngine& operator=(const RoomEngine&) = delete;

    // ---- identity ----------------------------------------------------------------------------
    const std::string& self_id() const { return self_; }
    const std::string& name() const { return name_; }
    // Sets the display name used for future messages; returns an error sentence, or "" when set.
    // (Tell the server too: it announces names to the others on the next join.)
    i18n::Message set_name(std::string_view name);

    // ---- room lifecycle (local side; the app sends join/leave to the server itself) ----------
    // Enters the room at once (closing any previous room's links, emptying the log): messages
    // can be composed and queue until links open. Call restore_history() with the stored history
    // next, then send the server's join for keys.id. Returns false (changing nothing) unless
    // keys.id satisfies is_valid_id and keys.proof_key is 32 bytes.
    bool enter_room(RoomKeys keys);
    // The stored history is still being read (IndexedDB answers asynchronously): channels that
    // open meanwhile hold reconciliation back until restore_history(), so that it covers what
    // was stored. Call right after enter_room; the server's join need not wait for the read.
    void await_history();
    // Closes every link and leaves: room() becomes empty, the log is emptied.
    void leave_room();
    // The current room's id as the server sees it.
    const std::optional<std::string>& room() const { return room_; }
    bool room_is_private() const { return keys_.is_private; }
    // True between the server's `joined` for the current room and on_signaling_lost()/leave.
    bool joined() const { return joined_; }

    // ---- history -----------------------------------------------------------------------------
    const ChatLog& log() const { return log_; }
    const std::deque<ChatMessage>& messages() const { return log_.messages(); }
    // Merges stored history (ChatLog storage form; null: nothing stored) into the room's log,
    // signs own messages that were stored before their signature was ready, then reconciles
    // with every link that was proven while await_history() held it back.
    // Without await_history, messages restored late reach peers at their next channel opening.
    ChatLog::MergeResult restore_history(const nlohmann::json& stored);
    // The room's history in storage form, for IndexedDB.
    nlohmann::json history_json() const { return log_.to_storage_json(); }
    Delivery delivery(const ChatMessage& m) const;

    // ---- chat --------------------------------------------------------------------------------
    // Composes a message (id from the random source, wall-clock ts, next Lamport value) and
    // stores it at once; it is signed (asynchronously) and then sent on every proven channel.
    // Refuses with a sentence when not in a room, or when the text (after UTF-8 repair) is empty
    // or longer than max_text_bytes.
    SendResult send(std::string_view text);
    // Sends a photo message: `bytes` must hash to ref.hash (the app hashed them), `caption` may
    // be empty. Its bytes are served to every link that asks (PhotoTransfers).
    SendResult send_photo(const PhotoRef& ref, std::shared_ptr<const std::string> bytes,
                          std::string_view caption);
    PhotoTransfers& photos() { return photos_; }
    const PhotoTransfers& photos() const { return photos_; }

    // ---- peers -------------------------------------------------------------------------------
    // Every other member of the room, sorted by peer id.
    std::vector<LinkInfo> peers() const;
    std::optional<LinkInfo> peer(const std::string& id) const;
    std::size_t link_count() const { return links_.size(); }
    // Members, us included, as far as we know (the server's count while it is there).
    std::size_t room_size() const { return members_.room_size(); }
    // How many are in the room, us included: the server's count while we are joined, else
    // those whose signed presence announcement still holds (or our links, if more).
    std::size_t present() const;
    // True above full_mesh_max members: bounded links and relayed messages.
    bool partial_mesh() const { return members_.room_size() > params_.full_mesh_max; }
    // Measurements put a full mesh beside the partial one: the room size up to which this page
    // links everyone (at most max_room_links + 1 works). Takes effect at the next join.
    void set_full_mesh_max(std::size_t members) {
        params_.full_mesh_max = std::min(members, max_room_links + 1);
    }
    // RTCPeerConnections created since this engine was built: browsers refuse new ones after
    // about 500 per page lifetime, closed ones included.
    std::uint64_t connections_created() const { return connections_created_; }
    const RoomStats& stats() const { return stats_; }
    // How links to `peer` formed (nullptr before any attempt ended), and to anyone: each
    // connection counts once, opened or failed (given up), on ConnectionHealth's formula.
    const ConnectionHealth* health(const std::string& peer) const;
    const ConnectionHealth& room_health() const { return room_health_; }
    // The perfect negotiation state of one link (tests and diagnostics); nullptr if none.
    const PerfectNegotiation* negotiation(const std::string& peer) const;

    // ---- timers ------------------------------------------------------------------------------
    // Call every frame (or at least every few hundred ms): sends pings, expires stale RTTs,
    // refuses links whose proof is overdue, keeps the links of a big room, and sends the batched
    // announcements, receipts and fetches of the relay.
    void tick();
    // How soon tick() has work, in ms, when nothing else calls it (an idle page has no frames):
    // soon while relay batches wait, within a second in a big room, else the ping interval.
    double ms_until_next_tick() const;

    // ---- signaling events (from the parsed server messages) ---------------------------------
    // `joined` for our join: (re)builds the whole mesh, one fresh link per listed peer. Ignored
    // unless it names the current room and our id (a late answer to a join we left).
    // `session` is the server's name for our connection, each member's in RoomMember::session.
    // `room_size` is the server's count of members, us included (0: an old server that lists
    // everyone, so peers.size() + 1).
    void on_joined(const std::string& room, const std::string& self, const std::string& session,
                   const std::vector<RoomMember>& peers, std::size_t room_size = 0);
    void on_peer_joined(const std::string& peer, const std::string& name,
                        const std::string& session);
    // The peer refreshed or reconnected: its old RTCPeerConnection is dead; replaced by a new one.
    void on_peer_rejoined(const std::string& peer, const std::string& name,
                          const std::string& session);
    void on_peer_left(const std::string& peer);
    // `signal` from a peer: `data` is the signal data object (see negotiation.hpp).
    void on_signal(const std::string& from, const nlohmann::json& data);
    // The socket dropped. Open data channels keep working; negotiations in flight stall (their
    // signals are dropped from now on) until the app reconnects (Backoff) and re-joins, whose
    // `joined` rebuilds the mesh.
    void on_signaling_lost();
    // A member met outside the server (pairing by QR, core/pairing.hpp), who named its own
    // `session`: a link to it, its signals through callbacks.send_signal_aside while the server
    // is not joined. Without any server session yet, `own_session` becomes ours.
    void introduce(const std::string& peer, const std::string& name, const std::string& session,
                   const std::string& own_session);
    // The aside path to `peer` closed; its link lives on if it formed.
    void aside_gone(const std::string& peer);
    // Our session name in signal envelopes ("" before the first join or introduction).
    const std::string& session() const { return session_; }
    // The browser's online / network-change events: links that are down are retried now, and
    // links that are up restart ICE (their interface may be gone).
    void on_network_changed();

    // ---- RTC events (RtcEvents: from the transport, for the peer's current connection only) --
    void on_negotiation_needed(const std::string& peer) override;
    void on_local_description(const std::string& peer, const SessionDescription& d) override;
    void on_remote_description_set(const std::string& peer) override;
    void on_ice_candidate(const std::string& peer, const nlohmann::json& candidate) override;
    void on_channel_open(const std::string& peer) override;
    void on_channel_message(const std::string& peer, std::string_view text) override;
    void on_channel_binary(const std::string& peer, std::string_view bytes) override;
    void on_fingerprints(const std::string& peer, const std::string& local,
                         const std::string& remote) override;
    void on_channel_closed(const std::string& peer) override;
    // "failed" triggers restart_ice(); "disconnected"/"failed"/"closed" show the link as closed.
    void on_connection_state(const std::string& peer, PeerConnectionState state) override;
    void on_rtc_error(const std::string& peer, RtcOperation op, std::string_view message) override;

private:
    struct Link;
    Link* find_link(const std::string& peer);
    // A completion's way back: the link it was started for, if it still exists.
    Link* live_link(const std::string& peer, std::uint64_t serial);
    void open_link(const std::string& peer, const std::string& name, const std::string& session,
                   bool knock = false);
    void send_signal(const std::string& peer, nlohmann::json data);
    void send_signal_to(const std::string& peer, const std::string& to_session, nlohmann::json data);
    void handle_signal(const std::string& from, const nlohmann::json& data);
    bool accepts_inbound() const;
    std::size_t live_links() const;
    void rebalance(double now);
    void shed_links(std::size_t target, double now);
    void forget_dead_links(double now);
    void link_failed(const std::string& peer, double now);
    void recover(const std::string& peer, double now);
    Link* replace_connection(const std::string& peer);
    bool proven(const Link& link) const;
    bool routable(const std::string& peer) const;
    void send_links(const std::string& peer);
    void handle_links(const std::string& peer, Link& link, LinksFrame frame);
    bool take_inbound_token(double now);
    void announce_presence(double now);
    void handle_presence(const std::string& peer, PresenceFrame frame);
    void handle_routed_signal(const std::string& peer, const RoutedSignalFrame& frame);
    std::vector<std::string> proven_links() const;
    GossipRelay::Proven proven_peer() const;
    void verify_next(const std::string& id);
    void flush_gossip(double now);
    void reset_gossip();
    bool accept_envelope(const Link& link, const nlohmann::json& data) const;
    static void note_remote_conn(Link& link, const nlohmann::json& data);
    void close_link(const std::string& peer);
    void close_all_links();
    LinkState state_of(const Link& link) const;
    void handle_open(const std::string& peer, Link& link);
    void send_proof(const std::string& peer, Link& link);
    void check_proof(const std::string& peer, Link& link);
    void proof_succeeded(const std::string& peer, Link& link);
    void refuse_link(const std::string& peer, Link& link, const std::string& why);
    void handle_frame(const std::string& peer, Link& link, std::string_view text);
    void send_hello(const std::string& peer, Link& link);
    void handle_hello(const std::string& peer, Link& link, const HelloFrame& hello);
    void handle_chat(const std::string& peer, Link& link, ChatFrame frame);
    void accept_chat(const std::string& peer, ChatMessage m, unsigned hops);
    void sign_own(const std::string& id);
    void send_live(const ChatMessage& m);
    SendResult compose(std::string text, std::optional<PhotoRef> photo);
    void forget_room();
    PhotoTransfers::Hooks photo_hooks();
    void handle_ack(const std::string& peer, const AckFrame& ack);
    void send_ping(const std::string& peer, Link& link, double now);
    void notify_history();
    void notify_peers();

    RtcTransport& rtc_;
    Crypto& crypto_;
    RoomCallbacks callbacks_;
    RoomClock clock_;
    RandomSource random_;
    RoomParams params_;
    std::string self_;
    std::string name_;
    std::optional<std::string> room_;
    RoomKeys keys_;
    std::uint64_t room_epoch_ = 0;  // changes at every enter/leave: late completions are ignored
    std::string session_;           // ours, from the server's joined
    std::map<std::string, std::string> refused_; // peer -> why; for the rest of this room visit
    std::set<std::string> aside_;   // peers reachable through callbacks.send_signal_aside
    // Peer -> the link its last routed signal came through (a way back), bounded.
    std::map<std::string, std::string> came_via_;
    static constexpr std::size_t max_came_via = 256;
    std::set<std::string> signing_; // own message ids whose signature is being made
    std::uint64_t link_serial_ = 0;
    std::uint64_t connections_created_ = 0;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0); // completions check it
    bool joined_ = false;
    bool awaiting_history_ = false; // see await_history()
    ChatLog log_;
    PhotoTransfers photos_; // after log_ and the callbacks its hooks use
    std::map<std::string, std::unique_ptr<Link>> links_;
    RoomMembers members_;
    Presence presence_;
    RoomStats stats_;
    ConnectionHealth room_health_;
    std::map<std::string, ConnectionHealth> peer_health_;
    static constexpr std::size_t max_health_entries = 256;
    ConnectionHealth& health_of(const std::string& peer);
    GossipRelay relay_{random_, stats_, [this](const std::string& peer, const std::string& frame) {
                           return rtc_.send(peer, frame);
                       }};
    // Copies of a message whose first copy is being verified: if that one fails (a forgery
    // under a real id), the next is checked; if it holds, their senders hold it.
    struct Copy {
        std::string peer;
        ChatMessage message;
        unsigned hops;
    };
    std::map<std::string, std::vector<Copy>> verifying_;
    static constexpr double inbound_interval_ms = 4000.0;
    // Without the server, a connecting link whose peer no neighbour lists any more is given up
    // after this long (its signals have no path), not after the whole connect timeout.
    static constexpr double unroutable_grace_ms = 5000.0;
    // In a big room, an open link whose connection is down this long is given up.
    static constexpr double big_room_outage_ms = 8000.0;
    double inbound_tokens_ = 8.0;    // see take_inbound_token
    double inbound_refill_at_ = 0.0;
    bool links_changed_ = false;     // neighbours get our new list at the next tick
    double links_sent_at_ = -1e18;
    double rebalanced_at_ = -1e18;
    bool was_partial_ = false; // at the last rebalance: the switch from a full mesh sheds links
};

} // namespace peddlenet
