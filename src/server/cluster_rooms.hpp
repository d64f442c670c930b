// cluster_rooms.hpp: the room model of a cluster node (--redis). Rooms span nodes: Redis holds
// who is in each room, decides every join atomically (cluster_scripts.hpp), and publishes each
// change on the room's channel; every node mirrors the rooms its own sockets are in (a Rooms
// holding the other nodes' members too), applies the changes in Redis's order, and sends a
// signal for a member another node holds straight to that node's channel.
// Needs: server/rooms.hpp (the mirror), server/redis_link.hpp, server/cluster_wire.hpp,
// server/cluster_scripts.hpp.
//  [X] joined / peer-joined / peer-rejoined / peer-left reach members on every node; room size,
//      room count, grace and refresh-replaces-socket hold cluster-wide
//  [X] presence by heartbeat: a node whose heartbeat expires has its members put in their
//      grace period by the others; if they rejoin elsewhere in time: peer-rejoined
//  [X] Redis unreachable: degraded; each node serves what it holds (joins, signals between its
//      own sockets, its own grace periods); a signal it cannot pass on is answered with an
//      error to its sender; when Redis is back, each room is restored and resynchronised
//  [X] a gap in a room's events (a lost message) resynchronises that room
#pragma once

#include "server/cluster_wire.hpp"
#include "server/redis_link.hpp"
#include "server/rooms.hpp"

#include <boost/asio.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace peddlenet::server {

class ClusterRooms final : public RoomModel, private Router {
public:
    ClusterRooms(boost::asio::io_context& ioc, const Limits& limits, Metrics& metrics,
                 RedisAddress redis);
    ~ClusterRooms() override;

    // Connects to Redis and starts the heartbeat.
    void start();
    // Lets go of Redis and the timers, before the io_context goes; the model then serves as a
    // single process would.
    void close();
    // Called when this model started a grace period of its own (Redis unreachable).
    void set_grace_scheduler(std::function<void()> schedule) { schedule_grace_ = std::move(schedule); }

    bool degraded() const { return degraded_; }
    const std::string& node_id() const { return node_; }

    Result join(Outlet& who, const protocol::Join& join, const SessionId& session) override;
    Result signal(Outlet& from, const protocol::Signal& signal) override;
    Result leave(Outlet& who) override;
    void disconnect(Outlet& who, Clock::time_point now) override;
    void expire(Clock::time_point now) override { mirror_.expire(now); }
    std::optional<Clock::time_point> next_expiry() const override { return mirror_.next_expiry(); }

private:
    // What this node knows of a room's order of events.
    struct RoomSync {
        bool loaded = false;       // the room's state was read: events apply from `applied` on
        std::uint64_t applied = 0; // the last event applied
        std::map<std::uint64_t, cluster::RoomEvent> ahead; // arrived before their turn
        Clock::time_point gap_since{};
        std::size_t joining = 0; // joins of this node waiting for Redis
        bool restoring = false;
        // Other nodes' members were missing from a restored state: look again then, and remove
        // those still missing (final_pass).
        std::optional<Clock::time_point> recheck_at;
        bool final_pass = false;
    };
    struct PendingJoin {
        Outlet* who;
        std::string room;
        std::string peer;
        std::string name;
        SessionId session;
    };
    // Signals for one node. The two buffers take turns, so that after the first batches no
    // flush allocates.
    struct Outgoing {
        std::string channel;    // the node's channel
        std::string message;    // cluster::NodeMessage of signals, encoded; empty: none waits
        std::string in_flight;  // the message whose PUBLISH awaits its reply; empty: none
    };

    bool route(NodeIndex node, const std::string& room, const std::string& from,
               const std::string& to, std::string frame) override;
    // Sends what waits at the end of this turn, or when the batch window since the last flush
    // has passed.
    void schedule_flush();
    void flush();
    void flush(NodeIndex node);
    // Tells the senders of the signals in `message` (a NodeMessage) that they were dropped.
    void bounce(std::string_view message);

    void send_join(const std::string& session);
    void on_join_reply(const std::string& session, const RedisReply* reply);
    void join_alone(PendingJoin pending); // Redis unreachable: this node decides
    void send_leave(const std::string& room, const std::string& peer, const SessionId& session,
                    bool with_grace);

    void on_message(std::string_view channel, std::string_view message);
    void on_node_message(const cluster::NodeMessage& m);
    void on_event(const std::string& room, cluster::RoomEvent e);
    void apply(const std::string& room, const cluster::RoomEvent& e);
    // Loads the room's state ({seq, peer, record, ...}); `skip_session` is a join of ours that
    // its own event will admit.
    void load_state(const std::string& room, const RedisReply& state, std::string_view skip_session);
    void drain(const std::string& room);
    void release_if_unused(const std::string& room);

    void tick();
    void beat(); // the heartbeat, which also reaps dead nodes and ends grace periods
    void links_changed();
    void restore(const std::string& room);
    void restore_all();

    NodeIndex intern(const std::string& node);

    boost::asio::io_context& ioc_;
    const Limits& limits_;
    Metrics& metrics_;
    Rooms mirror_;
    std::string node_;             // this node's id, random per process
    std::string node_channel_;     // where other nodes send us signals
    std::vector<std::string> node_names_; // by NodeIndex; [0] is this node
    std::unordered_map<std::string, NodeIndex> node_index_;
    std::unique_ptr<RedisLink> commands_;
    std::unique_ptr<RedisLink> events_;
    std::unique_ptr<boost::asio::steady_timer> tick_timer_;
    std::unique_ptr<boost::asio::steady_timer> flush_timer_;
    std::unordered_map<std::string, RoomSync> sync_;
    std::unordered_map<std::string, PendingJoin> joining_;      // by session
    std::unordered_map<const Outlet*, std::string> joining_of_; // socket -> session
    std::unordered_map<NodeIndex, Outgoing> outbox_;
    bool flush_scheduled_ = false;
    Clock::time_point last_flush_{};
    bool degraded_ = true; // until both links are up
    bool beating_ = false; // a heartbeat went out since the links came up
    bool closed_ = false;
    std::function<void()> schedule_grace_;
};

} // namespace peddlenet::server
