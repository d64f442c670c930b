// metrics.hpp: counters and gauges of the server, rendered in Prometheus text format 0.0.4.
// Needs: core/signaling_protocol.hpp (error slugs label the error counter).
//  [X] gauges: open WebSocket connections, rooms, peers (incl. those in their grace period)
//  [X] counters: connections accepted, messages received / relayed, errors by code,
//      slow clients dropped, HTTP responses by status class, event-loop turns
//  [X] cluster (--redis): degraded, cross-node messages, Redis round trips and errors, resyncs
//  [X] process: resident memory, CPU seconds, open file descriptors (from /proc)
#pragma once

#include "core/signaling_protocol.hpp"

#include <array>
#include <cstdint>
#include <string>

namespace peddlenet::server {

// Single-threaded: the server runs one io_context thread, so plain integers suffice.
struct Metrics {
    std::uint64_t connections = 0;          // gauge: open WebSocket connections
    std::uint64_t connections_total = 0;    // counter: WebSocket upgrades accepted
    std::uint64_t rooms = 0;                // gauge
    std::uint64_t peers = 0;                // gauge: room members incl. grace period
    std::uint64_t messages_received = 0;    // counter: client frames parsed (valid or not)
    std::uint64_t messages_relayed = 0;     // counter: signals delivered to a peer's queue
    std::uint64_t slow_clients_dropped = 0; // counter: outgoing queue over its cap
    std::array<std::uint64_t, protocol::error_code_count> errors{}; // counter by code
    std::array<std::uint64_t, 6> http_responses{}; // counter by status class: index 1..5
    std::uint64_t loop_turns = 0;           // counter: event-loop turns (wake-ups with work)
    // Only with --redis (a node of a cluster):
    bool clustered = false;
    std::uint64_t cluster_degraded = 0;         // gauge: 1 while Redis cannot be reached
    std::uint64_t cluster_messages_sent = 0;    // counter: signal batches published to nodes
    std::uint64_t cluster_messages_received = 0; // counter: messages from other nodes
    std::uint64_t cluster_signals_sent = 0;     // counter: signals sent to other nodes
    std::uint64_t cluster_resyncs = 0;          // counter: rooms resynchronised with Redis
    std::uint64_t redis_round_trips = 0;        // counter: replies from Redis
    std::uint64_t redis_errors = 0;             // counter: error replies and lost connections

    void count_error(protocol::ErrorCode code) { ++errors[static_cast<std::size_t>(code)]; }
    void count_http(unsigned status) { ++http_responses[status / 100 < 6 ? status / 100 : 0]; }

    // Prometheus text exposition, including process_* figures read from /proc/self.
    std::string render() const;
};

} // namespace peddlenet::server
