// listener.hpp: accepts TCP connections and hands each to an HTTP session.
// Needs: Boost.Asio, server/shared_state.hpp, server/http_session.hpp.
//  [X] binds in the constructor, so the caller can print the real port before run()
//  [X] out of file descriptors: the client waits in the backlog and accepting resumes shortly
#pragma once

#include "server/shared_state.hpp"

#include <boost/asio.hpp>

namespace peddlenet::server {

class Listener {
public:
    // Throws std::runtime_error when the address is not an IP address or the port is refused.
    explicit Listener(SharedState& state);
    void start();
    void stop();
    unsigned short port() const { return port_; }

private:
    void do_accept();
    void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

    SharedState& state_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer retry_timer_;
    unsigned short port_ = 0;
};

} // namespace peddlenet::server
