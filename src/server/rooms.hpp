// rooms.hpp: the room model of one process (room_model.hpp). Who is in which room, joins,
// rejoins after a refresh, grace periods, and relaying signals between members of one room. No
// sockets: a connection is an Outlet, so the model is unit-tested with recording fakes.
// Needs: server/room_model.hpp (Outlet, message types), server/config.hpp (limits),
// server/metrics.hpp (gauges, counters).
//  [X] join -> `joined` to the joiner, `peer-joined` to the others; each join has the session
//      the caller names (the proof of identity is checked before: join_auth.hpp)
//  [X] `joined` carries the room's size and at most Limits::joined_sample others: everyone in a
//      small room, else a uniform random sample, members with a live socket first
//  [X] members found by peer id and by socket in O(1), so rooms of thousands stay cheap
//  [X] the same peer id joining again replaces the old socket; others get `peer-rejoined` with
//      the new session, never peer-left + peer-joined (also during the grace period, in which
//      a member keeps its last session)
//  [X] socket closed without leave -> `peer-left` only after the grace period
//  [X] relay fills in `from` from what the server knows; `to` must be in the sender's room
//  [X] limits: peers per room, rooms per server; empty rooms are deleted
//  [X] as a cluster node's mirror (cluster_rooms.hpp): members held by other nodes, applied in
//      Redis's order (admit, set_away, remove); a signal to one of them goes to a Router
#pragma once

#include "server/config.hpp"
#include "server/metrics.hpp"
#include "server/room_model.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace peddlenet::server {

// A node of the cluster, as the mirror numbers them; this process is always node 0.
using NodeIndex = std::uint32_t;
constexpr NodeIndex this_node = 0;

struct Member {
    std::string peer;
    std::string name;
    SessionId session;        // of the last successful join
    Outlet* outlet = nullptr; // nullptr while in the grace period, and for other nodes' members
    std::chrono::steady_clock::time_point gone_until{};
    NodeIndex node = this_node; // the node holding its socket
    bool away = false;          // another node's member in its grace period
    bool live() const { return node == this_node ? outlet != nullptr : !away; }
};

// Where a cluster node sends a signal for a member another node holds.
class Router {
public:
    // False when that node cannot be reached now (the signal is dropped, and its sender told).
    virtual bool route(NodeIndex node, const std::string& room, const std::string& from,
                       const std::string& to, std::string frame) = 0;

protected:
    ~Router() = default;
};

struct Room {
    std::string id;
    // In no particular order: a removal moves the last member into the gap, so removing is O(1)
    // and the sample draws from dense indices. A live member's Outlet::slot_ follows its moves.
    std::vector<Member> members;
    std::unordered_map<std::string, std::size_t> slots; // peer id -> index in members
    std::size_t local = 0; // members this node holds (node == this_node)
};

class Rooms final : public RoomModel {
public:
    // The `joined` sample draws from a generator seeded by std::random_device.
    Rooms(const Limits& limits, Metrics& metrics) : Rooms(limits, metrics, random_seed()) {}
    // Tests name the seed, so their samples repeat.
    Rooms(const Limits& limits, Metrics& metrics, std::uint64_t seed)
        : limits_(limits), metrics_(metrics), random_(seed) {}

    Result join(Outlet& who, const protocol::Join& join, const SessionId& session) override;
    Result signal(Outlet& from, const protocol::Signal& signal) override;
    Result leave(Outlet& who) override;
    void disconnect(Outlet& who, Clock::time_point now) override;
    void expire(Clock::time_point now) override;
    std::optional<Clock::time_point> next_expiry() const override;

    std::size_t room_count() const { return rooms_.size(); }
    // Members this node holds, live or in their grace period.
    std::size_t peer_count() const { return peers_; }

    // [SECTION] as a cluster node's mirror. No limits are checked here: Redis checked them.
    void set_router(Router* router) { router_ = router; }
    // Puts `peer` in `room` as `node` holds it, `who` being its socket when this node holds it
    // (nullptr: the socket closed meanwhile). `joined` goes to `who`; the room's other local
    // members get `peer-joined`, or `peer-rejoined` when the peer was a member (whose old local
    // socket, if any, is replaced). Nothing is announced when nothing changed.
    void admit(Outlet* who, const std::string& room, const std::string& peer,
               const std::string& name, const SessionId& session, NodeIndex node);
    // Another node's member lost its socket (it is in its grace period there).
    void set_away(const std::string& room, const std::string& peer);
    // `peer-left` to the rest of the room; the room goes once empty.
    void remove(const std::string& room, const std::string& peer);
    // Drops a room from the mirror without a word (no local member is in it).
    void forget(const std::string& room);
    // Takes `who` out of its room, leaving its member in place without a socket, and no grace
    // period of this process (Redis times it). Returns the member, or nullptr.
    const Member* detach(Outlet& who);
    // Starts this process's own grace period for a member detach() left (Redis unreachable).
    void begin_grace(const std::string& room, const std::string& peer, Clock::time_point now);

    const Room* find(const std::string& room) const;
    const Room* room_of(const Outlet& who) const { return who.room_; }
    const Member* member_of(const Outlet& who) const;
    const Member* member(const std::string& room, const std::string& peer) const;
    // The socket this node holds for `peer` in `room`, or nullptr.
    Outlet* outlet_of(const std::string& room, const std::string& peer) const;
    template <class F> void for_each_room(F f) const {
        for (const auto& [id, room] : rooms_) f(room);
    }

private:
    static std::uint64_t random_seed();
    // What `joined` lists for the member at `self`.
    std::vector<protocol::PeerInfo> sample_others(const Room& room, std::size_t self);
    void remove_member(Room& room, std::size_t index);
    void broadcast(Room& room, const Outlet* except, const std::string& frame);
    void update_gauges();

    Member* find_member(const std::string& room, const std::string& peer);
    void place(Outlet& who, Room& room, std::size_t index);

    const Limits& limits_;
    Metrics& metrics_;
    Router* router_ = nullptr;
    std::mt19937_64 random_; // not a secret: it only spreads who is introduced to whom
    std::unordered_map<std::string, Room> rooms_; // node-based: Room* stays valid until erase
    std::size_t peers_ = 0;
    struct Grace {
        Clock::time_point until;
        std::string room;
        std::string peer;
    };
    std::deque<Grace> grace_; // in `until` order, since the grace period is one constant
};

} // namespace peddlenet::server
