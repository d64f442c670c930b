// room_engine.cpp: see room_engine.hpp.
//
// Index
//  [SECTION] link bookkeeping
//  [SECTION] identity, room lifecycle, history, chat
//  [SECTION] signaling events
//  [SECTION] RTC events
//  [SECTION] data channel frames
#include "core/room_engine.hpp"

#include "core/identity.hpp"
#include "core/peer_protocol.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <array>
#include <ostream>
#include <unordered_set>
#include <utility>

namespace peddlenet {

using nlohmann::json;

std::string_view to_string(LinkState v) {
    constexpr std::array<std::string_view, 3> names = {"connecting", "open", "closed"};
    const auto i = static_cast<std::size_t>(v);
    return i < names.size() ? names[i] : std::string_view("unknown");
}

std::ostream& operator<<(std::ostream& os, LinkState v) { return os << to_string(v); }

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
         PerfectNegotiation::SignalSink sink, std::string display_name, std::string link_session,
         bool is_newcomer)
        : name(std::move(display_name)), negotiation(rtc, peer, polite, std::move(sink)),
          session(std::move(link_session)), newcomer(is_newcomer) {}

    std::string name;
    PerfectNegotiation negotiation;
    // Signal envelope (see the header): our id for this connection, the peer's once known,
    // our role, and what an incumbent holds back until the newcomer announced itself.
    std::string session;
    bool newcomer;
    std::string remote_session;
    std::vector<json> held;
    bool channel_open = false;
    bool channel_closed = false; // it was open once and closed since
    PeerConnectionState connection = PeerConnectionState::new_;
    // Reconciliation, reset at every channel opening.
    bool hello_answered = false;
    bool hello_deferred = false;        // ours, until the stored history is restored
    std::optional<HelloFrame> held_hello; // theirs, likewise
    std::size_t sync_budget = 0;
    // Round-trip time.
    std::optional<double> rtt_ms;
    std::uint64_t ping_n = 0;
    std::optional<double> ping_sent_at;
    double next_ping_at = 0.0;
};

RoomEngine::Link* RoomEngine::find_link(const std::string& peer) {
    const auto it = links_.find(peer);
    return it == links_.end() ? nullptr : it->second.get();
}

void RoomEngine::open_link(const std::string& peer, const std::string& name, bool newcomer) {
    close_link(peer);
    if (links_.size() >= max_room_links) {
        if (callbacks_.error) callbacks_.error(peer, "room is over the link limit; peer ignored");
        return;
    }
    Checked checked_name = check_chat_name(name);
    auto sink = [this, peer](const json& data) { send_signal(peer, data); };
    auto link = std::make_unique<Link>(rtc_, peer, is_polite(self_, peer), std::move(sink),
                                       checked_name.ok() ? checked_name.value : peer,
                                       make_random_id(random_), newcomer);
    links_.emplace(peer, std::move(link));
    if (newcomer) send_signal(peer, json::object()); // the announce: {"session": ...}
    rtc_.create_connection(peer);
}

void RoomEngine::send_signal(const std::string& peer, json data) {
    Link* link = find_link(peer);
    // Signals only go out while joined: after a socket loss, whatever the old links still emit
    // would reach the peer's fresh connections once we re-join (every link is rebuilt then).
    if (!link || !joined_ || !callbacks_.send_signal) return;
    data["session"] = link->session;
    if (!link->remote_session.empty()) {
        data["to_session"] = link->remote_session;
    } else if (!link->newcomer) {
        // An incumbent speaks only to the newcomer's announced connection: until then its
        // signals wait (the announce is the newcomer's first signal, so the wait is short).
        if (link->held.size() < max_held_signals) link->held.push_back(std::move(data));
        return;
    }
    callbacks_.send_signal(peer, data);
}

// Checks the envelope of a signal for `link`; false when it belongs to another connection.
bool RoomEngine::accept_envelope(const std::string& peer, Link& link, const json& data) {
    const auto session = data.find("session");
    const auto to = data.find("to_session");
    if (session == data.end() || !session->is_string() ||
        !is_valid_id(session->get_ref<const std::string&>()))
        return false;
    if (to != data.end() && (!to->is_string() || *to != link.session)) return false;
    if (link.newcomer && to == data.end()) return false; // sent before the peer knew this link
    const std::string& theirs = session->get_ref<const std::string&>();
    if (link.remote_session.empty()) {
        link.remote_session = theirs;
        std::vector<json> held = std::move(link.held);
        link.held.clear();
        for (json& d : held) {
            d["to_session"] = theirs;
            if (joined_ && callbacks_.send_signal) callbacks_.send_signal(peer, d);
        }
        return true;
    }
    return theirs == link.remote_session;
}

void RoomEngine::close_link(const std::string& peer) {
    const auto it = links_.find(peer);
    if (it == links_.end()) return;
    rtc_.close_connection(peer);
    links_.erase(it);
}

void RoomEngine::close_all_links() {
    for (const auto& entry : links_) rtc_.close_connection(entry.first);
    links_.clear();
}

LinkState RoomEngine::state_of(const Link& link) const {
    const bool broken = link.connection == PeerConnectionState::disconnected ||
                        link.connection == PeerConnectionState::failed ||
                        link.connection == PeerConnectionState::closed;
    if (link.channel_open) return broken ? LinkState::closed : LinkState::open;
    if (link.channel_closed || link.connection == PeerConnectionState::failed ||
        link.connection == PeerConnectionState::closed)
        return LinkState::closed;
    return LinkState::connecting;
}

std::vector<LinkInfo> RoomEngine::peers() const {
    std::vector<LinkInfo> out;
    out.reserve(links_.size());
    for (const auto& [id, link] : links_)
        out.push_back(LinkInfo{id, link->name, state_of(*link), link->rtt_ms});
    return out;
}

std::optional<LinkInfo> RoomEngine::peer(const std::string& id) const {
    const auto it = links_.find(id);
    if (it == links_.end()) return std::nullopt;
    return LinkInfo{id, it->second->name, state_of(*it->second), it->second->rtt_ms};
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

RoomEngine::RoomEngine(RtcTransport& rtc, RoomCallbacks callbacks, RoomClock clock,
                       RandomSource random, std::string self_id, std::string name,
                       RoomParams params)
    : rtc_(rtc), callbacks_(std::move(callbacks)), clock_(std::move(clock)),
      random_(std::move(random)), params_(params), self_(std::move(self_id)),
      log_(params.history_capacity) {
    Checked checked = check_chat_name(name);
    name_ = checked.ok() ? checked.value : "Anonymous";
}

RoomEngine::~RoomEngine() {
    for (const auto& entry : links_) rtc_.close_connection(entry.first);
}

std::string RoomEngine::set_name(std::string_view name) {
    Checked checked = check_chat_name(name);
    if (!checked.ok()) return checked.error;
    name_ = std::move(checked.value);
    return {};
}

bool RoomEngine::enter_room(std::string room) {
    if (!is_valid_id(room)) return false;
    close_all_links();
    room_ = std::move(room);
    joined_ = false;
    awaiting_history_ = false;
    log_.clear();
    notify_peers();
    notify_history();
    return true;
}

void RoomEngine::leave_room() {
    close_all_links();
    room_.reset();
    joined_ = false;
    awaiting_history_ = false;
    log_.clear();
    notify_peers();
    notify_history();
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
    }
    if (awaiting_history_) {
        // Unreadable history must not hold reconciliation back forever: go on either way.
        awaiting_history_ = false;
        for (auto& [peer, link] : links_) {
            if (!link->channel_open) continue;
            if (link->hello_deferred) send_hello(peer, *link);
            if (link->held_hello) {
                const HelloFrame hello = std::move(*link->held_hello);
                link->held_hello.reset();
                handle_hello(peer, *link, hello);
            }
        }
    }
    return r;
}

Delivery RoomEngine::delivery(const ChatMessage& m) const {
    if (m.from != self_) return {};
    std::size_t members = links_.size();
    for (const std::string& peer : m.acked_by)
        if (!links_.count(peer)) ++members;
    if (!m.acked_by.empty()) return {DeliveryState::delivered, m.acked_by.size(), members};
    return {m.sent ? DeliveryState::sent : DeliveryState::queued, 0, members};
}

SendResult RoomEngine::send(std::string_view text) {
    if (!room_) return {{}, "Not in a room."};
    Checked checked = check_chat_text(text);
    if (!checked.ok()) return {{}, checked.error};

    ChatMessage m;
    do m.id = make_message_id(random_);
    while (log_.contains(m.id));
    m.from = self_;
    m.name = name_;
    m.text = std::move(checked.value);
    // Receivers refuse timestamps outside 0..2^53-1, so a broken clock must not make us mute.
    m.ts_ms = std::clamp<std::int64_t>(clock_.wall_ms(), 0,
                                       static_cast<std::int64_t>(max_json_integer));
    m.lamport = log_.next_lamport();

    const std::string frame = build_chat_frame(m, false);
    for (const auto& [peer, link] : links_)
        if (link->channel_open && rtc_.send(peer, frame)) m.sent = true;
    const std::string id = m.id;
    log_.add(std::move(m));
    notify_history();
    return {id, {}};
}

void RoomEngine::tick() {
    const double now = clock_.monotonic_ms();
    bool changed = false;
    for (auto& [peer, link] : links_) {
        if (!link->channel_open) continue;
        if (link->ping_sent_at && now - *link->ping_sent_at > params_.pong_timeout_ms) {
            link->ping_sent_at.reset();
            changed |= link->rtt_ms.has_value();
            link->rtt_ms.reset();
        }
        if (!link->ping_sent_at && now >= link->next_ping_at) send_ping(peer, *link, now);
    }
    if (changed) notify_peers();
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
                           const std::vector<RoomMember>& peers) {
    // A late answer to a join we have since left (or replaced by another room): nothing to do.
    if (!room_ || room != *room_ || self != self_) return;
    // Whoever we had links with has just been told we (re)joined and starts fresh: so do we.
    close_all_links();
    joined_ = true;
    for (const RoomMember& member : peers)
        if (is_valid_id(member.peer) && member.peer != self_)
            open_link(member.peer, member.name, /*newcomer=*/true);
    notify_peers();
}

void RoomEngine::on_peer_joined(const std::string& peer, const std::string& name) {
    if (!room_ || !is_valid_id(peer) || peer == self_) return;
    open_link(peer, name, /*newcomer=*/false); // replaces a link left over from before
    notify_peers();
}

void RoomEngine::on_peer_rejoined(const std::string& peer, const std::string& name) {
    on_peer_joined(peer, name);
}

void RoomEngine::on_peer_left(const std::string& peer) {
    if (!find_link(peer)) return;
    close_link(peer);
    notify_peers();
}

void RoomEngine::on_signal(const std::string& from, const json& data) {
    Link* link = find_link(from);
    if (!link || !data.is_object()) {
        ++stats_.signals_dropped;
        return;
    }
    if (!accept_envelope(from, *link, data)) {
        ++stats_.signals_stale;
        return;
    }
    if (!data.contains("description") && !data.contains("candidate")) return; // an announce
    switch (link->negotiation.on_signal(data)) {
    case PerfectNegotiation::SignalResult::applied: break;
    case PerfectNegotiation::SignalResult::ignored: ++stats_.signals_ignored; break;
    case PerfectNegotiation::SignalResult::malformed: ++stats_.signals_dropped; break;
    }
}

void RoomEngine::on_signaling_lost() { joined_ = false; }

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
    link->hello_answered = false;
    link->hello_deferred = false;
    link->held_hello.reset();
    link->sync_budget = 0;
    link->rtt_ms.reset();
    link->ping_sent_at.reset();
    notify_peers();
}

void RoomEngine::on_connection_state(const std::string& peer, PeerConnectionState state) {
    Link* link = find_link(peer);
    if (!link) return;
    link->connection = state;
    // Both sides may restart at once; perfect negotiation settles the resulting glare.
    if (state == PeerConnectionState::failed) rtc_.restart_ice(peer);
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
    link.channel_open = true;
    link.channel_closed = false;
    link.hello_answered = false;
    link.held_hello.reset();
    link.sync_budget = max_sync_messages;
    if (awaiting_history_) {
        link.hello_deferred = true;
    } else {
        send_hello(peer, link);
    }
    link.ping_sent_at.reset();
    send_ping(peer, link, clock_.monotonic_ms());
    notify_peers();
}

void RoomEngine::send_hello(const std::string& peer, Link& link) {
    link.hello_deferred = false;
    std::vector<std::string> have;
    for (const ChatMessage* m : log_.newest(max_sync_messages)) have.push_back(m->id);
    rtc_.send(peer, build_hello_frame(have));
}

void RoomEngine::on_channel_message(const std::string& peer, std::string_view text) {
    Link* link = find_link(peer);
    if (!link) return;
    // A message proves the channel is open, whatever the order the binding reported things in.
    if (!link->channel_open) handle_open(peer, *link);
    std::optional<PeerFrame> frame = parse_peer_frame(text);
    if (!frame) {
        ++stats_.frames_dropped;
        return;
    }
    if (auto* hello = std::get_if<HelloFrame>(&*frame)) {
        handle_hello(peer, *link, *hello);
    } else if (auto* chat = std::get_if<ChatFrame>(&*frame)) {
        handle_chat(peer, *link, std::move(*chat));
    } else if (auto* ack = std::get_if<AckFrame>(&*frame)) {
        handle_ack(peer, *ack);
    } else if (auto* ping = std::get_if<PingFrame>(&*frame)) {
        rtc_.send(peer, build_pong_frame(ping->n));
    } else if (auto* pong = std::get_if<PongFrame>(&*frame)) {
        if (!link->ping_sent_at || pong->n != link->ping_n) {
            ++stats_.frames_dropped; // not the ping we are waiting for
            return;
        }
        link->rtt_ms = clock_.monotonic_ms() - *link->ping_sent_at;
        link->ping_sent_at.reset();
        notify_peers();
    }
}

void RoomEngine::handle_hello(const std::string& peer, Link& link, const HelloFrame& hello) {
    if (link.hello_answered) {
        ++stats_.frames_dropped;
        return;
    }
    if (awaiting_history_) {
        link.held_hello = hello; // answered with the stored history, once it is read
        return;
    }
    link.hello_answered = true;
    bool changed = false;
    // Our messages that they hold are delivered to them.
    for (const std::string& id : hello.have) {
        const ChatMessage* m = log_.find(id);
        if (m && m->from == self_) changed |= log_.mark_acked(id, peer);
    }
    // Send what they lack from our window, oldest first; never their own messages (they refuse
    // copies of their own that they do not hold). mark_sent never moves messages, so the
    // pointers stay valid.
    const std::unordered_set<std::string> theirs(hello.have.begin(), hello.have.end());
    for (const ChatMessage* m : log_.newest(max_sync_messages)) {
        if (theirs.count(m->id) || m->from == peer) continue;
        if (!rtc_.send(peer, build_chat_frame(*m, true))) break;
        if (m->from == self_) changed |= log_.mark_sent(m->id);
    }
    if (changed) notify_history();
}

void RoomEngine::handle_chat(const std::string& peer, Link& link, ChatFrame frame) {
    ChatMessage& m = frame.message;
    if (!frame.relayed && m.from != peer) {
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
        if (link.sync_budget == 0) {
            ++stats_.sync_dropped;
            return;
        }
        --link.sync_budget;
    }
    if (m.lamport > log_.lamport() + max_lamport_jump) {
        ++stats_.clock_dropped;
        return;
    }
    const std::string id = m.id;
    switch (log_.add(std::move(m))) {
    case ChatLog::AddResult::added:
        rtc_.send(peer, build_ack_frame({id}));
        notify_history();
        break;
    case ChatLog::AddResult::duplicate:
        ++stats_.duplicates;
        rtc_.send(peer, build_ack_frame({id}));
        break;
    case ChatLog::AddResult::too_old:
        break;
    }
}

void RoomEngine::handle_ack(const std::string& peer, const AckFrame& ack) {
    bool changed = false;
    for (const std::string& id : ack.ids) {
        const ChatMessage* m = log_.find(id);
        if (m && m->from == self_) changed |= log_.mark_acked(id, peer);
    }
    if (changed) notify_history();
}

} // namespace peddlenet
