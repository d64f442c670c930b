// rooms.cpp: see rooms.hpp.
#include "server/rooms.hpp"

#include <algorithm>

namespace peddlenet::server {

using protocol::ErrorCode;
using protocol::Problem;

namespace {

Problem problem(ErrorCode code, std::string message) { return {code, std::move(message)}; }

std::size_t find_peer(const Room& room, const std::string& peer) {
    const auto it = room.slots.find(peer);
    return it == room.slots.end() ? room.members.size() : it->second;
}

} // namespace

Rooms::Result Rooms::join(Outlet& who, const protocol::Join& join, const SessionId& session) {
    if (who.room_)
        return problem(ErrorCode::already_joined,
                       "this socket already joined room \"" + who.room_->id + "\"; leave first");
    auto it = rooms_.find(join.room);
    if (it == rooms_.end()) {
        if (rooms_.size() >= limits_.max_rooms)
            return problem(ErrorCode::too_many_rooms, "the server holds its maximum of " +
                                                          std::to_string(limits_.max_rooms) +
                                                          " rooms");
        it = rooms_.emplace(join.room, Room{join.room, {}, {}}).first;
    }
    Room& room = it->second;
    std::size_t index = find_peer(room, join.peer);
    const bool rejoin = index < room.members.size();
    if (!rejoin && room.members.size() >= limits_.max_peers_per_room)
        return problem(ErrorCode::room_full, "room \"" + room.id + "\" is full (" +
                                                 std::to_string(limits_.max_peers_per_room) +
                                                 " peers)");

    Outlet* old = nullptr;
    if (rejoin) {
        Member& m = room.members[index];
        old = m.outlet; // a live socket when the refresh beat the old socket's close
        if (m.node != this_node) { // a cluster node on its own (Redis unreachable)
            m.node = this_node;
            m.away = false;
            ++room.local;
            ++peers_;
        }
        m.outlet = &who;
        m.name = join.name;
        m.session = session;
    } else {
        index = room.members.size();
        room.members.push_back(Member{join.peer, join.name, session, &who, {}});
        room.slots.emplace(join.peer, index);
        ++room.local;
        ++peers_;
    }
    place(who, room, index);

    const std::vector<protocol::PeerInfo> others = sample_others(room, index);
    who.deliver(protocol::build_joined(room.id, join.peer, session.view(), room.members.size(),
                                       others));
    broadcast(room, &who,
              rejoin ? protocol::build_peer_rejoined(join.peer, join.name, session.view())
                     : protocol::build_peer_joined(join.peer, join.name, session.view()));
    if (old) {
        old->room_ = nullptr;
        old->replaced();
    }
    update_gauges();
    return std::nullopt;
}

Rooms::Result Rooms::signal(Outlet& from, const protocol::Signal& signal) {
    Room* room = from.room_;
    if (!room) return problem(ErrorCode::not_joined, "join a room before sending signals");
    const std::size_t to = find_peer(*room, signal.to);
    if (to == room->members.size())
        return problem(ErrorCode::no_such_peer,
                       "no peer \"" + signal.to + "\" in room \"" + room->id + "\"");
    const Member& target = room->members[to];
    if (!target.live() || (target.node != this_node && !router_))
        return problem(ErrorCode::peer_away,
                       "peer \"" + signal.to + "\" is reconnecting; signal dropped");
    const std::string& sender = room->members[from.slot_].peer;
    if (target.node != this_node) {
        if (!router_->route(target.node, room->id, sender, target.peer,
                            protocol::build_signal_from(sender, signal.data)))
            return problem(ErrorCode::peer_away,
                           "peer \"" + signal.to + "\" is on another server node, which cannot "
                           "be reached now; signal dropped");
        return std::nullopt;
    }
    target.outlet->deliver(protocol::build_signal_from(sender, signal.data));
    ++metrics_.messages_relayed;
    return std::nullopt;
}

Rooms::Result Rooms::leave(Outlet& who) {
    Room* room = who.room_;
    if (!room) return problem(ErrorCode::not_joined, "not in a room");
    remove_member(*room, who.slot_);
    who.room_ = nullptr;
    update_gauges();
    return std::nullopt;
}

void Rooms::disconnect(Outlet& who, Clock::time_point now) {
    Room* room = who.room_;
    if (!room) return;
    const std::string peer = room->members[who.slot_].peer;
    const std::string id = room->id;
    detach(who);
    begin_grace(id, peer, now);
}

const Member* Rooms::detach(Outlet& who) {
    Room* room = who.room_;
    if (!room) return nullptr;
    who.room_ = nullptr;
    Member& m = room->members[who.slot_];
    m.outlet = nullptr;
    return &m;
}

void Rooms::begin_grace(const std::string& room_id, const std::string& peer, Clock::time_point now) {
    const auto it = rooms_.find(room_id);
    if (it == rooms_.end()) return;
    Room& room = it->second;
    const std::size_t index = find_peer(room, peer);
    if (index == room.members.size()) return;
    Member& m = room.members[index];
    if (m.node != this_node || m.outlet) return;
    if (limits_.grace.count() <= 0) {
        remove_member(room, index);
    } else {
        m.gone_until = now + limits_.grace;
        grace_.push_back({m.gone_until, room.id, m.peer});
    }
    update_gauges();
}

void Rooms::expire(Clock::time_point now) {
    while (!grace_.empty() && grace_.front().until <= now) {
        const Grace g = std::move(grace_.front());
        grace_.pop_front();
        const auto it = rooms_.find(g.room);
        if (it == rooms_.end()) continue;
        const std::size_t index = find_peer(it->second, g.peer);
        if (index == it->second.members.size()) continue;
        const Member& m = it->second.members[index];
        // A rejoin (live again, perhaps on another node) or a later disconnect (newer
        // deadline) supersedes this entry.
        if (m.node != this_node || m.outlet || m.gone_until != g.until) continue;
        remove_member(it->second, index);
    }
    update_gauges();
}

std::optional<Rooms::Clock::time_point> Rooms::next_expiry() const {
    if (grace_.empty()) return std::nullopt;
    return grace_.front().until;
}

std::uint64_t Rooms::random_seed() {
    std::random_device device;
    return (std::uint64_t{device()} << 32) | device();
}

std::vector<protocol::PeerInfo> Rooms::sample_others(const Room& room, std::size_t self) {
    const std::size_t others = room.members.size() - 1;
    const std::size_t count = std::min(others, limits_.joined_sample);
    std::vector<protocol::PeerInfo> out;
    out.reserve(count);
    auto list = [&out](const Member& m) {
        out.push_back({m.peer, m.name, std::string(m.session.view())});
    };
    if (count == others) { // a small room: everyone
        for (std::size_t i = 0; i < room.members.size(); ++i)
            if (i != self) list(room.members[i]);
        return out;
    }
    // Selection sampling (Knuth's Algorithm S) within two strata: live members, then those in
    // their grace period to make up a shortfall. Each member of a stratum is picked with
    // probability wanted/left, which makes every subset of the wanted size equally likely: no
    // member is favoured by its position (early members would become hubs everyone links to).
    // One pass over the room, like the peer-joined broadcast that follows.
    std::size_t live_left = 0;
    for (std::size_t i = 0; i < room.members.size(); ++i)
        if (i != self && room.members[i].live()) ++live_left;
    std::size_t away_left = others - live_left;
    std::size_t live_wanted = std::min(count, live_left);
    std::size_t away_wanted = count - live_wanted;
    auto below = [this](std::size_t n) { // uniform in [0, n)
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(random_);
    };
    for (std::size_t i = 0; i < room.members.size() && out.size() < count; ++i) {
        if (i == self) continue;
        const Member& m = room.members[i];
        std::size_t& left = m.live() ? live_left : away_left; // this member included
        std::size_t& wanted = m.live() ? live_wanted : away_wanted;
        if (wanted > 0 && below(left) < wanted) {
            list(m);
            --wanted;
        }
        --left;
    }
    return out;
}

void Rooms::remove_member(Room& room, std::size_t index) {
    if (room.members[index].node == this_node) {
        --room.local;
        --peers_;
    }
    const std::string peer = std::move(room.members[index].peer);
    room.slots.erase(peer);
    if (index + 1 < room.members.size()) {
        Member& moved = room.members[index] = std::move(room.members.back());
        room.slots[moved.peer] = index;
        if (moved.outlet) moved.outlet->slot_ = index;
    }
    room.members.pop_back();
    if (room.members.empty()) {
        rooms_.erase(rooms_.find(room.id)); // `room` dangles from here on
        return;
    }
    broadcast(room, nullptr, protocol::build_peer_left(peer));
}

Member* Rooms::find_member(const std::string& room_id, const std::string& peer) {
    return const_cast<Member*>(member(room_id, peer));
}

void Rooms::place(Outlet& who, Room& room, std::size_t index) {
    who.room_ = &room;
    who.slot_ = index;
}

void Rooms::admit(Outlet* who, const std::string& room_id, const std::string& peer,
                  const std::string& name, const SessionId& session, NodeIndex node) {
    auto it = rooms_.find(room_id);
    if (it == rooms_.end()) it = rooms_.emplace(room_id, Room{room_id, {}, {}}).first;
    Room& room = it->second;
    std::size_t index = find_peer(room, peer);
    const bool rejoin = index < room.members.size();
    Outlet* old = nullptr;
    if (rejoin) {
        Member& m = room.members[index];
        const bool same = m.session.view() == session.view() && m.node == node &&
                          (who == nullptr || who == m.outlet);
        if (same) { // an event this mirror already knows (a resync repeats them)
            m.name = name;
            m.away = false;
            return;
        }
        if (m.outlet != who) old = m.outlet;
        if (m.node == this_node && node != this_node) {
            --room.local;
            --peers_;
        } else if (m.node != this_node && node == this_node) {
            ++room.local;
            ++peers_;
        }
        m.outlet = node == this_node ? who : nullptr;
        m.node = node;
        m.away = false;
        m.name = name;
        m.session = session;
    } else {
        index = room.members.size();
        Member m{peer, name, session, node == this_node ? who : nullptr, {}};
        m.node = node;
        room.members.push_back(std::move(m));
        room.slots.emplace(peer, index);
        if (node == this_node) {
            ++room.local;
            ++peers_;
        }
    }
    if (who && node == this_node) {
        place(*who, room, index);
        who->deliver(protocol::build_joined(room.id, peer, session.view(), room.members.size(),
                                            sample_others(room, index)));
    }
    broadcast(room, who,
              rejoin ? protocol::build_peer_rejoined(peer, name, session.view())
                     : protocol::build_peer_joined(peer, name, session.view()));
    if (old) {
        old->room_ = nullptr;
        old->replaced();
    }
    update_gauges();
}

void Rooms::set_away(const std::string& room, const std::string& peer) {
    if (Member* m = find_member(room, peer); m && m->node != this_node) m->away = true;
}

void Rooms::remove(const std::string& room_id, const std::string& peer) {
    const auto it = rooms_.find(room_id);
    if (it == rooms_.end()) return;
    const std::size_t index = find_peer(it->second, peer);
    if (index == it->second.members.size()) return;
    Member& m = it->second.members[index];
    if (m.outlet) m.outlet->room_ = nullptr;
    remove_member(it->second, index);
    update_gauges();
}

void Rooms::forget(const std::string& room_id) {
    const auto it = rooms_.find(room_id);
    if (it == rooms_.end()) return;
    for (const Member& m : it->second.members)
        if (m.outlet) m.outlet->room_ = nullptr;
    peers_ -= it->second.local;
    rooms_.erase(it);
    update_gauges();
}

const Room* Rooms::find(const std::string& room) const {
    const auto it = rooms_.find(room);
    return it == rooms_.end() ? nullptr : &it->second;
}

const Member* Rooms::member(const std::string& room_id, const std::string& peer) const {
    const auto it = rooms_.find(room_id);
    if (it == rooms_.end()) return nullptr;
    const std::size_t index = find_peer(it->second, peer);
    return index == it->second.members.size() ? nullptr : &it->second.members[index];
}

Outlet* Rooms::outlet_of(const std::string& room_id, const std::string& peer) const {
    const Member* m = member(room_id, peer);
    return m ? m->outlet : nullptr;
}

const Member* Rooms::member_of(const Outlet& who) const {
    return who.room_ ? &who.room_->members[who.slot_] : nullptr;
}

void Rooms::broadcast(Room& room, const Outlet* except, const std::string& frame) {
    for (const Member& m : room.members)
        if (m.outlet && m.outlet != except) m.outlet->deliver(frame);
}

void Rooms::update_gauges() {
    metrics_.rooms = rooms_.size();
    metrics_.peers = peers_;
}

} // namespace peddlenet::server
