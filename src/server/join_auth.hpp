// join_auth.hpp: proof of identity for protocol v2 joins. Each connection gets a random challenge;
// a join names its peer id, which is the device's Ed25519 public key, and carries that key's
// signature over the challenge, the room and the id. So only the key's holder can join (or
// replace a socket) as that peer, and a join copied from another connection fails.
// Needs: OpenSSL 3 (RAND_bytes, EVP Ed25519 verify), core/signaling_protocol.hpp,
// core/base64url.hpp and core/trust.hpp (strict canonical decoding of keys and signatures).
// No crypto of our own: OpenSSL verifies; this file only decodes and compares lengths.
//  [X] challenge nonces: 32 bytes from OpenSSL's CSPRNG, base64url text (43 characters)
//  [X] session names: 16 characters of [A-Za-z0-9] from the CSPRNG, kept inline (no heap)
//  [X] bad-key for a peer id that is not a key, bad-signature for a malformed or wrong signature
//      (both strict: no padding, exact length, canonical trailing bits)
#pragma once

#include "core/signaling_protocol.hpp"
#include "server/frame_scanner.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace peddlenet::server {

inline constexpr std::size_t nonce_bytes = 32; // 256 bits: never repeats, never guessed

// A connection's challenge, kept raw (32 bytes inline) and spelled as text when needed.
using Nonce = std::array<std::uint8_t, nonce_bytes>;

// The server's name for one successful join; 16 bytes inline so a member costs no allocation.
struct SessionId {
    std::array<char, protocol::session_chars> chars{};
    std::string_view view() const { return {chars.data(), chars.size()}; }
};

// Fills `out` from OpenSSL's CSPRNG. False when the generator fails (nothing may be used then).
bool make_nonce(Nonce& out);
bool make_session(SessionId& out);

// The challenge as the wire spells it: base64url, protocol::nonce_chars characters.
std::string nonce_text(const Nonce& nonce);

// Checks a parsed join against this connection's challenge text (nonce_chars characters):
// `peer` must be a base64url Ed25519 public key (else bad-key) and `sig` its signature over
// protocol::join_signing_payload(nonce, room, peer) (else bad-signature). nullopt: proven.
std::optional<protocol::Problem> check_join_proof(std::string_view nonce,
                                                  const protocol::Join& join);

} // namespace peddlenet::server
