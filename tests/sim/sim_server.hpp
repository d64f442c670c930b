// sim_server.hpp: the signaling server of the mesh simulator: the real room model
// (server/rooms.hpp) behind simulated WebSockets with a latency per phone. No sockets, no join
// proofs (join_auth.hpp is tested elsewhere): each phone is an Outlet whose frames reach it
// after its latency, as the JSON text the real server would write.
// Needs: server/rooms.hpp, event_queue.hpp, unit/rooms_support.hpp (clock, sessions).
//  [X] join / signal / leave reach the room model after the phone's latency, frames come back
//      after it too, in order (one latency per phone and FIFO ties keep a socket ordered)
//  [X] a dead phone's socket is closed by the server later (idle timeout), and the room model's
//      grace period runs on simulated time before the others get peer-left
//  [X] stop(): the server is unreachable from now on; frames still on the way are lost
//  [ ] rate limits and send queues of the real session class (server.cpp) are not simulated
#pragma once

#include "event_queue.hpp"
#include "server/rooms.hpp"
#include "unit/rooms_support.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace peddlenet::sim {

class SimServer {
public:
    // Hands a server frame to phone `peer` (called when it arrives there).
    using Deliver = std::function<void(int peer, const std::string& frame)>;

    SimServer(EventQueue& queue, std::uint64_t seed, server::Limits limits, Deliver deliver)
        : queue_(queue), limits_(limits), rooms_(limits_, metrics_, seed),
          deliver_(std::move(deliver)) {}
    SimServer(const SimServer&) = delete;
    SimServer& operator=(const SimServer&) = delete;

    // Registers phone `peer` (dense indices from 0) with its one-way latency to the server.
    void add_client(int peer, double latency_ms) {
        sockets_.push_back(std::make_unique<Socket>(*this, peer, latency_ms));
    }

    void join(int peer, const std::string& room, const std::string& id, const std::string& name) {
        from_client(peer, [this, peer, room, id, name] {
            const protocol::Join join{room, id, name, "unchecked"};
            if (rooms_.join(socket(peer), join, testing::numbered_session(++sessions_))) ++refused;
        });
    }
    void signal(int peer, const std::string& to, std::string data_json) {
        from_client(peer, [this, peer, to, data = std::move(data_json)] {
            if (rooms_.signal(socket(peer), protocol::Signal{to, data})) ++refused;
            else ++signals_relayed;
        });
    }
    void leave(int peer) {
        from_client(peer, [this, peer] { rooms_.leave(socket(peer)); });
    }
    // The server gives up on a silent socket (the phone died): the member keeps its place for
    // the grace period, then the others get peer-left.
    void socket_dead(int peer) {
        if (!up_) return;
        rooms_.disconnect(socket(peer), testing::rooms_time(queue_.now()));
        queue_.after(static_cast<double>(limits_.grace.count()) + 1.0,
                     [this] { rooms_.expire(testing::rooms_time(queue_.now())); });
    }
    // Every socket drops and nothing gets through any more.
    void stop() { up_ = false; }
    std::size_t members() const { return rooms_.peer_count(); }

    std::uint64_t frames_to_clients = 0;
    std::uint64_t bytes_to_clients = 0;
    std::uint64_t signals_relayed = 0;
    std::uint64_t refused = 0; // joins and signals the room model answered with an error

private:
    struct Socket final : server::Outlet {
        Socket(SimServer& server, int peer, double latency_ms)
            : server(server), peer(peer), latency_ms(latency_ms) {}
        void deliver(std::string frame) override { server.to_client(*this, std::move(frame)); }
        void replaced() override {}
        SimServer& server;
        int peer;
        double latency_ms;
    };

    Socket& socket(int peer) { return *sockets_[static_cast<std::size_t>(peer)]; }

    void from_client(int peer, std::function<void()> task) {
        if (!up_) return;
        queue_.after(socket(peer).latency_ms, [this, task = std::move(task)] {
            if (up_) task();
        });
    }
    void to_client(const Socket& s, std::string frame) {
        ++frames_to_clients;
        bytes_to_clients += frame.size();
        queue_.after(s.latency_ms, [this, peer = s.peer, frame = std::move(frame)] {
            if (up_) deliver_(peer, frame);
        });
    }

    EventQueue& queue_;
    server::Limits limits_;
    server::Metrics metrics_;
    server::Rooms rooms_;
    Deliver deliver_;
    std::vector<std::unique_ptr<Socket>> sockets_;
    std::uint64_t sessions_ = 0;
    bool up_ = true;
};

} // namespace peddlenet::sim
