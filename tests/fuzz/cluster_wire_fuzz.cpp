// cluster_wire_fuzz.cpp: what a cluster node reads back from Redis (server/cluster_wire.hpp):
// member records, room events, messages from other nodes, channel names, and the --redis URL.
// Redis is our own, but a node must survive whatever arrives there (a bug elsewhere, an operator
// typing into redis-cli). Every reader gets the same input. What one accepts obeys the field
// rules (checked here, not by the readers' own helpers) and is the only spelling of what it
// holds: written again, it gives back the input.
#include "server/cluster_wire.hpp"
#include "server/redis_link.hpp"
#include "fuzz/fuzz_check.hpp"

#include <cstdint>
#include <string>
#include <string_view>

using namespace peddlenet::server;
using namespace peddlenet::server::cluster;

namespace {

bool id_chars(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    return true;
}

bool session_chars(std::string_view s) {
    if (s.size() != 16) return false;
    for (char c : s)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
    return true;
}

bool no_controls(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20) return false;
    return true;
}

// The writers are the Lua scripts (cluster_scripts.hpp); these are their formats in C++.
std::string record_text(const MemberRecord& r) {
    return r.node + "|" + r.session + (r.away ? "|A|" : "|L|") + std::to_string(r.deadline_ms) +
           "|" + r.name;
}

std::string event_text(const RoomEvent& e) {
    const std::string head = std::string(1, static_cast<char>(e.kind)) + "|" + std::to_string(e.seq) + "|" + e.peer;
    if (e.kind != RoomEvent::Kind::join) return head;
    return head + "|" + e.node + "|" + e.session + "|" + e.name;
}

std::string message_text(const NodeMessage& m) {
    std::string out;
    begin_message(out, m.kind, m.origin);
    for (const auto& e : m.entries) append_entry(out, e.room, e.from, e.to, e.frame);
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    if (const auto r = parse_member(text)) {
        FUZZ_CHECK(id_chars(r->node));
        FUZZ_CHECK(session_chars(r->session));
        FUZZ_CHECK(r->deadline_ms >= 0);
        FUZZ_CHECK(no_controls(r->name));
        FUZZ_CHECK(record_text(*r) == text);
    }

    if (const auto e = parse_event(text)) {
        FUZZ_CHECK(e->seq >= 1);
        FUZZ_CHECK(id_chars(e->peer));
        FUZZ_CHECK(e->kind == RoomEvent::Kind::join || e->kind == RoomEvent::Kind::away ||
                   e->kind == RoomEvent::Kind::left);
        if (e->kind == RoomEvent::Kind::join) {
            FUZZ_CHECK(id_chars(e->node));
            FUZZ_CHECK(session_chars(e->session));
            FUZZ_CHECK(no_controls(e->name));
        } else {
            FUZZ_CHECK(e->node.empty() && e->session.empty() && e->name.empty());
        }
        FUZZ_CHECK(event_text(*e) == text);
    }

    if (const auto m = parse_message(text)) {
        FUZZ_CHECK(m->kind == NodeMessage::Kind::signals || m->kind == NodeMessage::Kind::bounce);
        FUZZ_CHECK(id_chars(m->origin));
        FUZZ_CHECK(!m->entries.empty());
        for (const auto& e : m->entries)
            FUZZ_CHECK(id_chars(e.room) && id_chars(e.from) && id_chars(e.to));
        FUZZ_CHECK(message_text(*m) == text);
    }

    if (const auto room = room_of_channel(text)) {
        FUZZ_CHECK(id_chars(*room));
        FUZZ_CHECK(room_channel(*room) == text);
    }

    std::string error;
    if (const auto a = parse_redis_url(text, error)) {
        FUZZ_CHECK(!a->host.empty() && a->port >= 1 && a->port <= 65535);
        FUZZ_CHECK(a->host.find('@') == std::string::npos);
    } else {
        FUZZ_CHECK(!error.empty());
    }
    return 0;
}
