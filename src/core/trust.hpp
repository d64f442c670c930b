// trust.hpp: the trust layer's formats: room keys and the ids derived from them, peer ids that
// are public keys, the exact bytes that get signed or MACed, and safety codes.
// Needs: core/crypto.hpp (every primitive), core/base64url.hpp, core/random.hpp.
//  [X] private room: a random 128-bit key; the server-visible id and the link proof key are
//      HMAC-SHA-256 of fixed labels under it, so the server learns neither key nor name
//  [X] open room: its typed name is its id; the proof key comes from the name (anyone who knows
//      the name can prove membership; the proofs still bind identities and DTLS fingerprints)
//  [X] peer id = base64url of the raw Ed25519 public key (43 characters): an id cannot be
//      claimed without its private key, and every message names the key that verifies it
//  [X] signing payloads: fields length-prefixed, so no two different field lists give equal bytes
//  [X] safety code of a pair of keys: 20 digits (66 bits), the same on both phones
#pragma once

#include "core/crypto.hpp"
#include "core/random.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace peddlenet {

struct ChatMessage;

// Room key size in bytes (128 bits).
inline constexpr std::size_t room_key_bytes = 16;
// Length of a peer id: base64url of a 32-byte Ed25519 public key.
inline constexpr std::size_t peer_id_length = 43;

// What a room member needs besides the room's display name.
struct RoomKeys {
    std::string id;        // the room id the signaling server sees (a valid id)
    std::string proof_key; // raw 32-byte HMAC key of the link proofs
    bool is_private = false;
    std::string key;       // private rooms: the raw room key (for invites); empty for open rooms
};

// A fresh room key (room_key_bytes raw bytes) from `random` (crypto.getRandomValues in the app).
std::string make_room_key(const RandomSource& random);

using RoomKeysDone = std::function<void(std::optional<RoomKeys>)>;
// Derives a private room's id and proof key from its raw key; nullopt when the key has the wrong
// size or the provider failed.
void derive_private_room(Crypto& crypto, std::string key, RoomKeysDone done);
// An open room: id = `name` (must satisfy is_valid_id), proof key from the name.
void derive_open_room(Crypto& crypto, std::string name, RoomKeysDone done);

// True for a peer id this version makes: 43 base64url characters that decode to 32 bytes, not
// the encoding of a point of small order (Ed25519 verifies constant signatures for those keys
// over any message, so they identify nobody).
bool is_peer_key_id(std::string_view id);
// The raw public key a peer id spells; nullopt when is_peer_key_id fails.
std::optional<std::string> peer_public_key(std::string_view id);

// The bytes an author signs for a chat message: every field of it, and the room's id, so a
// message cannot be altered, re-attributed or replayed into another room.
std::string message_signing_payload(std::string_view room_id, const ChatMessage& m);

// The bytes a peer signs to announce that it is in the room (presence gossiped over the mesh
// while the server is gone): room, peer, name, its signaling session and the announcement's time.
std::string presence_signing_payload(std::string_view room_id, std::string_view peer,
                                     std::string_view name, std::string_view session,
                                     std::int64_t ts_ms);

// The bytes `from` signs and MACs to prove room membership on one link to `to`. It names both
// ends' DTLS certificate fingerprints as `from` sees them (its own first), so a proof made on one
// connection means nothing on any other: a relay in the middle sees other fingerprints.
std::string link_proof_payload(std::string_view room_id, std::string_view from_id,
                               std::string_view to_id, std::string_view from_fingerprint,
                               std::string_view to_fingerprint);

// A DTLS fingerprint as the browser reports it ("AB:CD:..", sha-256) in one canonical form:
// lower-case hex without colons; nullopt when it is not 32 bytes of hex.
std::optional<std::string> normalize_fingerprint(std::string_view fingerprint);

// The bytes whose SHA-256 gives the safety code of two peers: the same whichever side asks.
std::string safety_code_input(std::string_view peer_a, std::string_view peer_b);
// Formats a SHA-256 digest as the safety code: "12345 67890 12345 67890".
std::string format_safety_code(std::string_view digest);
// Both together (asynchronous: SHA-256 is the provider's).
void make_safety_code(Crypto& crypto, std::string_view peer_a, std::string_view peer_b,
                      std::function<void(std::optional<std::string>)> done);

} // namespace peddlenet
