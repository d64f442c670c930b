// metrics.cpp: see metrics.hpp.
#include "server/metrics.hpp"

#include <dirent.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace peddlenet::server {
namespace {

void family(std::string& out, const char* name, const char* type, const char* help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

void sample(std::string& out, const std::string& name, double value) {
    std::ostringstream v;
    v.precision(15);
    v << value;
    out += name + ' ' + v.str() + '\n';
}

void metric(std::string& out, const char* name, const char* type, const char* help, double value) {
    family(out, name, type, help);
    sample(out, name, value);
}

std::size_t open_fds() {
    std::size_t n = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
        while (const dirent* e = readdir(d))
            if (e->d_name[0] != '.') ++n;
        closedir(d);
    }
    return n > 0 ? n - 1 : 0; // minus the directory handle itself
}

} // namespace

std::string Metrics::render() const {
    std::string out;
    out.reserve(4096);
    metric(out, "peddlenet_connections", "gauge", "Open WebSocket connections.",
           static_cast<double>(connections));
    metric(out, "peddlenet_connections_total", "counter", "WebSocket connections accepted.",
           static_cast<double>(connections_total));
    metric(out, "peddlenet_rooms", "gauge", "Rooms with at least one peer.",
           static_cast<double>(rooms));
    metric(out, "peddlenet_peers", "gauge", "Peers in rooms, including those in their grace period.",
           static_cast<double>(peers));
    metric(out, "peddlenet_messages_received_total", "counter", "Client frames received.",
           static_cast<double>(messages_received));
    metric(out, "peddlenet_messages_relayed_total", "counter", "Signals relayed to a peer.",
           static_cast<double>(messages_relayed));
    metric(out, "peddlenet_slow_clients_dropped_total", "counter",
           "Connections dropped because their outgoing queue passed its cap.",
           static_cast<double>(slow_clients_dropped));
    family(out, "peddlenet_errors_total", "counter", "Error frames sent, by code.");
    for (std::size_t i = 0; i < errors.size(); ++i)
        sample(out,
               "peddlenet_errors_total{code=\"" +
                   std::string(protocol::slug(static_cast<protocol::ErrorCode>(i))) + "\"}",
               static_cast<double>(errors[i]));
    family(out, "peddlenet_http_responses_total", "counter", "HTTP responses, by status class.");
    for (std::size_t i = 1; i < http_responses.size(); ++i)
        sample(out, "peddlenet_http_responses_total{class=\"" + std::to_string(i) + "xx\"}",
               static_cast<double>(http_responses[i]));
    metric(out, "peddlenet_loop_turns_total", "counter",
           "Turns of the event loop (wake-ups that took in events; at most one per --pace-ms).",
           static_cast<double>(loop_turns));
    if (clustered) {
        metric(out, "peddlenet_cluster_degraded", "gauge",
               "1 while Redis cannot be reached: this node serves only what it holds itself.",
               static_cast<double>(cluster_degraded));
        metric(out, "peddlenet_cluster_messages_sent_total", "counter",
               "Messages published to other nodes (a batch of signals counts once).",
               static_cast<double>(cluster_messages_sent));
        metric(out, "peddlenet_cluster_signals_sent_total", "counter",
               "Signals sent to members on other nodes.", static_cast<double>(cluster_signals_sent));
        metric(out, "peddlenet_cluster_messages_received_total", "counter",
               "Messages received from other nodes and room events from Redis.",
               static_cast<double>(cluster_messages_received));
        metric(out, "peddlenet_cluster_resyncs_total", "counter",
               "Rooms whose membership was read again from Redis (after a gap or an outage).",
               static_cast<double>(cluster_resyncs));
        metric(out, "peddlenet_redis_round_trips_total", "counter", "Replies received from Redis.",
               static_cast<double>(redis_round_trips));
        metric(out, "peddlenet_redis_errors_total", "counter",
               "Error replies from Redis and connections to it lost or refused.",
               static_cast<double>(redis_errors));
    }

    // /proc/self/stat fields 14, 15 (utime, stime in ticks) and 24 (rss in pages).
    std::ifstream stat("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')'); // the command name may contain spaces
    if (close != std::string::npos) {
        std::istringstream rest(text.substr(close + 2));
        std::string field;
        double utime = 0, stime = 0, rss = 0;
        for (int i = 3; rest >> field; ++i) {
            if (i == 14) utime = std::stod(field);
            if (i == 15) stime = std::stod(field);
            if (i == 24) {
                rss = std::stod(field);
                break;
            }
        }
        const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
        metric(out, "process_cpu_seconds_total", "counter", "User and system CPU time.",
               (utime + stime) / ticks);
        metric(out, "process_resident_memory_bytes", "gauge", "Resident memory.",
               rss * static_cast<double>(sysconf(_SC_PAGESIZE)));
    }
    metric(out, "process_open_fds", "gauge", "Open file descriptors.",
           static_cast<double>(open_fds()));
    return out;
}

} // namespace peddlenet::server
