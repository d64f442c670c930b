// server.hpp: the PeddleNet server: static files, /healthz, /metrics and WebSocket signaling
// at /ws on one port, plain or TLS. One io_context thread (see server.cpp for why).
// Needs: Boost.Beast / Asio, OpenSSL, server/config.hpp.
//  [X] binds in the constructor, so the caller can print the real port before run()
//  [X] run() returns after SIGTERM/SIGINT once every socket got its close frame (<= 3 s)
#pragma once

#include "server/config.hpp"

#include <memory>

namespace peddlenet::server {

class Server {
public:
    // Throws std::runtime_error when the environment refuses (root missing, port taken, TLS
    // files unreadable).
    explicit Server(Config config);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    unsigned short port() const;
    bool tls() const;
    // Serves until SIGTERM or SIGINT, then stops gracefully.
    void run();

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace peddlenet::server
