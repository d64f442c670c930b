// listener.cpp: see listener.hpp.
#include "server/listener.hpp"

#include "server/http_session.hpp"
#include "server/log.hpp"

#include <stdexcept>

namespace peddlenet::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Pause before accepting again when out of file descriptors (the backlog keeps the client).
constexpr auto accept_retry = std::chrono::milliseconds(100);

} // namespace

Listener::Listener(SharedState& state)
    : state_(state), acceptor_(state.ioc), retry_timer_(state.ioc) {
    const Config& config = state_.config;
    boost::system::error_code ec;
    const auto address = net::ip::make_address(config.host, ec);
    if (ec) throw std::runtime_error("--host " + config.host + " is not an IP address");
    const tcp::endpoint endpoint(address, config.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
        throw std::runtime_error("cannot listen on " + config.host + ":" +
                                 std::to_string(config.port) + ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();
}

void Listener::start() { do_accept(); }

void Listener::stop() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    retry_timer_.cancel();
}

void Listener::do_accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
        on_accept(ec, std::move(socket));
    });
}

void Listener::on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (state_.stopping || ec == net::error::operation_aborted) return;
    if (ec) {
        // Out of descriptors: the client waits in the backlog; try again shortly.
        log::write(log::Level::warn, "accept-failed", {{"error", ec.message()}});
        retry_timer_.expires_after(accept_retry);
        retry_timer_.async_wait([this](boost::system::error_code e) {
            if (!e && !state_.stopping) do_accept();
        });
        return;
    }
    boost::system::error_code opt_ec;
    socket.set_option(tcp::no_delay(true), opt_ec); // signals are small and latency-bound
    start_http_session(state_, std::move(socket));
    do_accept();
}

} // namespace peddlenet::server
