// room_model.hpp: what a WebSocket session asks of the room model, behind one interface with two
// implementations: Rooms (rooms.hpp), everything in this process; and ClusterRooms
// (cluster_rooms.hpp), rooms shared by server nodes over Redis.
// Needs: server/frame_scanner.hpp (message types), server/join_auth.hpp (SessionId).
//  [X] a connection is an Outlet: the model hands it frames and tells it when it was replaced
//  [X] every call returns at once; a Problem it returns goes to the caller as an `error`
#pragma once

#include "server/frame_scanner.hpp"
#include "server/join_auth.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace peddlenet::server {

struct Room;

// A connection as the room model sees it. Implementations must not call back into the model
// from deliver() or replaced(): it may be iterating members when it calls them.
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

class RoomModel {
public:
    using Clock = std::chrono::steady_clock;
    using Result = std::optional<protocol::Problem>; // nullopt: done, or the answer follows

    virtual ~RoomModel() = default;

    // `join` is already proven (join_auth.hpp); `session` names this join.
    virtual Result join(Outlet& who, const protocol::Join& join, const SessionId& session) = 0;
    virtual Result signal(Outlet& from, const protocol::Signal& signal) = 0;
    virtual Result leave(Outlet& who) = 0;
    // The socket closed (without leave): keep the member for the grace period.
    virtual void disconnect(Outlet& who, Clock::time_point now) = 0;
    // Ends grace periods that are over: `peer-left` to the rest of each room.
    virtual void expire(Clock::time_point now) = 0;
    // When the next grace period ends, if any.
    virtual std::optional<Clock::time_point> next_expiry() const = 0;
};

} // namespace peddlenet::server
