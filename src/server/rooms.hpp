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
