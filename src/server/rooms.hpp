// rooms.hpp: the room model. Who is in which room, joins, rejoins after a refresh, grace
// periods, and relaying signals between members of one room. No sockets: a connection is
// an Outlet, so the model is unit-tested with recording fakes.
// Needs: server/frame_scanner.hpp (message types), server/join_auth.hpp (SessionId),
// server/config.hpp (limits), server/metrics.hpp (gauges, counters).
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
#pragma once

#include "server/frame_scanner.hpp"
#include "server/join_auth.hpp"
#include "server/config.hpp"
#include "server/metrics.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace peddlenet::server {

struct Room;

// A connection as the room model sees it. Implementations must not call back into Rooms from
// deliver() or replaced(): Rooms may be iterating its members when it calls them.
class Outlet {
public:
    // Queue one text frame (a complete JSON message) for this connection.
    virtual void deliver(std::string frame) = 0;
    // A newer socket joined with this connection's peer id; this one is no longer in a room.
    virtual void replaced() = 0;

    bool in_room() const { return room_ != nullptr; }

protected:
    Outlet() = default;
    Outlet(const Outlet&) = delete;
    Outlet& operator=(const Outlet&) = delete;
    ~Outlet() = default;

private:
    friend class Rooms;
    Room* room_ = nullptr; // owned by Rooms; set while this connection is a member
    std::size_t slot_ = 0; // its index in room_->members while room_ is set
};

struct Member {
    std::string peer;
    std::string name;
    SessionId session;        // of the last successful join
    Outlet* outlet = nullptr; // nullptr while in the grace period
    std::chrono::steady_clock::time_point gone_until{};
};

struct Room {
    std::string id;
    // In no particular order: a removal moves the last member into the gap, so removing is O(1)
    // and the sample draws from dense indices. A live member's Outlet::slot_ follows its moves.
    std::vector<Member> members;
    std::unordered_map<std::string, std::size_t> slots; // peer id -> index in members
};

class Rooms {
public:
    using Clock = std::chrono::steady_clock;
    using Result = std::optional<protocol::Problem>; // nullopt: done

    // The `joined` sample draws from a generator seeded by std::random_device.
    Rooms(const Limits& limits, Metrics& metrics) : Rooms(limits, metrics, random_seed()) {}
    // Tests name the seed, so their samples repeat.
    Rooms(const Limits& limits, Metrics& metrics, std::uint64_t seed)
        : limits_(limits), metrics_(metrics), random_(seed) {}

    // `join` is already proven (join_auth.hpp); `session` names this join.
    Result join(Outlet& who, const protocol::Join& join, const SessionId& session);
    Result signal(Outlet& from, const protocol::Signal& signal);
    Result leave(Outlet& who);
    // The socket closed (without leave): keep the member for the grace period.
    void disconnect(Outlet& who, Clock::time_point now);
    // Ends grace periods that are over: `peer-left` to the rest of each room.
    void expire(Clock::time_point now);
    // When the next grace period ends, if any.
    std::optional<Clock::time_point> next_expiry() const;

    std::size_t room_count() const { return rooms_.size(); }
    std::size_t peer_count() const { return peers_; }

private:
    static std::uint64_t random_seed();
    // What `joined` lists for the member at `self`.
    std::vector<protocol::PeerInfo> sample_others(const Room& room, std::size_t self);
    void remove_member(Room& room, std::size_t index);
    void broadcast(Room& room, const Outlet* except, const std::string& frame);
    void update_gauges();

    const Limits& limits_;
    Metrics& metrics_;
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
