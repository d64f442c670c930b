// config.hpp: everything the server can be told on its command line, with defaults and reasons.
// Needs: nothing but the standard library (parsing is unit-tested without a server).
//  [X] every limit is a named field with its unit, default and reason, settable by a flag
//  [X] port from --port, else env PORT, else 8080
//  [X] --help text generated from the same table the parser uses
#pragma once

#include "server/turn_credentials.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace peddlenet::server {

struct Limits {
    // max_frame_bytes: bytes, default 65536. Largest WebSocket message accepted; an SDP offer
    // with many candidates is ~10 KB, so 64 KiB is generous while bounding per-socket memory.
    // Larger frames get `too-large` and close code 1009.
    std::size_t max_frame_bytes = 64 * 1024;
    // max_connections: WebSocket connections, default 0 = fd limit minus a reserve for files and
    // HTTP. Beyond it a new socket gets `server-full` and close code 1013 (try again later).
    std::size_t max_connections = 0;
    // max_rooms: rooms, default 100000. Bounds memory against clients inventing rooms.
    std::size_t max_rooms = 100000;
    // max_peers_per_room: peers, default 5000. A room above a small size is a partial mesh
    // (each client links to a few members), so WebRTC sets no bound here; this one protects the
    // server's memory and caps the fan-out of one join's announcement.
    std::size_t max_peers_per_room = 5000;
    // joined_sample: members, default 32, at least 1 and at most protocol::max_joined_peers
    // (clients refuse longer lists). The most others a `joined` lists: a larger room gets a
    // random sample, so the frame stays small (32 of the widest entries are ~7 KB, where 5000
    // would pass the 64 KiB frame limit) and no member becomes the hub everyone links to.
    std::size_t joined_sample = 32;
    // rate_per_sec / rate_burst: messages per connection, default 100/s sustained with a burst
    // of 400. Joining a busy room releases a burst of ICE candidates (~10 per peer); the relay
    // benchmark's busiest client sends 80/s. Over the limit a message is dropped with
    // `rate-limited` (that error itself is sent at most once per second).
    double rate_per_sec = 100;
    double rate_burst = 400;
    // max_queue_bytes: bytes of unsent frames per connection, default 262144. A phone that stops
    // reading is dropped when its queue passes this, so memory stays bounded (Beast does no
    // queueing of its own).
    std::size_t max_queue_bytes = 256 * 1024;
    // grace: how long a peer whose socket closed without `leave` stays in its room, default 5 s.
    // A page refresh reconnects well within it and is announced as `peer-rejoined`.
    std::chrono::milliseconds grace{5000};
    // idle_timeout: a WebSocket silent this long is pinged; silent twice as long, closed.
    // Default 30 s: below common NAT/Wi-Fi idle timeouts, and browsers answer pings unprompted.
    std::chrono::milliseconds idle_timeout{30000};
    // http_timeout: time allowed to send one HTTP request (headers) or finish a TLS handshake,
    // default 15 s; stops slowloris-style clients from pinning sockets.
    std::chrono::milliseconds http_timeout{15000};
    // pace: how often a busy server takes in its sockets' events; 0 = at every event. Default
    // (nullopt, resolved by parse_args): 4 ms for a cluster node (--redis), 0 alone. Each wake-up
    // of the event loop costs system calls and a context switch; where nodes share cores with
    // Redis and each other, taking events one at a time cost 25-45 % more CPU per signal
    // (docs/BENCHMARKS.md, "event pacing"). A process alone gained nothing measurable, and its
    // median latency grew from 0.5 to 2 ms, so it stays unpaced. A turn after a quiet spell
    // starts at once; under load a signal waits at most `pace` per node.
    std::optional<std::chrono::milliseconds> pace;
};
inline constexpr std::chrono::milliseconds cluster_node_pace{4}; // Limits::pace with --redis

struct Config {
    std::string root;                  // --root: directory served as the web root (required)
    std::string host = "0.0.0.0";      // --host: bind address; all interfaces so phones reach it
    unsigned short port = 8080;        // --port, else env PORT, else 8080; 0 picks a free port
    std::string tls_cert;              // --tls-cert: PEM certificate chain (enables https/wss)
    std::string tls_key;               // --tls-key: PEM private key
    bool show_qr = true;               // --no-qr: skip the terminal QR code
    std::string log_level = "info";    // --log-level: debug | info | warn | error
    // --turn-port: a TURN server (coturn, started beside us by scripts/run.sh --turn) listens on
    // this port of the address each phone reached us by; 0 = none. Its shared secret comes from
    // --turn-secret-file (main reads it into turn_secret); --turn-ttl-s sets how long the
    // credentials handed out hold (default 12 h, at most 24 h).
    unsigned short turn_port = 0;
    std::string turn_secret_file;
    std::string turn_secret;
    std::chrono::seconds turn_ttl{12 * 3600};
    // --redis: redis://HOST:PORT makes this server a node of a cluster: rooms span every node
    // on that Redis (docs/SCALING.md). Empty: one process, no Redis.
    std::string redis;
    Limits limits;
};

struct HelpRequested {
    std::string text;
};
struct ConfigError {
    std::string message;
};

// Parses argv (without argv[0]). `env_port` is the value of $PORT, if set.
std::variant<Config, HelpRequested, ConfigError>
parse_args(const std::vector<std::string>& args, std::optional<std::string> env_port);

} // namespace peddlenet::server
