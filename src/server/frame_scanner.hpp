// frame_scanner.hpp: the server's parser of client frames (signaling protocol, see
// core/signaling_protocol.hpp and docs/PROTOCOL.md). Server only: the wasm client never parses
// client frames, so this stays out of core and out of the app's binary.
// Needs: core/signaling_protocol.hpp (error codes, Problem, field rules), core/text.hpp.
// Never throws: hostile input is normal here.
//  [X] parse join, signal, leave, ping into typed structs, with a stable error slug and a human
//      sentence for every refusal; a join without `sig` (a v1 client) is auth-required
//  [X] a single-pass strict JSON scanner (RFC 8259, no DOM) that keeps `data` as the sender's
//      exact bytes, so relaying never re-serializes; SSE2 (x86-64) or 8-byte words elsewhere
//  [X] bounded nesting, duplicate known fields refused, unknown fields ignored
#pragma once

#include "core/signaling_protocol.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

namespace peddlenet::protocol {

// Nesting levels accepted in a frame (the frame object itself is level 1). SDP and ICE payloads
// are 2-3 levels deep; a hard cap keeps the recursive scanner's stack bounded against hostile
// input such as 100k opening brackets.
inline constexpr std::size_t max_json_depth = 32;

// Field rules only: whether `peer` is a key and `sig` verifies is server/join_auth.hpp's job.
struct Join {
    std::string room; // 1..64 of [A-Za-z0-9_-]
    std::string peer; // 1..64 of [A-Za-z0-9_-]; must be a base64url Ed25519 public key (v2)
    std::string name; // see max_display_name_chars (core/text.hpp)
    std::string sig;  // required (else auth-required); base64url signature (join_auth.hpp)
};
struct Signal {
    std::string to;   // peer id in the sender's room
    std::string data; // a JSON object, exactly the bytes the sender wrote
};
struct Leave {};
struct Ping {};
using ClientMessage = std::variant<Join, Signal, Leave, Ping>;

// Parses one client frame. Never throws; every refusal carries a slug and a sentence.
Parsed<ClientMessage> parse_client(std::string_view text);

} // namespace peddlenet::protocol
