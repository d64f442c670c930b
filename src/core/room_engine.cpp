// room_engine.cpp: see room_engine.hpp.
//
// Index
//  [SECTION] link bookkeeping
//  [SECTION] identity, room lifecycle, history, chat
//  [SECTION] signaling events
//  [SECTION] RTC events
//  [SECTION] data channel frames
#include "core/room_engine.hpp"

#include "core/base64url.hpp"
#include "core/identity.hpp"
#include "core/peer_protocol.hpp"
#include "core/reconciliation.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <array>
#include <ostream>
#include <utility>

namespace peddlenet {

using nlohmann::json;

std::string_view to_string(LinkState v) {
    constexpr std::array<std::string_view, 3> names = {"connecting", "open", "closed"};
    const auto i = static_cast<std::size_t>(v);
    return i < names.size() ? names[i] : std::string_view("unknown");
}

std::ostream& operator<<(std::ostream& os, LinkState v) { return os << to_string(v); }

std::string_view to_string(ProofState v) {
    constexpr std::array<std::string_view, 3> names = {"pending", "ok", "failed"};
    const auto i = static_cast<std::size_t>(v);
    return i < names.size() ? names[i] : std::string_view("unknown");
}

std::ostream& operator<<(std::ostream& os, ProofState v) { return os << to_string(v); }

std::string_view to_string(DeliveryState v) {
    constexpr std::array<std::string_view, 4> names = {"received", "queued", "sent", "delivered"};
    const auto i = static_cast<std::size_t>(v);
    return i < names.size() ? names[i] : std::string_view("unknown");
}

//-----------------------------------------------------------------------------------------------
// [SECTION] link bookkeeping
//-----------------------------------------------------------------------------------------------

struct RoomEngine::Link {
    Link(RtcTransport& rtc, const std::string& peer, bool polite,
         PerfectNegotiation::SignalSink sink, std::string display_name, std::string peer_session,
         std::uint64_t link_serial)
        : name(std::move(display_name)), negotiation(rtc, peer, polite, std::move(sink)),
          remote_session(std::move(peer_session)), serial(link_serial) {}

    std::string name;
    PerfectNegotiation negotiation;
    std::string remote_session; // the server's name for the peer's connection (signal envelope)
    std::uint64_t serial;       // tells this link from a later one to the same peer
    std::uint64_t remote_conn = 0; // the peer's serial for its side of this link; 0: unknown
    bool refused = false;       // proof failed: no connection, nothing accepted
    bool channel_open = false;
    bool channel_closed = false; // it was open once and closed since
    PeerConnectionState connection = PeerConnectionState::new_;
    // Link proof, reset at every channel opening.
    ProofState proof = ProofState::pending;
    double opened_at = 0.0;
    std::optional<std::string> local_fp, remote_fp; // normalized, once the transport told us
    std::optional<AuthFrame> their_auth;
    bool proof_sent = false;
    bool checking = false;
    std::vector<std::string> unproven; // frames that arrived before the proof was checked
    // Reconciliation, reset at every channel opening.
    LinkReconciliation sync;
    // Round-trip time.
    std::optional<double> rtt_ms;
    std::uint64_t ping_n = 0;
    std::optional<double> ping_sent_at;
    double next_ping_at = 0.0;
    // Big rooms.
    double created_at = 0.0;
    std::vector<Neighbor> neighbors; // their links, from their links frame
    // Connection health: when this connection was made, and whether its attempt has counted.
    double attempt_started_at = 0.0;
    bool attempt_counted = false;
    // A link that was up and went down: ICE restarts, then a fresh connection (small rooms).
    LinkRecovery recovery;
    bool announce_fresh = false; // the next signal tells the peer to replace its connection too
    double fresh_at = -1e18;     // when the peer's announcement last replaced this link
};

RoomEngine::Link* RoomEngine::find_link(const std::string& peer) {
    const auto it = links_.find(peer);
    return it == links_.end() ? nullptr : it->second.get();
}

RoomEngine::Link* RoomEngine::live_link(const std::string& peer, std::uint64_t serial) {
    Link* link = find_link(peer);
    return link && link->serial == serial && !link->refused ? link : nullptr;
}

void RoomEngine::open_link(const std::string& peer, const std::string& name,
                           const std::string& session, bool knock) {
    close_link(peer);
    if (links_.size() >= max_room_links) {
        if (callbacks_.error) callbacks_.error(peer, "room is over the link limit; peer ignored");
        return;
    }
    if (connections_created_ >= params_.connection_budget && !refused_.count(peer)) {
        if (callbacks_.error) callbacks_.error(peer, "connection budget spent; peer ignored");
        return;
    }
    Checked checked_name = check_chat_name(name);
    auto sink = [this, peer](const json& data) { send_signal(peer, data); };
    auto link = std::make_unique<Link>(rtc_, peer, is_polite(self_, peer), std::move(sink),
                                       checked_name.ok() ? checked_name.value : peer, session,
                                       ++link_serial_);
    const auto refused = refused_.find(peer);
    if (refused != refused_.end()) {
        // Refused earlier in this visit: shown, never connected again (no retry loop).
        link->refused = true;
        link->proof = ProofState::failed;
        links_.emplace(peer, std::move(link));
        return;
    }
    link->created_at = clock_.monotonic_ms();
    link->attempt_started_at = link->created_at;
    links_.emplace(peer, std::move(link));
    ++connections_created_;
    rtc_.create_connection(peer, !is_polite(self_, peer));
    // Only the impolite side opens the channel: a polite initiator asks the peer to open it.
    if (knock) send_signal(peer, json{{"knock", 1}, {"name", name_}});
}

void RoomEngine::send_signal(const std::string& peer, json data) {
    Link* link = find_link(peer);
    if (!link || link->refused) return;
    if (link->announce_fresh) {
        link->announce_fresh = false;
        data["fresh"] = 1;
    }
    data["conn"] = link->serial;
    if (link->remote_conn != 0) data["to_conn"] = link->remote_conn;
    send_signal_to(peer, link->remote_session, std::move(data));
}

// The server is the path while we are joined. Without it, signals travel over data channels:
// on the link itself if its channel is still open (an ICE restart), else through a neighbour
// that lists the peer among its links. Stale signals of a replaced connection are harmless on
// either path: the envelope names both sessions.
void RoomEngine::send_signal_to(const std::string& peer, const std::string& to_session, json data) {
    data["session"] = session_;
    data["to_session"] = to_session;
    // A peer paired outside the server is not on it: its path is the pairing's connection.
    if (aside_.count(peer) && callbacks_.send_signal_aside && callbacks_.send_signal_aside(peer, data)) return;
    if (joined_) {
        if (callbacks_.send_signal) callbacks_.send_signal(peer, data);
        return;
    }
    if (session_.empty()) return; // never joined: nobody knows our session yet
    const std::string frame = build_routed_signal_frame(self_, peer, data);
    const Link* direct = find_link(peer);
    if (direct && proven(*direct) && rtc_.send(peer, frame)) {
        ++stats_.signals_routed;
        return;
    }
    for (const auto& [id, link] : links_) {
        if (!proven(*link)) continue;
        for (const Neighbor& n : link->neighbors)
            if (n.peer == peer && rtc_.send(id, frame)) {
                ++stats_.signals_routed;
                return;
            }
    }
    // Back the way its last signal came: the neighbour that passed on a newcomer's offer may not
    // have listed it to us yet (its links frame goes out at its next tick).
    if (const auto via = came_via_.find(peer); via != came_via_.end()) {
        const Link* link = find_link(via->second);
        if (link && proven(*link) && rtc_.send(via->second, frame)) {
            ++stats_.signals_routed;
            return;
        }
    }
    ++stats_.signals_unroutable;
}

bool RoomEngine::routable(const std::string& peer) const {
    if (aside_.count(peer)) return true;
    if (const auto via = came_via_.find(peer); via != came_via_.end()) {
        const auto link = links_.find(via->second);
        if (link != links_.end() && proven(*link->second)) return true;
    }
    for (const auto& [id, link] : links_) {
        if (!proven(*link)) continue;
        for (const Neighbor& n : link->neighbors)
            if (n.peer == peer) return true;
    }
    return false;
}

bool RoomEngine::proven(const Link& link) const {
    return link.channel_open && link.proof == ProofState::ok && !link.refused;
}

// Links that count toward our degree: not refused, not given up.
std::size_t RoomEngine::live_links() const {
    std::size_t n = 0;
    for (const auto& entry : links_) n += !entry.second->refused;
    return n;
}

// Links others ask for are rationed (a burst, then one per inbound_interval_ms): every one costs
// a connection of the page's budget, and ids are free to invent for whoever relays the request.
bool RoomEngine::take_inbound_token(double now) {
    const double burst = 8.0;
    inbound_tokens_ = std::min(burst, inbound_tokens_ + (now - inbound_refill_at_) / inbound_interval_ms);
    inbound_refill_at_ = now;
    if (inbound_tokens_ < 1.0) return false;
    inbound_tokens_ -= 1.0;
    return true;
}

bool RoomEngine::accepts_inbound() const {
    if (links_.size() >= max_room_links) return false;
    return !partial_mesh() || live_links() < params_.degree_high;
}

// Checks the envelope of a signal for `link`; false when it belongs to another connection.
bool RoomEngine::accept_envelope(const Link& link, const json& data) const {
    const auto session = data.find("session");
    const auto to = data.find("to_session");
    if (session == data.end() || to == data.end() || !session->is_string() || !to->is_string() ||
        *session != link.remote_session || *to != session_)
        return false;
    // Within one session: a signal of the peer's earlier connection, or meant for our earlier one.
    const auto conn = data.find("conn");
    const auto to_conn = data.find("to_conn");
    if (conn != data.end() && (!conn->is_number_unsigned() || conn->get<std::uint64_t>() < link.remote_conn))
        return false;
    if (to_conn != data.end() && (!to_conn->is_number_unsigned() || to_conn->get<std::uint64_t>() != link.serial))
        return false;
    return true;
}

// The peer's connection serial from an accepted signal (newer ones replace older ones).
void RoomEngine::note_remote_conn(Link& link, const json& data) {
    const auto conn = data.find("conn");
    if (conn != data.end() && conn->is_number_unsigned())
        link.remote_conn = std::max(link.remote_conn, conn->get<std::uint64_t>());
}

void RoomEngine::close_link(const std::string& peer) {
    const auto it = links_.find(peer);
    if (it == links_.end()) return;
    rtc_.close_connection(peer);
    links_.erase(it);
    relay_.link_gone(peer);
    photos_.link_gone(peer);
    links_changed_ = true;
}

void RoomEngine::close_all_links() {
    for (const auto& entry : links_) rtc_.close_connection(entry.first);
    links_.clear();
    relay_.clear();
    links_changed_ = true;
}

LinkState RoomEngine::state_of(const Link& link) const {
    const bool broken = link.connection == PeerConnectionState::disconnected ||
                        link.connection == PeerConnectionState::failed ||
                        link.connection == PeerConnectionState::closed;
    if (link.refused || link.proof == ProofState::failed) return LinkState::closed;
    if (link.channel_open && link.proof == ProofState::ok)
        return broken ? LinkState::closed : LinkState::open;
    if (link.channel_open) return broken ? LinkState::closed : LinkState::connecting;
    if (link.channel_closed || link.connection == PeerConnectionState::failed ||
        link.connection == PeerConnectionState::closed)
        return LinkState::closed;
    return LinkState::connecting;
}

std::vector<LinkInfo> RoomEngine::peers() const {
    std::vector<LinkInfo> out;
    out.reserve(links_.size());
    for (const auto& [id, link] : links_) out.push_back(*peer(id));
    return out;
}

std::optional<LinkInfo> RoomEngine::peer(const std::string& id) const {
    const auto it = links_.find(id);
    if (it == links_.end()) return std::nullopt;
    const Link& link = *it->second;
    const auto refused = refused_.find(id);
    return LinkInfo{id, link.name, state_of(link), link.rtt_ms, link.proof,
                    refused == refused_.end() ? std::string() : refused->second};
}

const PerfectNegotiation* RoomEngine::negotiation(const std::string& peer) const {
    const auto it = links_.find(peer);
    return it == links_.end() ? nullptr : &it->second->negotiation;
}

void RoomEngine::notify_history() {
    if (callbacks_.history_changed) callbacks_.history_changed();
}

void RoomEngine::notify_peers() {
    if (callbacks_.peers_changed) callbacks_.peers_changed();
}

//-----------------------------------------------------------------------------------------------
// [SECTION] identity, room lifecycle, history, chat
//-----------------------------------------------------------------------------------------------

RoomEngine::RoomEngine(RtcTransport& rtc, Crypto& crypto, RoomCallbacks callbacks,
                       RoomClock clock, RandomSource random, std::string self_id,
                       std::string name, RoomParams params)
    : rtc_(rtc), crypto_(crypto), callbacks_(std::move(callbacks)), clock_(std::move(clock)),
      random_(std::move(random)), params_(params), self_(std::move(self_id)),
      log_(params.history_capacity), photos_(crypto, photo_hooks(), params.photos) {
    Checked checked = check_chat_name(name);
    name_ = checked.ok() ? checked.value : "Anonymous";
    params_.full_mesh_max = std::min(params_.full_mesh_max, max_room_links + 1);
}

PhotoTransfers::Hooks RoomEngine::photo_hooks() {
    PhotoTransfers::Hooks hooks;
    hooks.send_text = [this](const std::string& peer, const std::string& frame) { return rtc_.send(peer, frame); };
    hooks.send_binary = [this](const std::string& peer, std::string_view bytes) { return rtc_.send_binary(peer, bytes); };
    hooks.buffered = [this](const std::string& peer) { return rtc_.buffered_amount(peer); };
    hooks.load = [this](const std::string& hash) {
        if (callbacks_.photo_load) callbacks_.photo_load(hash);
        else photos_.absent(hash);
    };
    hooks.fetched = [this](const std::string& hash, const std::shared_ptr<const std::string>& bytes) {
        if (callbacks_.photo_fetched) callbacks_.photo_fetched(hash, bytes);
        notify_history();
    };
    hooks.refused = [this](const std::string& peer, const std::string& why) {
        ++stats_.frames_dropped;
        if (callbacks_.error) callbacks_.error(peer, why);
    };
    return hooks;
}

RoomEngine::~RoomEngine() {
    for (const auto& entry : links_) rtc_.close_connection(entry.first);
}

i18n::Message RoomEngine::set_name(std::string_view name) {
    Checked checked = check_chat_name(name);
    if (!checked.ok()) return checked.error;
    name_ = std::move(checked.value);
    return {};
}

bool RoomEngine::enter_room(RoomKeys keys) {
    if (!is_valid_id(keys.id) || keys.proof_key.size() != sha256_bytes) return false;
    forget_room();
    room_ = keys.id;
    keys_ = std::move(keys);
    notify_peers();
    notify_history();
    return true;
}

void RoomEngine::leave_room() {
    forget_room();
    notify_peers();
    notify_history();
}

// Everything of the room we were in: its links, log, photos in flight and per-visit state. Late
// completions of that visit see a new epoch and are ignored.
void RoomEngine::forget_room() {
    close_all_links();
    room_.reset();
    keys_ = {};
    ++room_epoch_;
    refused_.clear();
    aside_.clear();
    came_via_.clear();
    signing_.clear();
    joined_ = false;
    session_.clear();
    awaiting_history_ = false;
    log_.clear();
    photos_.clear();
    reset_gossip();
}

void RoomEngine::reset_gossip() {
    members_.clear();
    presence_.clear();
    relay_.clear();
    verifying_.clear();
}

void RoomEngine::await_history() {
    if (room_) awaiting_history_ = true;
}

ChatLog::MergeResult RoomEngine::restore_history(const json& stored) {
    ChatLog::MergeResult r;
    if (!room_) {
        r.error = "not in a room";
        return r;
    }
    if (!stored.is_null()) {
        r = log_.merge_storage_json(stored);
        if (r.error.empty()) notify_history();
        // Own messages backed up before their signature was ready (a reload right after send).
        std::vector<std::string> unsigned_own;
        for (const ChatMessage& m : log_.messages())
            if (m.from == self_ && m.sig.empty()) unsigned_own.push_back(m.id);
        for (const std::string& id : unsigned_own) sign_own(id);
        for (const ChatMessage& m : log_.messages())
            if (m.photo) photos_.want(*m.photo, {});
    }
    if (awaiting_history_) {
        // Unreadable history must not hold reconciliation back forever: go on either way.
        awaiting_history_ = false;
        for (auto& [peer, link] : links_) {
            if (!link->channel_open || link->proof != ProofState::ok) continue;
            if (link->sync.hello_deferred) send_hello(peer, *link);
            if (link->sync.held_hello) {
                const HelloFrame hello = std::move(*link->sync.held_hello);
                link->sync.held_hello.reset();
                handle_hello(peer, *link, hello);
            }
        }
    }
    return r;
}

Delivery RoomEngine::delivery(const ChatMessage& m) const {
    if (m.from != self_) return {};
    if (partial_mesh()) {
        const std::size_t others = members_.room_size() - 1;
        const std::size_t seen = std::min(others, m.acked_by.size() + m.receipts);
        if (seen > 0) return {DeliveryState::delivered, seen, others, true};
        return {m.sent ? DeliveryState::sent : DeliveryState::queued, 0, others, true};
    }
    std::size_t members = 0;
    for (const auto& entry : links_) members += !entry.second->refused;
    // An acked peer that left, or whose new link was refused, still counts (N never exceeds M).
    for (const std::string& peer : m.acked_by) {
        const auto it = links_.find(peer);
        if (it == links_.end() || it->second->refused) ++members;
    }
    if (!m.acked_by.empty()) return {DeliveryState::delivered, m.acked_by.size(), members};
    return {m.sent ? DeliveryState::sent : DeliveryState::queued, 0, members};
}

SendResult RoomEngine::send(std::string_view text) {
    if (!room_) return {{}, {"messages.not_in_room", {}}};
    Checked checked = check_chat_text(text);
    if (!checked.ok()) return {{}, checked.error};
    return compose(std::move(checked.value), std::nullopt);
}

SendResult RoomEngine::send_photo(const PhotoRef& ref, std::shared_ptr<const std::string> bytes,
                                  std::string_view caption) {
    if (!room_) return {{}, {"messages.not_in_room", {}}};
    Checked checked = check_chat_text(caption);
    if (!checked.ok() && !caption.empty()) return {{}, checked.error};
    if (!bytes || bytes->size() != ref.bytes || !is_valid_photo_ref(ref))
        return {{}, {"photo.unreadable", {}}};
    photos_.provide(ref.hash, std::move(bytes));
    return compose(std::move(checked.value), ref);
}

// A new own message: stored at once (queued), then signed and sent.
SendResult RoomEngine::compose(std::string text, std::optional<PhotoRef> photo) {
    ChatMessage m;
    do m.id = make_message_id(random_);
    while (log_.contains(m.id));
    m.from = self_;
    m.name = name_;
    m.text = std::move(text);
    m.photo = std::move(photo);
    // Receivers refuse timestamps outside 0..2^53-1, so a broken clock must not make us mute.
    m.ts_ms = std::clamp<std::int64_t>(clock_.wall_ms(), 0,
                                       static_cast<std::int64_t>(max_json_integer));
    m.lamport = log_.next_lamport();

    const std::string id = m.id;
    log_.add(std::move(m));
    notify_history();
    sign_own(id);
    return {id, {}};
}

// Signs an own message of the log; once signed it goes out on every proven link.
void RoomEngine::sign_own(const std::string& id) {
    const ChatMessage* m = log_.find(id);
    if (!room_ || !m || m->from != self_ || !m->sig.empty() || !signing_.insert(id).second) return;
    const std::weak_ptr<int> alive = alive_;
    const std::uint64_t epoch = room_epoch_;
    crypto_.sign(message_signing_payload(*room_, *m),
                 [this, alive, epoch, id](std::optional<std::string> sig) {
                     if (alive.expired() || epoch != room_epoch_) return;
                     signing_.erase(id);
                     if (!sig || sig->size() != ed25519_signature_bytes) {
                         ++stats_.errors_reported;
                         if (callbacks_.error) callbacks_.error(self_, "could not sign a message");
                         return;
                     }
                     if (!log_.set_signature(id, base64url_encode(*sig))) return;
                     if (const ChatMessage* signed_m = log_.find(id)) send_live(*signed_m);
                     notify_history();
                 });
}

void RoomEngine::send_live(const ChatMessage& m) {
    relay_.sent_own(m.id, clock_.monotonic_ms());
    const std::string frame = build_chat_frame(m, false);
    bool sent = false;
    for (const auto& [peer, link] : links_)
        if (proven(*link) && rtc_.send(peer, frame)) sent = true;
    if (sent) log_.mark_sent(m.id);
}

void RoomEngine::tick() {
    const double now = clock_.monotonic_ms();
    bool changed = false;
    std::vector<std::string> overdue;
    for (auto& [peer, link] : links_) {
        if (!link->channel_open) continue;
        if (link->proof == ProofState::pending) {
            if (now - link->opened_at > params_.proof_timeout_ms) overdue.push_back(peer);
            continue;
        }
        if (link->proof != ProofState::ok) continue;
        if (link->ping_sent_at && now - *link->ping_sent_at > params_.pong_timeout_ms) {
            link->ping_sent_at.reset();
            changed |= link->rtt_ms.has_value();
            link->rtt_ms.reset();
        }
        if (!link->ping_sent_at && now >= link->next_ping_at) send_ping(peer, *link, now);
    }
    for (const std::string& peer : overdue)
        if (Link* link = find_link(peer)) refuse_link(peer, *link, "could not be verified");
    if (changed) notify_peers();
    if (!room_) return;
    std::vector<std::string> down;
    for (const auto& [peer, link] : links_)
        if (link->recovery.recovering(now)) down.push_back(peer);
    for (const std::string& peer : down) recover(peer, now);
    forget_dead_links(now);
    rebalance(now);
    flush_gossip(now);
    photos_.tick(now, proven_links());
    presence_.expire(now, clock_.wall_ms());
    if (!joined_ && !session_.empty()) announce_presence(now);
}

double RoomEngine::ms_until_next_tick() const {
    if (!room_) return params_.ping_interval_ms;
    if (photos_.uploading()) return 20.0; // chunks leave as the send buffers drain
    if (relay_.pending() || links_changed_) return 100.0;
    const double now = clock_.monotonic_ms();
    for (const auto& entry : links_)
        if (entry.second->recovery.recovering(now)) return 250.0;
    return partial_mesh() ? 1000.0 : params_.ping_interval_ms;
}

void RoomEngine::send_ping(const std::string& peer, Link& link, double now) {
    ++link.ping_n;
    link.next_ping_at = now + params_.ping_interval_ms;
    if (rtc_.send(peer, build_ping_frame(link.ping_n))) link.ping_sent_at = now;
}

//-----------------------------------------------------------------------------------------------
// [SECTION] signaling events
//-----------------------------------------------------------------------------------------------

void RoomEngine::on_joined(const std::string& room, const std::string& self,
                           const std::string& session, const std::vector<RoomMember>& peers,
                           std::size_t room_size) {
    // A late answer to a join we have since left (or replaced by another room): nothing to do.
    if (!room_ || room != *room_ || self != self_ || !is_valid_id(session)) return;
    // Whoever we had links with has just been told we (re)joined and starts fresh: so do we.
    close_all_links();
    joined_ = true;
    session_ = session;
    members_.clear();
    std::vector<const RoomMember*> listed;
    for (const RoomMember& member : peers)
        if (is_peer_key_id(member.peer) && member.peer != self_ && is_valid_id(member.session)) {
            members_.add_from_server(member.peer, member.name, member.session);
            listed.push_back(&member);
        }
    members_.set_server_size(std::max(room_size, listed.size() + 1));
    if (!partial_mesh()) {
        for (const RoomMember* member : listed)
            open_link(member->peer, member->name, member->session);
    } else {
        // A bounded set of partners, chosen at random from the server's random sample.
        const double now = clock_.monotonic_ms();
        for (const std::string& peer : members_.pick(params_.degree, now, random_, true,
                                                      [](const std::string&) { return true; })) {
            const RoomMembers::Member* m = members_.find(peer);
            open_link(peer, m->name, m->session, true);
        }
        rebalanced_at_ = now;
    }
    notify_peers();
}

void RoomEngine::on_peer_joined(const std::string& peer, const std::string& name,
                                const std::string& session) {
    if (!room_ || !is_peer_key_id(peer) || peer == self_ || !is_valid_id(session)) return;
    const bool known = members_.find(peer) && members_.find(peer)->from_server;
    members_.add_from_server(peer, name, session);
    if (!known) members_.server_size_changed(+1);
    // In a big room the newcomer chooses its partners; we only answer if it knocks.
    if (partial_mesh() && !find_link(peer)) return;
    open_link(peer, name, session); // replaces a link left over from before
    notify_peers();
}

void RoomEngine::on_peer_rejoined(const std::string& peer, const std::string& name,
                                  const std::string& session) {
    if (!room_ || !is_peer_key_id(peer) || peer == self_ || !is_valid_id(session)) return;
    const bool known = members_.find(peer) && members_.find(peer)->from_server;
    members_.add_from_server(peer, name, session);
    if (!known) members_.server_size_changed(+1);
    // Its old connection is dead. A partner of ours gets a fresh link (both sides knock; the
    // impolite one opens the channel); in a big room nobody else links to it unasked.
    if (partial_mesh() && !find_link(peer)) return;
    open_link(peer, name, session, partial_mesh());
    notify_peers();
}

void RoomEngine::on_peer_left(const std::string& peer) {
    if (members_.find(peer) && members_.find(peer)->from_server) members_.server_size_changed(-1);
    members_.remove(peer);
    if (!find_link(peer)) return;
    close_link(peer);
    notify_peers();
}

void RoomEngine::on_signal(const std::string& from, const json& data) { handle_signal(from, data); }

// A signal from the server or routed over the mesh. One from a peer we have no link with may
// open one: a knock (it wants a link), or an offer (it opened the channel). We accept while we
// have room for it, and say "busy" otherwise so that it tries someone else at once.
void RoomEngine::handle_signal(const std::string& from, const json& data) {
    if (!data.is_object() || !room_ || from == self_ || !is_peer_key_id(from)) {
        ++stats_.signals_dropped;
        return;
    }
    const bool knock = data.contains("knock");
    const bool busy = data.contains("busy");
    Link* link = find_link(from);
    if (!link) {
        const auto session = data.find("session");
        const auto to = data.find("to_session");
        const auto description = data.find("description");
        const bool offer = description != data.end() && description->is_object() &&
                           description->value("type", json()) == "offer";
        if (refused_.count(from) || busy || !(knock || offer) || session == data.end() ||
            !session->is_string() || !is_valid_id(session->get_ref<const std::string&>())) {
            ++stats_.signals_dropped;
            return;
        }
        if (to == data.end() || !to->is_string() || *to != session_) {
            ++stats_.signals_stale;
            return;
        }
        const std::string remote_session = session->get<std::string>();
        if (!accepts_inbound() || !take_inbound_token(clock_.monotonic_ms())) {
            ++stats_.links_refused_busy;
            send_signal_to(from, remote_session, json{{"busy", 1}});
            return;
        }
        std::string name = from;
        if (const RoomMembers::Member* m = members_.find(from); m && !m->name.empty()) name = m->name;
        else if (const auto n = data.find("name"); n != data.end() && n->is_string()) name = *n;
        if (!members_.find(from)) members_.add_from_neighbor(from, name, remote_session, from);
        open_link(from, name, remote_session);
        link = find_link(from);
        if (!link) return;
        notify_peers();
    }
    if (link->refused) {
        ++stats_.signals_dropped;
        return;
    }
    if (!accept_envelope(*link, data)) {
        ++stats_.signals_stale;
        return;
    }
    if (data.contains("fresh") && is_polite(self_, from) && !partial_mesh()) {
        // The impolite side replaced its connection: ours talks to a closed one. Only for a
        // newer connection of theirs, and at most once a second, so that a flood of them cannot
        // spend the connection budget.
        const double now = clock_.monotonic_ms();
        const auto conn = data.find("conn");
        if (conn == data.end() || !conn->is_number_unsigned() || *conn <= link->remote_conn ||
            now - link->fresh_at < 1000.0) {
            ++stats_.signals_dropped;
            return;
        }
        link = replace_connection(from);
        if (!link) return;
        link->fresh_at = now;
    }
    note_remote_conn(*link, data);
    if (knock) return; // we have a link already; its negotiation is under way
    if (busy) {
        close_link(from);
        members_.retry_after(from, clock_.monotonic_ms() + params_.connect_timeout_ms * 3);
        notify_peers();
        return;
    }
    switch (link->negotiation.on_signal(data)) {
    case PerfectNegotiation::SignalResult::applied: break;
    case PerfectNegotiation::SignalResult::ignored: ++stats_.signals_ignored; break;
    case PerfectNegotiation::SignalResult::malformed: ++stats_.signals_dropped; break;
    }
}

void RoomEngine::introduce(const std::string& peer, const std::string& name,
                           const std::string& session, const std::string& own_session) {
    if (!room_ || !is_peer_key_id(peer) || peer == self_ || !is_valid_id(session)) return;
    if (session_.empty() && is_valid_id(own_session)) session_ = own_session;
    if (session_.empty()) return;
    aside_.insert(peer);
    const Checked checked = check_chat_name(name);
    members_.add_from_neighbor(peer, checked.ok() ? checked.value : peer, session, peer);
    if (const Link* link = find_link(peer); link && link->remote_session == session && state_of(*link) != LinkState::closed)
        return; // already linked (or linking) with that page
    open_link(peer, checked.ok() ? checked.value : peer, session);
    notify_peers();
}

void RoomEngine::aside_gone(const std::string& peer) { aside_.erase(peer); }

void RoomEngine::on_signaling_lost() {
    joined_ = false;
    presence_.announce_soon(); // from now on the mesh says who is here
}

//-----------------------------------------------------------------------------------------------
// [SECTION] RTC events
//-----------------------------------------------------------------------------------------------

void RoomEngine::on_negotiation_needed(const std::string& peer) {
    if (Link* link = find_link(peer)) link->negotiation.on_negotiation_needed();
}

void RoomEngine::on_local_description(const std::string& peer, const SessionDescription& d) {
    if (Link* link = find_link(peer)) link->negotiation.on_local_description(d);
}

void RoomEngine::on_remote_description_set(const std::string& peer) {
    if (Link* link = find_link(peer)) link->negotiation.on_remote_description_set();
}

void RoomEngine::on_ice_candidate(const std::string& peer, const json& candidate) {
    Link* link = find_link(peer);
    if (link && candidate.is_object()) link->negotiation.on_local_candidate(candidate);
}

void RoomEngine::on_channel_open(const std::string& peer) {
    if (Link* link = find_link(peer)) handle_open(peer, *link);
}

void RoomEngine::on_channel_closed(const std::string& peer) {
    Link* link = find_link(peer);
    if (!link) return;
    link->channel_open = false;
    link->channel_closed = true;
    if (link->proof == ProofState::ok) link->recovery.channel_closed(clock_.monotonic_ms());
    if (link->proof == ProofState::pending) {
        link->their_auth.reset();
        link->unproven.clear();
        link->proof_sent = false;
    }
    link->sync.channel_closed();
    link->rtt_ms.reset();
    link->ping_sent_at.reset();
    link->neighbors.clear();
    relay_.link_gone(peer);
    photos_.link_gone(peer);
    links_changed_ = true;
    notify_peers();
}

void RoomEngine::on_connection_state(const std::string& peer, PeerConnectionState state) {
    Link* link = find_link(peer);
    if (!link) return;
    link->connection = state;
    const double now = clock_.monotonic_ms();
    link->recovery.connection_changed(state, now);
    // Both sides may restart at once; perfect negotiation settles the resulting glare.
    if (link->recovery.was_up()) recover(peer, now);
    else if (state == PeerConnectionState::failed) rtc_.restart_ice(peer);
    notify_peers();
}

void RoomEngine::on_rtc_error(const std::string& peer, RtcOperation op, std::string_view message) {
    Link* link = find_link(peer);
    if (!link) return;
    if (!link->negotiation.on_error(op)) {
        ++stats_.errors_swallowed;
        return;
    }
    ++stats_.errors_reported;
    if (callbacks_.error)
        callbacks_.error(peer, std::string(to_string(op)) + ": " + repair_utf8(message));
}

//-----------------------------------------------------------------------------------------------
// [SECTION] data channel frames
//-----------------------------------------------------------------------------------------------

void RoomEngine::handle_open(const std::string& peer, Link& link) {
    if (!link.attempt_counted) {
        link.attempt_counted = true;
        const double connect_ms = clock_.monotonic_ms() - link.attempt_started_at;
        health_of(peer).opened(connect_ms);
        room_health_.opened(connect_ms);
    }
    link.channel_open = true;
    link.channel_closed = false;
    link.sync.channel_opened();
    link.ping_sent_at.reset();
    if (link.proof == ProofState::ok) {
        proof_succeeded(peer, link); // a new channel on a connection already proven
        return;
    }
    link.opened_at = clock_.monotonic_ms();
    rtc_.get_fingerprints(peer);
    notify_peers();
}

void RoomEngine::on_fingerprints(const std::string& peer, const std::string& local,
                                 const std::string& remote) {
    Link* link = find_link(peer);
    if (!link || link->refused || link->proof != ProofState::pending || link->local_fp) return;
    link->local_fp = normalize_fingerprint(local);
    link->remote_fp = normalize_fingerprint(remote);
    if (!link->local_fp || !link->remote_fp) {
        refuse_link(peer, *link, "could not be verified");
        return;
    }
    send_proof(peer, *link);
    check_proof(peer, *link);
}

// Our auth frame: the MAC and the signature over what this connection looks like from here.
void RoomEngine::send_proof(const std::string& peer, Link& link) {
    if (link.proof_sent || !room_) return;
    link.proof_sent = true;
    const std::string payload =
        link_proof_payload(*room_, self_, peer, *link.local_fp, *link.remote_fp);
    struct Pending {
        std::optional<std::string> mac, sig;
        int left = 2;
    };
    auto pending = std::make_shared<Pending>();
    const std::weak_ptr<int> alive = alive_;
    const std::uint64_t serial = link.serial;
    auto finish = [this, alive, peer, serial, pending] {
        if (--pending->left > 0 || alive.expired()) return;
        Link* l = live_link(peer, serial);
        if (!l) return;
        if (!pending->mac || !pending->sig) {
            refuse_link(peer, *l, "could not be verified");
            return;
        }
        rtc_.send(peer, build_auth_frame(AuthFrame{*pending->mac, *pending->sig}));
    };
    crypto_.hmac_sha256(keys_.proof_key, payload, [pending, finish](std::optional<std::string> mac) {
        pending->mac = std::move(mac);
        finish();
    });
    crypto_.sign(payload, [pending, finish](std::optional<std::string> sig) {
        pending->sig = std::move(sig);
        finish();
    });
}

// Checks the peer's auth frame once both it and the fingerprints are here.
void RoomEngine::check_proof(const std::string& peer, Link& link) {
    if (!link.their_auth || !link.local_fp || link.checking || !room_) return;
    link.checking = true;
    const std::string payload =
        link_proof_payload(*room_, peer, self_, *link.remote_fp, *link.local_fp);
    struct Pending {
        bool mac = false, sig = false;
        int left = 2;
    };
    auto pending = std::make_shared<Pending>();
    const std::weak_ptr<int> alive = alive_;
    const std::uint64_t serial = link.serial;
    auto finish = [this, alive, peer, serial, pending] {
        if (--pending->left > 0 || alive.expired()) return;
        Link* l = live_link(peer, serial);
        if (!l || l->proof != ProofState::pending) return;
        if (pending->mac && pending->sig) {
            proof_succeeded(peer, *l);
        } else {
            // A right identity without the room key is a stranger the server let in.
            refuse_link(peer, *l, pending->sig ? "not in this room" : "could not be verified");
        }
    };
    crypto_.verify_hmac_sha256(keys_.proof_key, payload, link.their_auth->mac,
                               [pending, finish](bool ok) {
                                   pending->mac = ok;
                                   finish();
                               });
    crypto_.verify(*peer_public_key(peer), payload, link.their_auth->sig,
                   [pending, finish](bool ok) {
                       pending->sig = ok;
                       finish();
                   });
}

void RoomEngine::proof_succeeded(const std::string& peer, Link& link) {
    link.proof = ProofState::ok;
    link.recovery.proven();
    photos_.link_open(peer);
    if (awaiting_history_) {
        link.sync.hello_deferred = true;
    } else {
        send_hello(peer, link);
    }
    send_ping(peer, link, clock_.monotonic_ms());
    send_links(peer);
    links_changed_ = true;
    // What the peer sent once it had checked our proof, before we had checked theirs.
    const std::vector<std::string> held = std::move(link.unproven);
    link.unproven.clear();
    const std::uint64_t serial = link.serial;
    for (const std::string& text : held) {
        Link* l = live_link(peer, serial);
        if (!l) break;
        handle_frame(peer, *l, text);
    }
    notify_peers();
}

void RoomEngine::refuse_link(const std::string& peer, Link& link, const std::string& why) {
    ++stats_.proofs_failed;
    refused_[peer] = why;
    link.refused = true;
    link.proof = ProofState::failed;
    link.channel_open = false;
    link.unproven.clear();
    link.their_auth.reset();
    rtc_.close_connection(peer);
    if (callbacks_.error) callbacks_.error(peer, "link refused: " + why);
    notify_peers();
}

void RoomEngine::send_hello(const std::string& peer, Link& link) {
    link.sync.hello_deferred = false;
    rtc_.send(peer, build_hello_frame(hello_ids(log_)));
}

void RoomEngine::on_channel_message(const std::string& peer, std::string_view text) {
    Link* link = find_link(peer);
    if (!link || link->refused) return;
    // A message proves the channel is open, whatever the order the binding reported things in.
    if (!link->channel_open) handle_open(peer, *link);
    if (link->refused) return;
    if (link->proof == ProofState::ok) {
        handle_frame(peer, *link, text);
        return;
    }
    // Unproven: only the first auth frame is read; the rest waits for the proof (bounded).
    if (!link->their_auth && text.size() <= max_peer_frame_bytes) {
        std::optional<PeerFrame> frame = parse_peer_frame(text);
        if (frame && std::holds_alternative<AuthFrame>(*frame)) {
            link->their_auth = std::get<AuthFrame>(std::move(*frame));
            check_proof(peer, *link);
            return;
        }
    }
    if (link->unproven.size() >= max_unproven_frames) {
        ++stats_.unproven_dropped;
        return;
    }
    link->unproven.emplace_back(text);
}

// Binary messages are photo chunks, read only from a proven link.
void RoomEngine::on_channel_binary(const std::string& peer, std::string_view bytes) {
    Link* link = find_link(peer);
    if (!link || link->refused || link->proof != ProofState::ok) {
        ++stats_.frames_dropped;
        return;
    }
    const std::optional<PhotoChunk> chunk = parse_photo_chunk(bytes);
    if (!chunk) {
        ++stats_.frames_dropped;
        return;
    }
    const std::optional<double> before = photos_.receiving(chunk->hash);
    photos_.on_chunk(peer, *chunk);
    // Progress shows in whole percents: redraw when one passes.
    const std::optional<double> after = photos_.receiving(chunk->hash);
    if (!before || !after || static_cast<int>(*before * 100) != static_cast<int>(*after * 100)) notify_history();
}

void RoomEngine::handle_frame(const std::string& peer, Link& link, std::string_view text) {
    std::optional<PeerFrame> frame = parse_peer_frame(text);
    if (!frame) {
        ++stats_.frames_dropped;
        return;
    }
    if (std::holds_alternative<AuthFrame>(*frame)) {
        ++stats_.frames_dropped; // one proof per connection
    } else if (auto* hello = std::get_if<HelloFrame>(&*frame)) {
        handle_hello(peer, link, *hello);
    } else if (auto* chat = std::get_if<ChatFrame>(&*frame)) {
        handle_chat(peer, link, std::move(*chat));
    } else if (auto* ack = std::get_if<AckFrame>(&*frame)) {
        handle_ack(peer, *ack);
    } else if (auto* ihave = std::get_if<IHaveFrame>(&*frame)) {
        relay_.on_ihave(peer, ihave->ids, clock_.monotonic_ms(), [this](const std::string& id) {
            return log_.contains(id) || verifying_.count(id) != 0;
        });
    } else if (auto* iwant = std::get_if<IWantFrame>(&*frame)) {
        relay_.on_iwant(peer, iwant->ids, log_, self_);
    } else if (auto* links = std::get_if<LinksFrame>(&*frame)) {
        handle_links(peer, link, std::move(*links));
    } else if (auto* signal = std::get_if<RoutedSignalFrame>(&*frame)) {
        handle_routed_signal(peer, *signal);
    } else if (auto* presence = std::get_if<PresenceFrame>(&*frame)) {
        handle_presence(peer, std::move(*presence));
    } else if (auto* get = std::get_if<PhotoGetFrame>(&*frame)) {
        photos_.on_get(peer, get->photo, get->offset);
    } else if (auto* none = std::get_if<PhotoNoneFrame>(&*frame)) {
        photos_.on_none(peer, none->photo);
    } else if (auto* got = std::get_if<PhotoGotFrame>(&*frame)) {
        photos_.on_got(peer, got->photo);
        notify_history();
    } else if (auto* ping = std::get_if<PingFrame>(&*frame)) {
        rtc_.send(peer, build_pong_frame(ping->n));
    } else if (auto* pong = std::get_if<PongFrame>(&*frame)) {
        if (!link.ping_sent_at || pong->n != link.ping_n) {
            ++stats_.frames_dropped; // not the ping we are waiting for
            return;
        }
        link.rtt_ms = clock_.monotonic_ms() - *link.ping_sent_at;
        link.ping_sent_at.reset();
        notify_peers();
    }
}

void RoomEngine::handle_hello(const std::string& peer, Link& link, const HelloFrame& hello) {
    if (link.sync.hello_answered) {
        ++stats_.frames_dropped;
        return;
    }
    if (awaiting_history_) {
        link.sync.held_hello = hello; // answered with the stored history, once it is read
        return;
    }
    link.sync.hello_answered = true;
    bool changed = false;
    // mark_acked and mark_sent never move messages, so the answer's pointers stay valid.
    const HelloAnswer answer = answer_hello(log_, self_, peer, hello);
    for (const std::string& id : answer.delivered) changed |= log_.mark_acked(id, peer);
    for (const ChatMessage* m : answer.send) {
        if (!rtc_.send(peer, build_chat_frame(*m, true))) break;
        if (m->from == self_) changed |= log_.mark_sent(m->id);
    }
    if (changed) notify_history();
}

void RoomEngine::handle_chat(const std::string& peer, Link& link, ChatFrame frame) {
    ChatMessage& m = frame.message;
    // A live message straight from its author must be the link's own; a relayed one (hops > 0)
    // may be anyone's: its signature, checked below, is what proves the author.
    if (!frame.relayed && frame.hops == 0 && m.from != peer) {
        ++stats_.forged_dropped;
        return;
    }
    if (m.from == self_) {
        // Our own messages come back in sync when a peer lacks the hello window; a copy we do
        // not hold is a forgery (a lost history also means a new peer id).
        ++(log_.contains(m.id) ? stats_.duplicates : stats_.forged_dropped);
        return;
    }
    if (frame.relayed) {
        // Sync answers our hello: none is due while ours waits for the stored history.
        if (!link.sync.take_sync()) {
            ++stats_.sync_dropped;
            return;
        }
    }
    if (m.lamport > log_.lamport() + max_lamport_jump) {
        ++stats_.clock_dropped;
        return;
    }
    if (log_.contains(m.id)) { // first id wins: a copy is never checked nor stored
        ++stats_.duplicates;
        relay_.note_holder(m.id, peer);
        // In a small room the ack tells its author "delivered"; in a big one receipts do that,
        // and a duplicate must not count twice.
        if (!partial_mesh() || m.from == peer) rtc_.send(peer, build_ack_frame({m.id}));
        return;
    }
    const unsigned hops = frame.relayed ? 1 : frame.hops + 1;
    const auto pending = verifying_.find(m.id);
    if (pending != verifying_.end()) {
        // Its first copy is being checked; this one waits in case that one was a forgery.
        if (pending->second.size() < 4) pending->second.push_back({peer, std::move(m), hops});
        else ++stats_.duplicates;
        return;
    }
    const std::string id = m.id;
    verifying_[id].push_back({peer, std::move(m), hops});
    verify_next(id);
}

// Checks the first waiting copy of `id`; a valid one is stored, an invalid one dropped and the
// next copy checked.
void RoomEngine::verify_next(const std::string& id) {
    const auto it = verifying_.find(id);
    if (it == verifying_.end()) return;
    if (it->second.empty() || !room_) {
        verifying_.erase(it);
        return;
    }
    const Copy& copy = it->second.front();
    const auto key = peer_public_key(copy.message.from);
    const auto sig = base64url_decode(copy.message.sig);
    if (!key || !sig) {
        ++stats_.signatures_dropped;
        it->second.erase(it->second.begin());
        verify_next(id);
        return;
    }
    const std::weak_ptr<int> alive = alive_;
    const std::uint64_t epoch = room_epoch_;
    crypto_.verify(*key, message_signing_payload(*room_, copy.message), *sig,
                   [this, alive, epoch, id](bool valid) {
                       if (alive.expired() || epoch != room_epoch_) return;
                       const auto at = verifying_.find(id);
                       if (at == verifying_.end() || at->second.empty()) return;
                       Copy first = std::move(at->second.front());
                       at->second.erase(at->second.begin());
                       if (!valid) {
                           ++stats_.signatures_dropped;
                           verify_next(id);
                           return;
                       }
                       // The copies that waited carry the same id: their senders hold it.
                       std::vector<Copy> rest = std::move(at->second);
                       verifying_.erase(at);
                       accept_chat(first.peer, std::move(first.message), first.hops);
                       for (const Copy& c : rest) {
                           ++stats_.duplicates;
                           relay_.note_holder(id, c.peer);
                           const Link* l = find_link(c.peer);
                           if (l && !l->refused && (!partial_mesh() || c.message.from == c.peer))
                               rtc_.send(c.peer, build_ack_frame({id}));
                       }
                   });
}

// A verified message from `peer`'s link, `hops` links from its author: stored, acknowledged
// (a receipt on its way to the author) and passed on.
void RoomEngine::accept_chat(const std::string& peer, ChatMessage m, unsigned hops) {
    const std::string id = m.id;
    const Link* link = find_link(peer);
    const bool can_ack = link && !link->refused;
    switch (log_.add(std::move(m))) {
    case ChatLog::AddResult::added: {
        const ChatMessage* stored = log_.find(id);
        if (can_ack) {
            // Straight from its author, or in a small room: an ack (its sender counts us). From a
            // relay in a big room: a receipt that the relays add up on the way to the author.
            if (stored->from == peer || !partial_mesh()) rtc_.send(peer, build_ack_frame({id}));
            else rtc_.send(peer, build_ack_frame({id}, {1}));
        }
        if (callbacks_.message_arrived) callbacks_.message_arrived(*stored, hops);
        if (stored->photo) photos_.want(*stored->photo, peer);
        // A small room needs no relay: every author is linked to everyone.
        relay_.arrived(*stored, hops, peer, clock_.monotonic_ms(), partial_mesh(), proven_links(),
                       params_.eager_fanout, false, members_.room_size() >= wide_first_hop_size);
        notify_history();
        break;
    }
    case ChatLog::AddResult::duplicate:
        ++stats_.duplicates;
        if (can_ack) rtc_.send(peer, build_ack_frame({id}));
        break;
    case ChatLog::AddResult::too_old:
        break;
    }
}

void RoomEngine::handle_ack(const std::string& peer, const AckFrame& ack) {
    bool changed = false;
    const std::uint32_t others = static_cast<std::uint32_t>(
        std::min<std::size_t>(members_.room_size(), max_receipt_count));
    for (std::size_t i = 0; i < ack.ids.size(); ++i) {
        const std::string& id = ack.ids[i];
        const ChatMessage* m = log_.find(id);
        relay_.note_holder(id, peer);
        if (ack.counts.empty()) {
            if (m && m->from == self_) changed |= log_.mark_acked(id, peer);
            continue;
        }
        const std::uint32_t n = ack.counts[i];
        if (m && m->from == self_) {
            changed |= log_.add_receipts(id, n, others);
            continue;
        }
        relay_.pass_receipts(id, n, peer, others, proven_peer());
    }
    if (changed) notify_history();
}

//-----------------------------------------------------------------------------------------------
// [SECTION] big rooms: topology, relay, introductions
//-----------------------------------------------------------------------------------------------

// Links that never opened, or closed and stayed closed, are given up: their peer is retried
// later (a full mesh links to it again; a partial mesh picks whoever is due).
void RoomEngine::forget_dead_links(double now) {
    std::vector<std::string> dead;
    for (const auto& [peer, link] : links_) {
        if (link->refused) continue;
        const LinkState state = state_of(*link);
        if (state == LinkState::open) {
            link->created_at = now; // the clock of a later outage starts when it begins
            continue;
        }
        // A small room's link in recovery holds as long as its signals have a path.
        if (!partial_mesh() && link->recovery.recovering(now) && (joined_ || routable(peer))) continue;
        if (now - link->created_at > params_.connect_timeout_ms) {
            ++stats_.links_timed_out;
            dead.push_back(peer);
        } else if (partial_mesh() && link->channel_closed) {
            // In a big room the other end sheds links it has too many of, and there are other
            // partners: a channel that closed is given up at once, not held for the timeout.
            ++stats_.links_dropped;
            dead.push_back(peer);
        } else if (partial_mesh() && link->channel_open && link->proof == ProofState::ok &&
                   now - link->created_at > big_room_outage_ms) {
            // Proven and open once, its connection down since: a page that closed without a
            // goodbye looks like this until ICE gives up (about 30 s). Other partners are near.
            ++stats_.links_dropped;
            dead.push_back(peer);
        } else if (!joined_ && now - link->created_at > unroutable_grace_ms && !routable(peer)) {
            // Without the server its signals need a neighbour that lists it: none left, no link.
            ++stats_.links_unroutable;
            dead.push_back(peer);
        }
    }
    for (const std::string& peer : dead) link_failed(peer, now);
    if (!dead.empty()) notify_peers();
}

ConnectionHealth& RoomEngine::health_of(const std::string& peer) {
    // Bounded: a big room meets many peers over a day. Which entry goes matters little (the
    // figures only inform), so the first in id order does.
    if (!peer_health_.count(peer) && peer_health_.size() >= max_health_entries)
        peer_health_.erase(peer_health_.begin());
    return peer_health_[peer];
}

const ConnectionHealth* RoomEngine::health(const std::string& peer) const {
    const auto it = peer_health_.find(peer);
    return it == peer_health_.end() ? nullptr : &it->second;
}

void RoomEngine::link_failed(const std::string& peer, double now) {
    if (Link* link = find_link(peer); link && !link->attempt_counted) {
        link->attempt_counted = true;
        health_of(peer).failed();
        room_health_.failed();
    }
    close_link(peer);
    members_.retry_after(peer, now + params_.connect_timeout_ms * 3);
}

// Takes the recovery step due for a link that went down (LinkRecovery). Only the impolite side
// replaces a connection, announcing it ("fresh"), so the two sides never replace in a loop; in a
// big room a link that stays down is given up instead (there are other partners).
void RoomEngine::recover(const std::string& peer, double now) {
    Link* link = find_link(peer);
    if (!link || link->refused) return;
    const bool may_replace = !partial_mesh() && !is_polite(self_, peer);
    if (link->channel_closed && !may_replace) return; // a restart cannot reopen it: wait for theirs
    switch (link->recovery.due(now, may_replace)) {
    case LinkRecovery::Step::none: break;
    case LinkRecovery::Step::restart_ice:
        ++stats_.ice_restarts;
        rtc_.restart_ice(peer);
        break;
    case LinkRecovery::Step::fresh_connection:
        // Its first signal tells the peer to replace its side too.
        if (Link* fresh = replace_connection(peer)) fresh->announce_fresh = true;
        break;
    }
}

// A new connection for a link (ours after an outage, or the peer's announced one), keeping the
// outage's recovery. Returns the new link, or null when none could be made.
RoomEngine::Link* RoomEngine::replace_connection(const std::string& peer) {
    Link* old = find_link(peer);
    if (!old) return nullptr;
    const LinkRecovery recovery = old->recovery;
    const std::string name = old->name, session = old->remote_session; // `old` goes next
    open_link(peer, name, session);
    Link* link = find_link(peer);
    if (!link || link->refused) return nullptr;
    link->recovery = recovery;
    ++stats_.fresh_connections;
    notify_peers();
    return link;
}

void RoomEngine::on_network_changed() {
    if (!room_) return;
    const double now = clock_.monotonic_ms();
    std::vector<std::string> down;
    for (auto& [peer, link] : links_) {
        if (link->refused) continue;
        if (link->recovery.recovering(now)) {
            link->recovery.network_changed(now);
            down.push_back(peer);
        } else if (link->connection == PeerConnectionState::connected && proven(*link)) {
            // Up for now, but over an interface that may have just gone: new candidates at once.
            ++stats_.ice_restarts;
            rtc_.restart_ice(peer);
        }
    }
    for (const std::string& peer : down) recover(peer, now);
}

// Keeps the link count where the topology wants it: everyone in a small room; between
// degree_low and degree_high in a big one, topped up to `degree`, with random partners.
void RoomEngine::rebalance(double now) {
    if (now - rebalanced_at_ < 1000.0) return;
    rebalanced_at_ = now;
    // Without the server a partner is reachable only through a neighbour that lists it: others
    // (departed, or linked to nobody we know) would hold a connecting slot until the timeout.
    const auto unlinked = [this](const std::string& peer) {
        return !find_link(peer) && !refused_.count(peer) && peer != self_ && (joined_ || routable(peer));
    };
    std::vector<std::string> open;
    const bool partial = partial_mesh();
    if (!partial) {
        open = members_.pick(max_room_links, now, random_, joined_, unlinked);
    } else {
        // The room just outgrew a full mesh: its first members are a clique, each with up to
        // full_mesh_max - 1 links, busy for newcomers. Down to `degree`, the mesh mixes.
        if (!was_partial_) shed_links(params_.degree, now);
        if (live_links() > params_.degree_high) shed_links(params_.degree_high, now);
        const std::size_t live = live_links();
        if (live < params_.degree_low)
            open = members_.pick(params_.degree - live, now, random_, joined_, unlinked);
    }
    was_partial_ = partial;
    for (const std::string& peer : open) {
        const RoomMembers::Member* m = members_.find(peer);
        open_link(peer, m->name, m->session, true);
    }
    if (!open.empty()) notify_peers();
}

// Closes random links until `target` remain; their peers wait before they are picked again.
void RoomEngine::shed_links(std::size_t target, double now) {
    std::vector<std::string> live;
    for (const auto& [peer, link] : links_)
        if (!link->refused) live.push_back(peer);
    for (std::size_t i = 0; i + target < live.size(); ++i) {
        const std::size_t j = i + random_() % (live.size() - i);
        std::swap(live[i], live[j]);
        ++stats_.links_shed;
        close_link(live[i]);
        members_.retry_after(live[i], now + params_.connect_timeout_ms * 3);
    }
}

void RoomEngine::send_links(const std::string& peer) {
    std::vector<Neighbor> list;
    for (const auto& [id, link] : links_) {
        if (!proven(*link) || list.size() >= max_listed_links) continue;
        list.push_back({id, link->name, link->remote_session});
    }
    rtc_.send(peer, build_links_frame(list));
}

// A neighbour's links: routes for introductions, and members to link with.
void RoomEngine::handle_links(const std::string& peer, Link& link, LinksFrame frame) {
    for (const Neighbor& n : frame.peers)
        if (n.peer != self_) members_.add_from_neighbor(n.peer, n.name, n.session, peer);
    link.neighbors = std::move(frame.peers);
}

// Signaling over the mesh: addressed to us, or to one of our links by its neighbour `peer`
// (one relay at most: we forward only what the sender itself wrote).
void RoomEngine::handle_routed_signal(const std::string& peer, const RoutedSignalFrame& frame) {
    if (frame.to == self_) {
        if (frame.from == self_) {
            ++stats_.signals_dropped;
            return;
        }
        if (frame.from != peer) {
            if (came_via_.size() >= max_came_via && !came_via_.count(frame.from)) came_via_.erase(came_via_.begin());
            came_via_[frame.from] = peer;
        }
        handle_signal(frame.from, frame.data);
        return;
    }
    const Link* target = find_link(frame.to);
    if (frame.from != peer || !target || !proven(*target)) {
        ++stats_.signals_dropped;
        return;
    }
    if (rtc_.send(frame.to, build_routed_signal_frame(frame.from, frame.to, frame.data)))
        ++stats_.signals_routed;
}

std::vector<std::string> RoomEngine::proven_links() const {
    std::vector<std::string> out;
    for (const auto& [peer, link] : links_)
        if (proven(*link)) out.push_back(peer);
    return out;
}

GossipRelay::Proven RoomEngine::proven_peer() const {
    return [this](const std::string& peer) {
        const auto it = links_.find(peer);
        return it != links_.end() && proven(*it->second);
    };
}

std::size_t RoomEngine::present() const {
    if (joined_) return members_.room_size();
    std::size_t open = 0;
    for (const auto& entry : links_) open += state_of(*entry.second) == LinkState::open;
    return std::max(presence_.count(), open) + 1;
}

// While the server is gone: "I am here", signed, to every link, each interval.
void RoomEngine::announce_presence(double now) {
    if (!room_ || !presence_.announce_due(now, members_.room_size())) return;
    presence_.announced(now);
    PresenceFrame p{self_, name_, session_, std::clamp<std::int64_t>(clock_.wall_ms(), 0,
                                                                      static_cast<std::int64_t>(max_json_integer)), {}};
    const std::weak_ptr<int> alive = alive_;
    const std::uint64_t epoch = room_epoch_;
    std::string payload = presence_signing_payload(*room_, p.peer, p.name, p.session, p.ts_ms);
    crypto_.sign(std::move(payload),
                 [this, alive, epoch, p = std::move(p)](std::optional<std::string> sig) mutable {
                     if (alive.expired() || epoch != room_epoch_ || !sig) return;
                     p.sig = std::move(*sig);
                     const std::string frame = build_presence_frame(p);
                     for (const std::string& peer : proven_links())
                         if (rtc_.send(peer, frame)) ++stats_.presence_announced;
                 });
}

// Someone's announcement: kept if it is news and its signature holds, then passed on to every
// other link (dedup by its time keeps that a flood of one copy per link; the interval grows with
// the room to keep the rate down).
void RoomEngine::handle_presence(const std::string& peer, PresenceFrame p) {
    const auto key = peer_public_key(p.peer);
    if (!room_ || !key || p.peer == self_ || !presence_.is_news(p, clock_.wall_ms())) {
        ++stats_.presence_dropped;
        return;
    }
    const std::weak_ptr<int> alive = alive_;
    const std::uint64_t epoch = room_epoch_;
    std::string payload = presence_signing_payload(*room_, p.peer, p.name, p.session, p.ts_ms);
    std::string sig = p.sig;
    crypto_.verify(*key, std::move(payload), std::move(sig),
                   [this, alive, epoch, peer, p = std::move(p)](bool valid) {
                       if (alive.expired() || epoch != room_epoch_) return;
                       // Another copy may have been stored while this one was checked.
                       if (!valid || !presence_.is_news(p, clock_.wall_ms())) {
                           ++stats_.presence_dropped;
                           return;
                       }
                       presence_.store(p, clock_.monotonic_ms(), members_.room_size());
                       members_.add_from_neighbor(p.peer, p.name, p.session, peer);
                       const std::string frame = build_presence_frame(p);
                       for (const std::string& l : proven_links())
                           if (l != peer && l != p.peer && rtc_.send(l, frame)) ++stats_.presence_relayed;
                       notify_peers();
                   });
}

// Once per tick: the relay's batches go out; neighbours hear of our links when they changed
// (at most every 5 s).
void RoomEngine::flush_gossip(double now) {
    relay_.flush(now, proven_peer());
    // Routes and candidates need not be fresh to the second, and every change would otherwise
    // cost a frame on every link (a third of the traffic in a 1000-peer room, measured).
    if (!links_changed_ || now - links_sent_at_ < 5000.0) return;
    links_changed_ = false;
    links_sent_at_ = now;
    for (const auto& [peer, link] : links_)
        if (proven(*link)) send_links(peer);
}

} // namespace peddlenet
