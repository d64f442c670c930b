// shared_state.hpp: what the listener and the sessions share on the server's one thread: the
// configuration, the static files, the room model, the metrics, the lists of live sessions,
// the read buffer every plain connection reads into, and the clock of the current event.
// Needs: Boost.Asio, server/config.hpp, server/room_model.hpp, server/static_files.hpp,
// server/metrics.hpp.
//  [X] single thread: no locks; every member is used from the io_context's thread only
//  [X] the room model's grace periods are timed here (schedule_grace), not in the sessions
#pragma once

#include "server/config.hpp"
#include "server/metrics.hpp"
#include "server/room_model.hpp"
#include "server/static_files.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace peddlenet::server {

class ClusterRooms;

// Bytes read per readiness event; frames larger than this arrive over several reads.
constexpr std::size_t read_chunk_bytes = 64 * 1024;

// A session the server can sweep (idle pings, timeouts) and stop (graceful shutdown).
struct Tracked {
    using Clock = std::chrono::steady_clock;
    Tracked* prev = nullptr;
    Tracked* next = nullptr;
    virtual void sweep(Clock::time_point now) = 0;
    virtual void stop() = 0;

protected:
    ~Tracked() = default;
};

// Intrusive list of live sessions: 16 bytes per session, O(1) unlink, used by the sweep and the
// graceful stop.
class TrackedList {
public:
    void add(Tracked* t) {
        t->next = head_;
        t->prev = nullptr;
        if (head_) head_->prev = t;
        head_ = t;
        ++size_;
    }
    void remove(Tracked* t) {
        if (t->prev) t->prev->next = t->next;
        else head_ = t->next;
        if (t->next) t->next->prev = t->prev;
        t->prev = t->next = nullptr;
        --size_;
    }
    // `f` may remove the element it is given (but no other).
    template <class F> void for_each(F f) {
        for (Tracked* t = head_; t;) {
            Tracked* next = t->next;
            f(*t);
            t = next;
        }
    }
    std::size_t size() const { return size_; }

private:
    Tracked* head_ = nullptr;
    std::size_t size_ = 0;
};

struct SharedState {
    using Clock = std::chrono::steady_clock;

    // Throws std::runtime_error for an unusable --root or TLS files.
    explicit SharedState(Config config);
    ~SharedState();
    SharedState(const SharedState&) = delete;
    SharedState& operator=(const SharedState&) = delete;

    // A member's socket closed: make sure the room model's next grace expiry is timed.
    void schedule_grace();
    // "ok", or "degraded: ..." when this cluster node cannot reach Redis.
    std::string health() const;

    Config config;
    const Limits& limits = config.limits;
    std::optional<boost::asio::ssl::context> tls; // set with --tls-cert
    StaticFiles files;
    Metrics metrics;
    std::unique_ptr<RoomModel> rooms;
    ClusterRooms* cluster = nullptr; // the same model, with --redis
    TrackedList ws_sessions;
    TrackedList http_sessions;
    std::vector<std::uint8_t> scratch = std::vector<std::uint8_t>(read_chunk_bytes);
    Clock::time_point now = Clock::now(); // refreshed on every read event
    bool stopping = false;
    // Declared after the state above: destroying it destroys pending handlers and with them
    // sessions, which still touch the rooms, the metrics and the lists. Only this thread ever
    // runs it, so the reactor may skip its per-operation locking.
    boost::asio::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};

private:
    boost::asio::steady_timer grace_timer_{ioc};
    bool grace_armed_ = false;
};

} // namespace peddlenet::server
