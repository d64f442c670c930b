// cluster_rooms.cpp: see cluster_rooms.hpp.
// Order: a room's events carry Redis's counter. A node subscribes to the room's channel before
// its first join there runs, so it misses nothing after the state that join returns; events
// that arrive early wait in RoomSync::ahead, those it already has are dropped, and a gap that
// lasts (a message lost with a connection) makes it read the room again (restore()).
#include "server/cluster_rooms.hpp"

#include "core/text.hpp"
#include "server/cluster_scripts.hpp"
#include "server/log.hpp"

#include <stdexcept>

namespace peddlenet::server {

namespace net = boost::asio;
using protocol::ErrorCode;
using cluster::RoomEvent;

namespace {

// Heartbeat: every tick_period; a node silent for heartbeat_ttl is taken for dead, and its
// members go into their grace period. With the 5 s grace, a dead node's members are reported
// left within ttl + tick + grace + tick = 9 s.
constexpr auto tick_period = std::chrono::milliseconds(500);
constexpr auto heartbeat_ttl = std::chrono::milliseconds(3000);
// Grace periods ended per tick, at most (a later tick takes the rest).
constexpr int expiries_per_tick = 500;
// A gap in a room's events this old: read the room again.
constexpr auto gap_timeout = std::chrono::milliseconds(1000);
// Bytes of signals waiting for one node while a PUBLISH to it is in flight, at most.
constexpr std::size_t max_waiting_bytes = 1024 * 1024;
// Signals for other nodes go out at most once per window: each PUBLISH costs system calls on
// both nodes and work in Redis, so at high rates many signals share one. After a quiet spell
// the first signal goes at the end of its event-loop turn, with no added delay. 5 ms halved
// the CPU Redis and the two nodes spend per cross-node signal at 10k signals/s (0, 2, 5 and
// 10 ms measured, docs/BENCHMARKS.md); a phone's own round trip is ten times longer.
constexpr auto batch_window = std::chrono::milliseconds(5);

// A node's id: random per process, drawn as a session is (16 of [A-Za-z0-9], from OpenSSL).
std::string random_node_id() {
    SessionId id;
    if (!make_session(id)) throw std::runtime_error("no randomness for the cluster node's id");
    return std::string(id.view());
}

std::optional<SessionId> to_session(std::string_view text) {
    SessionId s;
    if (text.size() != s.chars.size()) return std::nullopt;
    std::copy(text.begin(), text.end(), s.chars.begin());
    return s;
}

std::string count(std::size_t n) { return std::to_string(n); }

} // namespace

ClusterRooms::ClusterRooms(net::io_context& ioc, const Limits& limits, Metrics& metrics,
                           RedisAddress redis)
    : ioc_(ioc), limits_(limits), metrics_(metrics), mirror_(limits, metrics),
      node_(random_node_id()), node_channel_(cluster::node_channel(node_)),
      commands_(std::make_unique<RedisLink>(ioc, redis, metrics, "commands")),
      events_(std::make_unique<RedisLink>(ioc, redis, metrics, "events")),
      tick_timer_(std::make_unique<net::steady_timer>(ioc)),
      flush_timer_(std::make_unique<net::steady_timer>(ioc)) {
    metrics_.clustered = true;
    metrics_.cluster_degraded = 1;
    node_names_.push_back(node_);
    node_index_.emplace(node_, this_node);
    mirror_.set_router(this);
    events_->set_message_handler(
        [this](std::string_view channel, std::string_view message) { on_message(channel, message); });
    commands_->on_up = commands_->on_down = events_->on_up = events_->on_down = [this] {
        links_changed();
    };
}

ClusterRooms::~ClusterRooms() { close(); }

void ClusterRooms::start() {
    log::write(log::Level::info, "cluster-node", {{"node", node_}});
    events_->subscribe(node_channel_);
    commands_->start();
    events_->start();
    tick();
}

void ClusterRooms::close() {
    if (closed_) return;
    closed_ = true;
    degraded_ = true;
    // Callbacks that run from here on find closed_ set and do nothing.
    commands_.reset();
    events_.reset();
    tick_timer_.reset();
    flush_timer_.reset();
}

// [SECTION] joins, leaves, disconnects ----------------------------------------------------------

RoomModel::Result ClusterRooms::join(Outlet& who, const protocol::Join& join, const SessionId& session) {
    if (joining_of_.count(&who))
        return protocol::Problem{ErrorCode::already_joined, "this socket's join is being answered"};
    PendingJoin pending{&who, join.room, join.peer, join.name, session};
    if (degraded_) {
        join_alone(std::move(pending));
        return std::nullopt;
    }
    if (who.in_room()) return mirror_.join(who, join, session); // the mirror refuses it
    const std::string key(session.view());
    joining_of_.emplace(&who, key);
    joining_.emplace(key, std::move(pending));
    RoomSync& sync = sync_[join.room];
    ++sync.joining;
    // Subscribed first, so no event after the state the join returns is missed.
    events_->subscribe(cluster::room_channel(join.room), [this, key] { send_join(key); });
    return std::nullopt;
}

void ClusterRooms::send_join(const std::string& session) {
    const auto it = joining_.find(session);
    if (it == joining_.end() || closed_) return;
    const PendingJoin& p = it->second;
    const bool want_state = !sync_[p.room].loaded;
    const std::string max_peers = count(limits_.max_peers_per_room);
    const std::string max_rooms = count(limits_.max_rooms);
    const bool sent = commands_->command(
        {"EVAL", cluster::join_script, "0", p.room, p.peer, node_, session, p.name, max_peers,
         max_rooms, want_state ? "1" : "0", count(static_cast<std::size_t>(heartbeat_ttl.count()))},
        [this, session](const RedisReply* reply) { on_join_reply(session, reply); });
    if (!sent) on_join_reply(session, nullptr);
}

void ClusterRooms::on_join_reply(const std::string& session, const RedisReply* reply) {
    if (closed_) return;
    const auto it = joining_.find(session);
    if (it == joining_.end()) return;
    const std::string room = it->second.room;
    if (auto s = sync_.find(room); s != sync_.end() && s->second.joining > 0) --s->second.joining;
    // Ends this join here (refused, or decided without Redis); the socket may be gone (who null).
    auto finish = [&]() -> PendingJoin {
        PendingJoin p = std::move(it->second);
        joining_.erase(it);
        if (p.who) joining_of_.erase(p.who);
        return p;
    };
    const bool answered = reply && reply->kind == RedisReply::Kind::array && !reply->elements.empty();
    if (!answered) {
        // Redis went away with the join in flight: decide here, as a single process would.
        join_alone(finish());
        return release_if_unused(room);
    }
    const RedisReply& first = reply->elements[0];
    if (first.kind == RedisReply::Kind::string) { // a refusal: {"room-full"} or {"too-many-rooms"}
        const PendingJoin p = finish();
        if (p.who) {
            const protocol::Problem problem =
                first.text == "room-full"
                    ? protocol::Problem{ErrorCode::room_full,
                                        "room \"" + room + "\" is full (" +
                                            count(limits_.max_peers_per_room) + " peers)"}
                    : protocol::Problem{ErrorCode::too_many_rooms,
                                        "the server holds its maximum of " +
                                            count(limits_.max_rooms) + " rooms"};
            metrics_.count_error(problem.code);
            p.who->deliver(protocol::build_error(problem.code, problem.message));
        }
        return release_if_unused(room);
    }
    const auto event = reply->elements.size() >= 2 ? cluster::parse_event(reply->elements[1].text)
                                                   : std::nullopt;
    if (!event) {
        ++metrics_.redis_errors;
        join_alone(finish());
        return release_if_unused(room);
    }
    // The pending join stays until its event's turn: apply() hands its socket to the mirror.
    if (reply->elements.size() >= 3 && !sync_[room].loaded) load_state(room, reply->elements[2], session);
    on_event(room, *event);
}

void ClusterRooms::join_alone(PendingJoin p) {
    if (!p.who) return;
    if (auto problem = mirror_.join(*p.who, protocol::Join{p.room, p.peer, p.name, {}}, p.session)) {
        metrics_.count_error(problem->code);
        p.who->deliver(protocol::build_error(problem->code, problem->message));
    }
}

RoomModel::Result ClusterRooms::leave(Outlet& who) {
    if (joining_of_.count(&who))
        return protocol::Problem{ErrorCode::not_joined, "this socket's join is still being answered"};
    if (degraded_) return mirror_.leave(who);
    const Member* m = mirror_.member_of(who);
    if (!m) return mirror_.leave(who); // the mirror's own refusal
    const std::string room = mirror_.room_of(who)->id, peer = m->peer;
    const SessionId session = m->session;
    mirror_.detach(who);
    send_leave(room, peer, session, false);
    return std::nullopt;
}

void ClusterRooms::disconnect(Outlet& who, Clock::time_point now) {
    if (const auto it = joining_of_.find(&who); it != joining_of_.end()) {
        joining_.at(it->second).who = nullptr; // the reply puts the member in its grace period
        joining_of_.erase(it);
        return;
    }
    const Member* m = mirror_.member_of(who);
    if (!m) return;
    if (degraded_) return mirror_.disconnect(who, now);
    const std::string room = mirror_.room_of(who)->id, peer = m->peer;
    const SessionId session = m->session;
    mirror_.detach(who);
    send_leave(room, peer, session, true);
}

void ClusterRooms::send_leave(const std::string& room, const std::string& peer,
                              const SessionId& session, bool with_grace) {
    const std::string grace = with_grace ? count(static_cast<std::size_t>(limits_.grace.count())) : "-1";
    auto fallback = [this, room, peer, with_grace] {
        // Redis went away: this node times the grace period (or removes the member) itself.
        if (!with_grace) return mirror_.remove(room, peer);
        mirror_.begin_grace(room, peer, Clock::now());
        if (schedule_grace_) schedule_grace_();
    };
    const bool sent = commands_->command(
        {"EVAL", cluster::leave_script, "0", room, peer, node_, session.view(), grace},
        [this, fallback](const RedisReply* reply) {
            if (closed_) return;
            if (!reply || reply->is_error()) fallback();
        });
    if (!sent) fallback();
}

// [SECTION] signals between nodes ------------------------------------------------------------

RoomModel::Result ClusterRooms::signal(Outlet& from, const protocol::Signal& signal) {
    if (joining_of_.count(&from))
        return protocol::Problem{ErrorCode::not_joined, "this socket's join is still being answered"};
    return mirror_.signal(from, signal);
}

bool ClusterRooms::route(NodeIndex node, const std::string& room, const std::string& from,
                         const std::string& to, std::string frame) {
    if (degraded_) return false;
    Outgoing& out = outbox_[node];
    // Redis is not taking them as fast as they come: refuse (the sender is told) rather than
    // hold an unbounded batch.
    if (out.message.size() >= max_waiting_bytes) return false;
    if (out.message.empty()) {
        if (out.channel.empty()) out.channel = cluster::node_channel(node_names_[node]);
        cluster::begin_message(out.message, cluster::NodeMessage::Kind::signals, node_);
    }
    cluster::append_entry(out.message, room, from, to, frame);
    ++metrics_.cluster_signals_sent;
    if (out.in_flight.empty()) schedule_flush();
    return true;
}

void ClusterRooms::schedule_flush() {
    if (flush_scheduled_) return;
    flush_scheduled_ = true;
    auto run = [this](boost::system::error_code ec = {}) {
        if (ec || closed_) return;
        flush_scheduled_ = false;
        flush();
    };
    const auto due = last_flush_ + batch_window;
    if (Clock::now() >= due) return net::post(ioc_, [run] { run(); });
    flush_timer_->expires_at(due);
    flush_timer_->async_wait(run);
}

void ClusterRooms::flush() {
    last_flush_ = Clock::now();
    for (auto& [node, out] : outbox_) flush(node);
}

void ClusterRooms::flush(NodeIndex node) {
    Outgoing& out = outbox_[node];
    // One PUBLISH per node in flight: signals that arrive meanwhile go together in the next,
    // so batches grow with the load.
    if (out.message.empty() || !out.in_flight.empty()) return;
    out.in_flight.swap(out.message);
    ++metrics_.cluster_messages_sent;
    const bool sent = commands_->command(
        {"PUBLISH", out.channel, out.in_flight}, [this, node](const RedisReply* reply) {
            if (closed_) return;
            Outgoing& out = outbox_[node];
            // Nobody subscribed (the node is gone) or the reply was lost: tell the senders.
            if (!reply || reply->kind != RedisReply::Kind::integer || reply->integer == 0)
                bounce(out.in_flight);
            out.in_flight.clear();
            if (!out.message.empty()) schedule_flush();
        });
    if (sent) return;
    bounce(out.in_flight);
    out.in_flight.clear();
}

void ClusterRooms::bounce(std::string_view message) {
    const auto m = cluster::parse_message(message);
    if (!m) return;
    for (const auto& e : m->entries) {
        Outlet* sender = mirror_.outlet_of(std::string(e.room), std::string(e.from));
        if (!sender) continue;
        const protocol::Problem p{ErrorCode::peer_away,
                                  "peer \"" + std::string(e.to) +
                                      "\" could not be reached on its server node; signal dropped"};
        metrics_.count_error(p.code);
        sender->deliver(protocol::build_error(p.code, p.message));
    }
}

void ClusterRooms::on_node_message(const cluster::NodeMessage& m) {
    std::string undelivered;
    for (const auto& e : m.entries) {
        if (Outlet* target = mirror_.outlet_of(std::string(e.room), std::string(e.to))) {
            target->deliver(std::string(e.frame));
            ++metrics_.messages_relayed;
            continue;
        }
        if (undelivered.empty())
            cluster::begin_message(undelivered, cluster::NodeMessage::Kind::bounce, node_);
        cluster::append_entry(undelivered, e.room, e.from, e.to, {});
    }
    if (!undelivered.empty() && !degraded_)
        commands_->command({"PUBLISH", cluster::node_channel(m.origin), undelivered},
                           [](const RedisReply*) {});
}

// [SECTION] room events, in Redis's order ------------------------------------------------------

void ClusterRooms::on_message(std::string_view channel, std::string_view message) {
    if (closed_) return;
    ++metrics_.cluster_messages_received;
    if (channel == node_channel_) {
        if (const auto m = cluster::parse_message(message)) {
            if (m->kind == cluster::NodeMessage::Kind::bounce) return bounce(message);
            return on_node_message(*m);
        }
    } else if (const auto room = cluster::room_of_channel(channel)) {
        if (auto e = cluster::parse_event(message)) return on_event(std::string(*room), std::move(*e));
    }
    ++metrics_.redis_errors;
    log::write(log::Level::warn, "cluster-bad-message",
               {{"channel", std::string(channel.substr(0, 80))}, {"bytes", count(message.size())}});
}

void ClusterRooms::on_event(const std::string& room, RoomEvent e) {
    const auto it = sync_.find(room);
    if (it == sync_.end()) return; // a room this node no longer holds anyone in
    RoomSync& sync = it->second;
    if (sync.loaded && e.seq <= sync.applied) return;
    if (!sync.loaded || e.seq != sync.applied + 1) {
        if (sync.ahead.empty()) sync.gap_since = Clock::now();
        sync.ahead.emplace(e.seq, std::move(e));
        return;
    }
    sync.applied = e.seq;
    apply(room, e);
    drain(room);
}

void ClusterRooms::drain(const std::string& room) {
    for (;;) {
        const auto it = sync_.find(room);
        if (it == sync_.end() || !it->second.loaded) return;
        RoomSync& sync = it->second;
        while (!sync.ahead.empty() && sync.ahead.begin()->first <= sync.applied)
            sync.ahead.erase(sync.ahead.begin());
        if (sync.ahead.empty() || sync.ahead.begin()->first != sync.applied + 1) {
            if (!sync.ahead.empty()) sync.gap_since = Clock::now();
            return;
        }
        const RoomEvent e = std::move(sync.ahead.begin()->second);
        sync.ahead.erase(sync.ahead.begin());
        sync.applied = e.seq;
        apply(room, e);
    }
}

void ClusterRooms::apply(const std::string& room, const RoomEvent& e) {
    switch (e.kind) {
    case RoomEvent::Kind::join: {
        const auto session = to_session(e.session);
        if (!session) return;
        if (e.node != node_) {
            mirror_.admit(nullptr, room, e.peer, e.name, *session, intern(e.node));
            break;
        }
        const auto it = joining_.find(e.session);
        Outlet* who = nullptr;
        if (it != joining_.end()) {
            who = it->second.who;
            joining_.erase(it);
            if (who) joining_of_.erase(who);
        }
        const Member* m = mirror_.member(room, e.peer);
        const bool known = m && m->session.view() == e.session;
        if (!who && known) break; // our own join, restored
        mirror_.admit(who, room, e.peer, e.name, *session, this_node);
        // Its socket closed before the answer came: now it is in its grace period.
        if (!who) send_leave(room, e.peer, *session, true);
        break;
    }
    case RoomEvent::Kind::away: mirror_.set_away(room, e.peer); break;
    case RoomEvent::Kind::left: mirror_.remove(room, e.peer); break;
    }
    release_if_unused(room);
}

void ClusterRooms::load_state(const std::string& room, const RedisReply& state,
                              std::string_view skip_session) {
    if (state.kind != RedisReply::Kind::array || state.elements.empty() ||
        state.elements[0].kind != RedisReply::Kind::integer) {
        ++metrics_.redis_errors;
        return;
    }
    RoomSync& sync = sync_[room];
    // A join's state includes the join itself: its event (seq) comes next and admits it.
    const std::uint64_t seq = static_cast<std::uint64_t>(state.elements[0].integer);
    std::unordered_map<std::string, cluster::MemberRecord> records;
    for (std::size_t i = 1; i + 1 < state.elements.size(); i += 2) {
        auto rec = cluster::parse_member(state.elements[i + 1].text);
        if (!rec || !is_valid_id(state.elements[i].text)) {
            ++metrics_.redis_errors;
            continue;
        }
        records.emplace(state.elements[i].text, std::move(*rec));
    }
    // Members the mirror has that Redis no longer has: gone. After Redis came back empty, other
    // nodes' members return as their nodes restore them, so those are only removed if they are
    // still missing a heartbeat's time later (never peer-left then peer-joined).
    if (const Room* r = mirror_.find(room)) {
        std::vector<std::string> gone;
        bool remote_missing = false;
        for (const Member& m : r->members) {
            if (records.count(m.peer)) continue;
            if (m.node != this_node && skip_session.empty() && !sync.final_pass) remote_missing = true;
            else gone.push_back(m.peer);
        }
        for (const std::string& peer : gone) mirror_.remove(room, peer);
        if (remote_missing) sync.recheck_at = Clock::now() + heartbeat_ttl;
    }
    sync.final_pass = false;
    for (const auto& [peer, rec] : records) {
        if (rec.session == skip_session) continue;
        const auto session = to_session(rec.session);
        if (!session) continue;
        if (rec.node == node_) continue; // ours: the mirror holds its socket (or restore() put it back)
        mirror_.admit(nullptr, room, peer, rec.name, *session, intern(rec.node));
        if (rec.away) mirror_.set_away(room, peer);
    }
    sync.loaded = true;
    sync.applied = skip_session.empty() ? seq : seq - 1;
    drain(room);
}

void ClusterRooms::release_if_unused(const std::string& room) {
    const auto it = sync_.find(room);
    if (it == sync_.end() || it->second.joining > 0 || it->second.restoring) return;
    const Room* r = mirror_.find(room);
    if (r && r->local > 0) return;
    for (const auto& [session, p] : joining_)
        if (p.room == room) return;
    mirror_.forget(room);
    sync_.erase(it);
    if (events_) events_->unsubscribe(cluster::room_channel(room));
}

NodeIndex ClusterRooms::intern(const std::string& node) {
    const auto [it, fresh] = node_index_.try_emplace(node, static_cast<NodeIndex>(node_names_.size()));
    if (fresh) node_names_.push_back(node);
    return it->second;
}

// [SECTION] heartbeat, outages and resynchronisation ------------------------------------------

void ClusterRooms::tick() {
    if (closed_) return;
    if (!degraded_) {
        beat();
        const auto now = Clock::now();
        std::vector<std::string> stale;
        for (auto& [room, sync] : sync_) {
            if (sync.restoring) continue;
            if (sync.loaded && !sync.ahead.empty() && now - sync.gap_since > gap_timeout) {
                stale.push_back(room);
            } else if (sync.recheck_at && now >= *sync.recheck_at) {
                sync.recheck_at.reset();
                sync.final_pass = true;
                stale.push_back(room);
            }
        }
        for (const std::string& room : stale) restore(room);
    }
    tick_timer_->expires_after(tick_period);
    tick_timer_->async_wait([this](boost::system::error_code ec) {
        if (!ec) tick();
    });
}

void ClusterRooms::beat() {
    const std::string ttl = count(static_cast<std::size_t>(heartbeat_ttl.count()));
    const std::string grace = count(static_cast<std::size_t>(limits_.grace.count()));
    commands_->command({"EVAL", cluster::tick_script, "0", node_, ttl, grace, count(expiries_per_tick)},
                       [this](const RedisReply* reply) {
                           if (closed_ || !reply || reply->kind != RedisReply::Kind::integer) return;
                           // Our heartbeat had expired (we stalled, or Redis lost it): the others
                           // may have put our members away; put them back. (The first beat after
                           // connecting has none before it.)
                           if (reply->integer == 0 && beating_) restore_all();
                           beating_ = true;
                       });
}

void ClusterRooms::links_changed() {
    if (closed_) return;
    const bool down = !commands_->up() || !events_->up();
    if (down == degraded_) return;
    degraded_ = down;
    beating_ = false;
    metrics_.cluster_degraded = down ? 1 : 0;
    if (down) {
        log::write(log::Level::warn, "cluster-degraded", {{"node", node_}});
        // Events may be lost from here on: every room is read again when Redis is back.
        for (auto& [room, sync] : sync_) {
            sync.loaded = false;
            sync.restoring = false;
            sync.ahead.clear();
        }
        // Grace periods Redis was timing are timed here until it is back.
        std::vector<std::pair<std::string, std::string>> away;
        mirror_.for_each_room([&](const Room& r) {
            for (const Member& m : r.members)
                if (m.node == this_node && !m.outlet) away.emplace_back(r.id, m.peer);
        });
        const auto now = Clock::now();
        for (const auto& [room, peer] : away) mirror_.begin_grace(room, peer, now);
        if (!away.empty() && schedule_grace_) schedule_grace_();
        return;
    }
    log::write(log::Level::info, "cluster-up", {{"node", node_}});
    beat(); // at once: a node is reaped only once it is known to have lived
    restore_all();
}

void ClusterRooms::restore_all() {
    std::vector<std::string> rooms;
    mirror_.for_each_room([&](const Room& r) {
        if (r.local > 0) rooms.push_back(r.id);
    });
    for (const std::string& room : rooms) restore(room);
}

void ClusterRooms::restore(const std::string& room) {
    if (degraded_ || closed_) return;
    RoomSync& sync = sync_[room];
    if (sync.restoring) return;
    sync.restoring = true;
    sync.loaded = false;
    events_->subscribe(cluster::room_channel(room), [this, room] {
        if (closed_) return;
        const Room* r = mirror_.find(room);
        std::vector<std::string> args{"EVAL", cluster::restore_script, "0", room, node_,
                                      count(static_cast<std::size_t>(limits_.grace.count())),
                                      count(static_cast<std::size_t>(heartbeat_ttl.count()))};
        if (r) {
            for (const Member& m : r->members) {
                if (m.node != this_node) continue;
                args.insert(args.end(), {m.peer, std::string(m.session.view()), m.outlet ? "L" : "A", m.name});
            }
        }
        std::vector<std::string_view> views(args.begin(), args.end());
        const bool sent = commands_->command(views, [this, room](const RedisReply* reply) {
            if (closed_) return;
            const auto it = sync_.find(room);
            if (it == sync_.end()) return;
            it->second.restoring = false;
            if (!reply || reply->is_error()) return; // links_changed() restores it again later
            ++metrics_.cluster_resyncs;
            load_state(room, *reply, {});
            release_if_unused(room);
        });
        if (!sent) sync_[room].restoring = false;
    });
}

} // namespace peddlenet::server
