// http_session.hpp: an HTTP connection: static files, /healthz, /metrics, and the upgrade that
// hands the socket to a WebSocket session at /ws. Plain or TLS, as the server is configured.
// Needs: server/shared_state.hpp, server/websocket_session.hpp, server/static_files.hpp.
//  [X] GET and HEAD only; request headers are bounded and a request body is refused
//  [X] beast::tcp_stream's timeouts stop slow clients (Limits::http_timeout)
#pragma once

#include "server/shared_state.hpp"

#include <boost/asio.hpp>

namespace peddlenet::server {

// Serves HTTP on a freshly accepted socket (after the TLS handshake when TLS is configured).
void start_http_session(SharedState& state, boost::asio::ip::tcp::socket socket);

} // namespace peddlenet::server
