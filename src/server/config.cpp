// config.cpp: see config.hpp.
#include "server/config.hpp"

#include "core/signaling_protocol.hpp"

#include <charconv>
#include <functional>
#include <limits>

namespace peddlenet::server {
namespace {

template <class T> bool parse_number(const std::string& s, T& out) {
    const char* end = s.data() + s.size();
    const auto r = std::from_chars(s.data(), end, out);
    return r.ec == std::errc() && r.ptr == end;
}

struct Flag {
    const char* name;
    const char* arg; // nullptr for switches
    const char* help;
    // Applies the value; returns an error sentence or "".
    std::function<std::string(Config&, const std::string&)> apply;
};

template <class T>
auto number_into(T Limits::*field, T min, T max = std::numeric_limits<T>::max()) {
    return [field, min, max](Config& c, const std::string& v) -> std::string {
        T n{};
        if (!parse_number(v, n) || n < min || n > max)
            return "expects a number >= " + std::to_string(min) +
                   (max < std::numeric_limits<T>::max() ? " and <= " + std::to_string(max) : "");
        c.limits.*field = n;
        return "";
    };
}

// Field: std::chrono::milliseconds, or an optional one whose default is resolved later.
template <typename Field>
auto ms_into(Field Limits::*field) {
    return [field](Config& c, const std::string& v) -> std::string {
        long long n = 0;
        if (!parse_number(v, n) || n < 0) return "expects milliseconds >= 0";
        c.limits.*field = std::chrono::milliseconds(n);
        return "";
    };
}

auto port_into(unsigned short Config::*field, unsigned min) {
    return [field, min](Config& c, const std::string& v) -> std::string {
        unsigned n = 0;
        if (!parse_number(v, n) || n < min || n > 65535)
            return "expects " + std::to_string(min) + "..65535";
        c.*field = static_cast<unsigned short>(n);
        return "";
    };
}

const std::vector<Flag>& flags() {
    static const std::vector<Flag> table = {
        {"--root", "DIR", "directory to serve (required)",
         [](Config& c, const std::string& v) {
             c.root = v;
             return std::string();
         }},
        {"--port", "N", "TCP port (default: $PORT, else 8080; 0 picks a free one)",
         port_into(&Config::port, 0)},
        {"--host", "ADDR", "address to bind (default 0.0.0.0: every interface)",
         [](Config& c, const std::string& v) {
             c.host = v;
             return std::string();
         }},
        {"--tls-cert", "FILE", "PEM certificate chain: serve https and wss",
         [](Config& c, const std::string& v) {
             c.tls_cert = v;
             return std::string();
         }},
        {"--tls-key", "FILE", "PEM private key for --tls-cert",
         [](Config& c, const std::string& v) {
             c.tls_key = v;
             return std::string();
         }},
        {"--grace-ms", "N", "ms a dropped peer stays in its room before peer-left (5000)",
         ms_into(&Limits::grace)},
        {"--max-frame-bytes", "N", "largest WebSocket message in bytes (65536)",
         number_into(&Limits::max_frame_bytes, std::size_t{128})},
        {"--max-connections", "N", "WebSocket connections (default: fd limit minus reserve)",
         number_into(&Limits::max_connections, std::size_t{1})},
        {"--max-rooms", "N", "rooms on this server (100000)",
         number_into(&Limits::max_rooms, std::size_t{1})},
        {"--max-peers-per-room", "N", "peers in one room (5000)",
         number_into(&Limits::max_peers_per_room, std::size_t{1})},
        {"--joined-sample", "N", "most members listed in `joined`, 1..500 (32)",
         number_into(&Limits::joined_sample, std::size_t{1}, protocol::max_joined_peers)},
        {"--rate", "N", "messages per second per connection, sustained (100)",
         number_into(&Limits::rate_per_sec, 0.001)},
        {"--rate-burst", "N", "messages a connection may send at once (400)",
         number_into(&Limits::rate_burst, 1.0)},
        {"--max-queue-bytes", "N", "unsent bytes per connection before it is dropped (262144)",
         number_into(&Limits::max_queue_bytes, std::size_t{1024})},
        {"--idle-timeout-ms", "N", "ping a silent WebSocket after N ms, close after 2N (30000)",
         ms_into(&Limits::idle_timeout)},
        {"--http-timeout-ms", "N", "time to send one HTTP request or finish TLS (15000)",
         ms_into(&Limits::http_timeout)},
        {"--pace-ms", "N", "when busy, take in events every N ms; 0: at each (4 with --redis, else 0)",
         ms_into(&Limits::pace)},
        {"--log-level", "LEVEL", "debug | info | warn | error (info)",
         [](Config& c, const std::string& v) {
             if (v != "debug" && v != "info" && v != "warn" && v != "error")
                 return std::string("expects debug, info, warn or error");
             c.log_level = v;
             return std::string();
         }},
        {"--turn-port", "N", "TURN server port on this box: phones get credentials for it",
         port_into(&Config::turn_port, 1)},
        {"--turn-secret-file", "FILE", "the secret shared with the TURN server (for --turn-port)",
         [](Config& c, const std::string& v) {
             c.turn_secret_file = v;
             return std::string();
         }},
        {"--turn-ttl-s", "N", "seconds TURN credentials hold, 10..86400 (43200)",
         [](Config& c, const std::string& v) {
             long long n = 0;
             if (!parse_number(v, n) || n < 10 || n > max_turn_ttl.count())
                 return std::string("expects 10..86400");
             c.turn_ttl = std::chrono::seconds(n);
             return std::string();
         }},
        {"--redis", "URL", "be a node of a cluster sharing rooms over Redis (redis://HOST:PORT)",
         [](Config& c, const std::string& v) {
             if (v.rfind("redis://", 0) != 0) return std::string("expects redis://HOST:PORT");
             c.redis = v;
             return std::string();
         }},
        {"--no-qr", nullptr, "do not draw the QR code of the LAN URL",
         [](Config& c, const std::string&) {
             c.show_qr = false;
             return std::string();
         }},
        {"--help", nullptr, "show this text", nullptr},
    };
    return table;
}

std::string help_text() {
    std::string out = "Usage: peddlenet-server --root DIR [options]\n"
                      "PeddleNet static file + WebSocket signaling server (/ws, protocol v1).\n\n";
    for (const Flag& f : flags()) {
        std::string left = std::string("  ") + f.name + (f.arg ? std::string(" ") + f.arg : "");
        left.resize(std::max<std::size_t>(left.size() + 1, 28), ' ');
        out += left + f.help + "\n";
    }
    return out;
}

} // namespace

std::variant<Config, HelpRequested, ConfigError>
parse_args(const std::vector<std::string>& args, std::optional<std::string> env_port) {
    Config c;
    if (env_port && !env_port->empty()) {
        unsigned n = 0;
        if (!parse_number(*env_port, n) || n > 65535)
            return ConfigError{"PORT must be 0..65535, got \"" + *env_port + "\""};
        c.port = static_cast<unsigned short>(n);
    }
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string name = args[i], value;
        bool inline_value = false;
        if (const auto eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
            inline_value = true;
        }
        const Flag* flag = nullptr;
        for (const Flag& f : flags())
            if (name == f.name) flag = &f;
        if (!flag) return ConfigError{"unknown option " + name + " (see --help)"};
        if (!flag->apply) return HelpRequested{help_text()};
        if (flag->arg && !inline_value) {
            if (i + 1 >= args.size()) return ConfigError{name + " needs " + flag->arg};
            value = args[++i];
        }
        if (const std::string err = flag->apply(c, value); !err.empty())
            return ConfigError{name + " " + err};
    }
    if (c.root.empty()) return ConfigError{"--root DIR is required (see --help)"};
    if (!c.limits.pace) c.limits.pace = c.redis.empty() ? std::chrono::milliseconds(0) : cluster_node_pace;
    if (c.tls_cert.empty() != c.tls_key.empty())
        return ConfigError{"--tls-cert and --tls-key go together"};
    if ((c.turn_port == 0) != c.turn_secret_file.empty())
        return ConfigError{"--turn-port and --turn-secret-file go together"};
    return c;
}

} // namespace peddlenet::server
