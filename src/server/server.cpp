// server.cpp: see server.hpp. The parts, as in Beast's chat examples: shared_state.hpp (what the
// sessions share), listener.hpp (accept), http_session.hpp (files, health, metrics, upgrade),
// websocket_session.hpp (signaling). This file runs them: the sweep and the graceful stop.
//
// Design note: one io_context thread. Signaling is I/O bound and tiny per message; one thread
// needs no locks or strands, and leaves the second core to the kernel's TCP work.
#include "server/server.hpp"

#include "server/cluster_rooms.hpp"
#include "server/listener.hpp"
#include "server/log.hpp"
#include "server/shared_state.hpp"

#include <boost/asio.hpp>

#include <algorithm>
#include <thread>

namespace peddlenet::server {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// Graceful stop: longest wait for clients to answer close frames after SIGTERM.
constexpr auto stop_timeout = std::chrono::seconds(3);
// Idle-ping, close-timeout and idle-timeout checks run at most this far apart (and at least
// four times per idle timeout, so the ping always precedes the close).
constexpr auto max_sweep_interval = std::chrono::milliseconds(1000);
constexpr auto min_sweep_interval = std::chrono::milliseconds(10);

} // namespace

class Server::Impl {
public:
    explicit Impl(Config config) : state_(std::move(config)), listener_(state_) {}
    void run();
    unsigned short port() const { return listener_.port(); }
    bool tls() const { return state_.tls.has_value(); }

private:
    void run_paced();
    void do_sweep();
    void stop();
    void wait_for_sessions(Clock::time_point deadline);

    SharedState state_;
    Listener listener_;
    net::signal_set signals_{state_.ioc, SIGINT, SIGTERM};
    net::steady_timer sweep_timer_{state_.ioc};
    net::steady_timer stop_timer_{state_.ioc};
};

void Server::Impl::run() {
    signals_.async_wait([this](boost::system::error_code ec, int signo) {
        if (ec) return;
        log::write(log::Level::info, "stopping", {{"signal", std::to_string(signo)}});
        stop();
    });
    if (state_.cluster) state_.cluster->start();
    listener_.start();
    do_sweep();
    log::write(log::Level::info, "listening",
               {{"port", std::to_string(port())}, {"tls", tls() ? "on" : "off"},
                {"max_connections", std::to_string(state_.limits.max_connections)},
                {"root", state_.files.root().string()}});
    run_paced();
    log::write(log::Level::info, "stopped",
               {{"connections_left", std::to_string(state_.ws_sessions.size())}});
}

// Runs the io_context in turns: a turn takes in every event that is ready and runs its
// handlers. Turns begin at least `pace` apart, so under load one wake-up serves the events of
// the whole interval, while the first event after a quiet spell is handled at once.
void Server::Impl::run_paced() {
    const auto pace = state_.limits.pace.value_or(std::chrono::milliseconds(0));
    if (pace.count() == 0) { // a turn per handler, as Asio's own run() goes
        while (state_.ioc.run_one() != 0) ++state_.metrics.loop_turns;
        return;
    }
    Clock::time_point turn{};
    for (;;) {
        if (const auto due = turn + pace; Clock::now() < due) std::this_thread::sleep_until(due);
        turn = Clock::now();
        if (state_.ioc.run_one() == 0) return; // stopped, or nothing left to do
        state_.ioc.poll();
        ++state_.metrics.loop_turns;
        if (state_.ioc.stopped()) return;
    }
}

void Server::Impl::do_sweep() {
    sweep_timer_.expires_after(std::clamp(
        std::chrono::duration_cast<std::chrono::milliseconds>(state_.limits.idle_timeout / 4),
        min_sweep_interval, max_sweep_interval));
    sweep_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec) return;
        state_.now = Clock::now();
        state_.ws_sessions.for_each([this](Tracked& t) { t.sweep(state_.now); });
        do_sweep();
    });
}

void Server::Impl::stop() {
    if (state_.stopping) return;
    state_.stopping = true;
    listener_.stop();
    state_.http_sessions.for_each([](Tracked& t) { t.stop(); });
    state_.now = Clock::now();
    state_.ws_sessions.for_each([](Tracked& t) { t.stop(); });
    wait_for_sessions(Clock::now() + stop_timeout);
}

void Server::Impl::wait_for_sessions(Clock::time_point deadline) {
    if ((state_.ws_sessions.size() == 0 && state_.http_sessions.size() == 0) ||
        Clock::now() >= deadline) {
        state_.ioc.stop();
        return;
    }
    stop_timer_.expires_after(std::chrono::milliseconds(50));
    stop_timer_.async_wait([this, deadline](boost::system::error_code ec) {
        if (!ec) wait_for_sessions(deadline);
    });
}

Server::Server(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Server::~Server() = default;
unsigned short Server::port() const { return impl_->port(); }
bool Server::tls() const { return impl_->tls(); }
void Server::run() { impl_->run(); }

} // namespace peddlenet::server
