// cluster_wire.hpp: the texts cluster nodes exchange through Redis, and their strict readers.
// Room state and events are written by the Lua scripts (cluster_scripts.hpp) in '|'-separated
// fields, the display name last (it may hold '|'; rooms, peers, nodes and sessions cannot).
// Messages from node to node carry whole frames, so they are netstrings ("5:hello,").
// Needs: core/text.hpp (is_valid_id: rooms, peers and nodes are ids) (fuzzed:
// tests/fuzz/cluster_wire_fuzz.cpp).
//  [X] a member record: "NODE|SESSION|L|0|NAME" (live) or "NODE|SESSION|A|DEADLINE_MS|NAME"
//  [X] room events, published in the room's order: "J|SEQ|PEER|NODE|SESSION|NAME" (join or
//      rejoin), "A|SEQ|PEER" (its socket closed: grace period), "L|SEQ|PEER" (left)
//  [X] node messages: signals for members a node holds, and bounces of those it could not
//      deliver, so that their senders hear of it
//  [X] every reader refuses what it does not fully understand (nullopt), never throws
//  [X] a node message is read without copying its frames (views into the text)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace peddlenet::server::cluster {

// Key and channel names. The room is in braces (a Redis Cluster hash tag): a room's keys and
// channel hash to one slot, so its scripts could run on one shard.
std::string members_key(std::string_view room); // hash: peer -> member record
std::string seq_key(std::string_view room);     // the room's event counter
std::string room_channel(std::string_view room);
std::string node_channel(std::string_view node);
// The room of a room channel; nullopt for any other channel.
std::optional<std::string_view> room_of_channel(std::string_view channel);

struct MemberRecord {
    std::string node;
    std::string session;
    bool away = false;
    std::int64_t deadline_ms = 0; // Redis's clock, when away
    std::string name;
};
std::optional<MemberRecord> parse_member(std::string_view text);

struct RoomEvent {
    enum class Kind : char { join = 'J', away = 'A', left = 'L' };
    Kind kind = Kind::join;
    std::uint64_t seq = 0;
    std::string peer;
    std::string node;    // join only
    std::string session; // join only
    std::string name;    // join only
};
std::optional<RoomEvent> parse_event(std::string_view text);

// Signals from one node for members another holds: each entry is (room, from, to, frame).
// A bounce lists signals that could not be delivered: (room, from, to) with an empty frame.
struct NodeMessage {
    enum class Kind : char { signals = 'S', bounce = 'B' };
    // Views into the text parse_message() read: valid while it is.
    struct Entry {
        std::string_view room;
        std::string_view from;
        std::string_view to;
        std::string_view frame;
    };
    Kind kind = Kind::signals;
    std::string_view origin; // the node to bounce to
    std::vector<Entry> entries;
};
// Starts `out` as an encoded message (it keeps its capacity); append_entry() adds one entry.
void begin_message(std::string& out, NodeMessage::Kind kind, std::string_view origin);
void append_entry(std::string& message, std::string_view room, std::string_view from,
                  std::string_view to, std::string_view frame);
std::optional<NodeMessage> parse_message(std::string_view text);

} // namespace peddlenet::server::cluster
