// signaling_protocol.hpp: the signaling wire protocol, version 2 (JSON text frames on WebSocket
// /ws): message types, builders and the client's parser. docs/PROTOCOL.md is the prose version.
// Shared by the native server (error codes, field rules, the builders it answers with) and the
// wasm client; the server's own frame scanner lives in server/frame_scanner.hpp.
// Needs: core/text.hpp (UTF-8 and id rules), core/trust.hpp (peer ids are keys),
// core/ice_servers.hpp, nlohmann/json (client-side parsing).
// Never throws: wasm builds run without exception support, and hostile input is normal here.
//  [X] stable error slugs with a human sentence for every refusal (Problem)
//  [X] v2: the server's challenge, signed joins (join_signing_payload), server-named sessions
//  [X] field rules for ids and display names, shared by the server and the app's forms
//  [X] server side: build joined, peer-joined, peer-left, peer-rejoined, signal, pong, error
//  [X] client side: build join, signal, leave, ping; parse every server frame, `data` handed on
//      as a parsed JSON object (no dump and re-parse)
//  [X] `joined` carries the room's size and a bounded sample of its members, each checked
//  [X] `ice-servers`: the box's TURN server with credentials for this peer (ice_servers.hpp
//      checks the list)
//  [X] unknown fields are ignored (later versions may add fields), unknown types are refused
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace peddlenet::protocol {

inline constexpr int version = 2;

// Lengths of the base64url (no padding) texts of v2: the challenge nonce (32 random bytes), a
// peer id (the device's raw 32-byte Ed25519 public key) and a join signature (64 bytes).
inline constexpr std::size_t nonce_chars = 43;
inline constexpr std::size_t peer_key_chars = 43;
inline constexpr std::size_t join_signature_chars = 86;
// The server's name for one successful join: 16 characters of [A-Za-z0-9] (95 random bits).
inline constexpr std::size_t session_chars = 16;
// What a client accepts in `joined`: at most max_joined_peers entries in `peers` (the server
// lists a sample, 32 by default; 500 of the widest entries are ~110 KB, which bounds what a
// hostile server can make a phone hold) and a `size` of at most max_joined_size members (far
// above any server's --max-peers-per-room; a bound on what a client plans for).
inline constexpr std::size_t max_joined_peers = 500;
inline constexpr std::size_t max_joined_size = 1'000'000;

// Stable error slugs; the text spelling is the wire format (see slug()).
enum class ErrorCode : std::uint8_t {
    bad_json = 0,       // not one JSON object
    bad_utf8 = 1,       // a text frame that is not valid UTF-8
    bad_type = 2,       // `type` names no message of this version, or a binary frame
    bad_field = 3,      // a field is missing, of the wrong JSON type, or breaks its rule
    too_large = 4,      // frame over the server's size limit
    not_joined = 5,     // signal or leave before join
    already_joined = 6, // a second join on one socket (leave first)
    no_such_peer = 7,   // signal to a peer that is not in the sender's room
    peer_away = 8,      // signal to a peer whose socket dropped and may come back (grace period)
    room_full = 9,      // the room holds the maximum number of peers
    too_many_rooms = 10, // the server holds the maximum number of rooms
    rate_limited = 11,  // more messages per second than the per-connection limit
    server_full = 12,   // more connections than the server allows
    replaced = 13,      // this socket was replaced by a newer one joining with the same peer id
    shutting_down = 14, // the server is stopping
    auth_required = 15, // a join without `sig` (a v1 client): reload to update the app
    bad_key = 16,       // `peer` is not a base64url Ed25519 public key
    bad_signature = 17, // `sig` is malformed or does not verify over this connection's challenge
};
inline constexpr std::size_t error_code_count = 18;

// Wire spelling, e.g. "bad-json".
std::string_view slug(ErrorCode code);
// Inverse of slug(); nullopt for slugs this version does not know.
std::optional<ErrorCode> error_code_from_slug(std::string_view s);

// Why a frame was refused: the slug plus a sentence meant for a human (and for logs).
struct Problem {
    ErrorCode code = ErrorCode::bad_json;
    std::string message;
};

// Result of parsing: either a value or the problem that prevented it.
template <class T> struct Parsed {
    std::optional<T> value;
    Problem problem; // meaningful only when !value
    bool ok() const { return value.has_value(); }
};

// Field rules of the server's parser, as wire errors (names: display_name_problem in
// core/text.hpp). nullopt when acceptable.
std::optional<Problem> check_id(std::string_view field, std::string_view value);
std::optional<Problem> check_name(std::string_view name);

// Short, printable echo of received text for error messages (at most 32 characters, then "...").
std::string echo(std::string_view s);

// ---- client -> server (builders; the server parses with server/frame_scanner.hpp) -----------

// The exact bytes a join's `sig` signs: "peddlenet-join-v2\n" nonce "\n" room "\n" peer, so a
// signature is good for one connection (its challenge), one room and one identity.
std::string join_signing_payload(std::string_view nonce, std::string_view room,
                                 std::string_view peer);
// `peer` is the base64url public key, `sig` the base64url signature over join_signing_payload().
std::string build_join(std::string_view room, std::string_view peer, std::string_view name,
                       std::string_view sig);
// `data_json` must be the text of a JSON object (e.g. nlohmann::json::dump()).
std::string build_signal(std::string_view to, std::string_view data_json);
std::string build_leave();
std::string build_ping();

// ---- server -> client ------------------------------------------------------------------------

// The server's first frame on every connection; a join signs its nonce.
struct Challenge {
    std::string nonce; // nonce_chars of [A-Za-z0-9_-]
};
struct PeerInfo {
    std::string peer;
    std::string name;
    std::string session; // that member's current (or, in its grace period, last) session
    bool operator==(const PeerInfo&) const = default;
};
struct Joined {
    std::string room;
    std::string peer;
    std::string session; // the server's name for this join of ours
    // Members of the room, us included (those in their grace period count). An old server
    // sends no `size`: then its list is complete and size = peers.size() + 1.
    std::size_t size = 1;
    // Others already in the room: all of them when few, else a random sample the server chose
    // (members with a live socket first). Each `peer` is a key id (is_peer_key_id).
    std::vector<PeerInfo> peers;
};
struct PeerJoined {
    std::string peer;
    std::string name;
    std::string session;
};
struct PeerLeft {
    std::string peer;
};
struct PeerRejoined {
    std::string peer;
    std::string name;
    std::string session; // the new connection's session
};
struct SignalFrom {
    std::string from;
    nlohmann::json data; // always an object
};
// ICE servers from the server (the festival box's TURN server with credentials for this peer),
// sent before `joined` and again before the credentials expire.
struct IceServers {
    nlohmann::json servers;       // checked by check_ice_server_list, one URL per entry
    std::int64_t expires_unix = 0; // when the credentials stop working (server's clock)
};
struct Pong {};
struct ServerError {
    std::string code; // kept as text: a newer server may send slugs this client does not know
    std::string message;
};
using ServerMessage = std::variant<Challenge, Joined, PeerJoined, PeerLeft, PeerRejoined,
                                   SignalFrom, IceServers, Pong, ServerError>;

// Parses one server frame (client side). Never throws.
Parsed<ServerMessage> parse_server(std::string_view text);

// Builders trust their arguments: ids and names were validated when they entered the server.
std::string build_challenge(std::string_view nonce);
// `size` counts every member, the joiner included; `others` is what the server lists of them.
std::string build_joined(std::string_view room, std::string_view peer, std::string_view session,
                         std::size_t size, std::span<const PeerInfo> others);
std::string build_peer_joined(std::string_view peer, std::string_view name,
                              std::string_view session);
std::string build_peer_left(std::string_view peer);
std::string build_peer_rejoined(std::string_view peer, std::string_view name,
                                std::string_view session);
// `data_json` is relayed as is: the exact bytes the sender wrote.
std::string build_signal_from(std::string_view from, std::string_view data_json);
// One TURN server at each of `urls`, all with the same `username` and `credential`.
std::string build_ice_servers(std::span<const std::string> urls, std::string_view username,
                              std::string_view credential, std::int64_t expires_unix);
std::string build_pong();
std::string build_error(ErrorCode code, std::string_view message);

// Appends `s` as a JSON string literal (quotes included). `s` must be valid UTF-8.
void append_json_string(std::string& out, std::string_view s);

} // namespace peddlenet::protocol
