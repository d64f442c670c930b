// peer_protocol.hpp: the JSON messages peers exchange on their data channel (never via the server).
// Needs: core/chat_log.hpp (message model and validation), core/text.hpp, nlohmann/json.
// Never throws: frames are parsed with json::parse(text, nullptr, false) and every field is
// type-checked; invalid UTF-8 is repaired to U+FFFD before parsing.
//  [X] hello: sent by each side when the channel opens; lists the ids it holds (newest 500) so
//      the other side sends exactly what is missing (reconciliation) and learns what was delivered
//  [X] msg: a live chat message, authored by the sending peer
//  [X] sync: a message relayed during reconciliation, any author (see RoomEngine for what is accepted)
//  [X] ack: "I hold these message ids" -> delivered N of M at the author
//  [X] ping / pong: round-trip time per link
//  [X] auth: the link's proof of room membership and identity, the first frame each side sends
//      (see RoomEngine "Link proof"); msg and sync carry the author's signature
//  [X] big rooms (partial mesh): msg carries the links it crossed so far (hops) and may then come
//      from any author; ihave / iwant announce and fetch message ids (lazy relay); ack carries
//      receipt counts that relays add up on the way back to the author; links lists a peer's
//      neighbours; signal carries signaling data through one neighbour (introductions);
//      presence announces a member, signed by it, while the server is gone
//  [X] photos (core/photo_transfer): photo-get asks a link for a photo's bytes from an offset,
//      photo-none says it does not hold them (yet), photo-got that a fetch completed; the
//      bytes come back in binary chunk frames (core/photo.hpp), never as JSON
//
// Frames, one JSON object per data channel message:
//   {"type":"auth","v":2,"mac":"<base64url 32 bytes>","sig":"<base64url 64 bytes>"}
//   {"type":"hello","v":1,"have":["<id>", ...]}                      at most 500 ids
//   {"type":"msg","message":{"id","from","name","text","ts","lamport","sig"}}
//   {"type":"sync","message":{...same shape...}}
//   {"type":"msg","hops":<0..6>,"message":{...}}     hops absent = 0: straight from its author
//   {"type":"ack","ids":["<id>", ...]}                               1..500 ids
//   {"type":"ack","ids":[...],"n":[<1..10^6>, ...]}  receipts: n[i] peers hold ids[i] (relays)
//   {"type":"ihave","ids":[...]}   {"type":"iwant","ids":[...]}      1..500 ids each
//   {"type":"links","peers":[{"peer","name","session"}, ...]}       0..32 neighbours
//   {"type":"signal","from":"<peer>","to":"<peer>","data":{...}}     signal data (negotiation.hpp)
//   {"type":"presence","peer","name","session","ts","sig"}   "I am in the room", signed, expiring
//   {"type":"ping","n":<uint>}   {"type":"pong","n":<uint echoed>}
//   {"type":"photo-get","photo":"<hash>","offset":<0..max_photo_bytes - 1>}
//   {"type":"photo-none","photo":"<hash>"}   {"type":"photo-got","photo":"<hash>"}
// The message object is chat_message_to_json's shape; on the wire `from` must be a peer key id
// and `sig` is required (RoomEngine verifies it before storing). Unknown fields are ignored, unknown types
// and every rule break drop the whole frame.
#pragma once

#include "core/chat_log.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace peddlenet {

// Version announced in hello; a later version may read it to stay compatible with this one.
inline constexpr int peer_protocol_version = 2;
// Largest frame accepted, in bytes: a chat frame is at most ~30 KiB (4 KiB of text escaped
// as \u00XX) and a hello ~34 KiB (500 ids of 64 chars); 64 KiB stays under every browser's
// SCTP message limit.
inline constexpr std::size_t max_peer_frame_bytes = 64 * 1024;
// Reconciliation window: how many of the newest messages a hello covers and a sync may carry.
inline constexpr std::size_t max_sync_messages = 500;
// Ids per ack, ihave and iwant frame.
inline constexpr std::size_t max_ack_ids = 500;
// Most links a message crosses (bitchat's limit): a relay that received it at this many hops
// stores it but forwards it no further.
inline constexpr unsigned max_relay_hops = 7;
// Largest receipt count one ack entry may carry (far above any room).
inline constexpr std::uint32_t max_receipt_count = 1'000'000;
// Neighbours listed in one links frame.
inline constexpr std::size_t max_listed_links = 32;
// Largest signal data a routed signal frame carries, serialized (an SDP is a few KiB).
inline constexpr std::size_t max_routed_signal_bytes = 48 * 1024;

struct AuthFrame {
    std::string mac; // raw 32 bytes: HMAC-SHA-256 under the room's proof key
    std::string sig; // raw 64 bytes: Ed25519 by the sender's identity key
};
struct HelloFrame {
    std::vector<std::string> have; // valid ids, at most max_sync_messages
};
struct ChatFrame {
    ChatMessage message; // validated; sent/acked_by are never read from the wire
    bool relayed = false; // false: "msg" (live), true: "sync" (reconciliation)
    unsigned hops = 0;    // msg only: links crossed before this one, < max_relay_hops
};
struct AckFrame {
    std::vector<std::string> ids;     // valid ids, 1..max_ack_ids
    std::vector<std::uint32_t> counts; // empty: one each; else one per id, 1..max_receipt_count
};
struct IHaveFrame {
    std::vector<std::string> ids; // valid ids, 1..max_ack_ids
};
struct IWantFrame {
    std::vector<std::string> ids; // valid ids, 1..max_ack_ids
};
// A member of the room as a neighbour describes it.
struct Neighbor {
    std::string peer;    // a peer key id
    std::string name;    // passes check_chat_name, or empty
    std::string session; // that member's signaling session (is_valid_id)
    bool operator==(const Neighbor&) const = default;
};
struct LinksFrame {
    std::vector<Neighbor> peers; // at most max_listed_links, no duplicates
};
struct RoutedSignalFrame {
    std::string from, to; // peer key ids
    nlohmann::json data;  // an object: signal data with its envelope (negotiation.hpp)
};
struct PingFrame {
    std::uint64_t n = 0;
};
struct PongFrame {
    std::uint64_t n = 0;
};
// A member's own announcement that it is in the room (core/presence.hpp).
struct PresenceFrame {
    std::string peer;    // a peer key id: the signer
    std::string name;    // passes check_chat_name
    std::string session; // its signaling session (is_valid_id)
    std::int64_t ts_ms = 0; // its wall clock when it announced, 0..max_json_integer
    std::string sig;     // raw 64 bytes: Ed25519 over presence_signing_payload
};
// Photo fetching (core/photo_transfer.hpp); `photo` is a PhotoRef hash.
struct PhotoGetFrame {
    std::string photo;
    std::uint32_t offset = 0; // below max_photo_bytes
};
struct PhotoNoneFrame {
    std::string photo;
};
struct PhotoGotFrame {
    std::string photo;
};
using PeerFrame = std::variant<AuthFrame, HelloFrame, ChatFrame, AckFrame, PingFrame, PongFrame,
                               IHaveFrame, IWantFrame, LinksFrame, RoutedSignalFrame, PresenceFrame,
                               PhotoGetFrame, PhotoNoneFrame, PhotoGotFrame>;

// Parses one data channel message; nullopt (and a reason in `why`) when it breaks any rule.
std::optional<PeerFrame> parse_peer_frame(std::string_view text, std::string* why = nullptr);

// Builders; their output always parses back with parse_peer_frame.
std::string build_auth_frame(const AuthFrame& auth);
std::string build_hello_frame(const std::vector<std::string>& have);
std::string build_chat_frame(const ChatMessage& m, bool relayed, unsigned hops = 0);
std::string build_ack_frame(const std::vector<std::string>& ids,
                            const std::vector<std::uint32_t>& counts = {});
std::string build_ihave_frame(const std::vector<std::string>& ids);
std::string build_iwant_frame(const std::vector<std::string>& ids);
std::string build_links_frame(const std::vector<Neighbor>& peers);
std::string build_routed_signal_frame(const std::string& from, const std::string& to,
                                      const nlohmann::json& data);
std::string build_presence_frame(const PresenceFrame& p);
std::string build_photo_get_frame(const std::string& photo, std::uint32_t offset);
std::string build_photo_none_frame(const std::string& photo);
std::string build_photo_got_frame(const std::string& photo);
std::string build_ping_frame(std::uint64_t n);
std::string build_pong_frame(std::uint64_t n);

} // namespace peddlenet
