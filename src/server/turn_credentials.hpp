// turn_credentials.hpp: ephemeral TURN credentials for the TURN server on the festival box, in
// the TURN REST API form that coturn checks with --use-auth-secret: the username is
// "<unix expiry>:<peer>" and the password base64(HMAC-SHA1(secret, username)). The server and
// coturn share only the secret; nothing is stored per user, and a password stops working at
// the expiry written into its own username.
// Needs: OpenSSL (HMAC-SHA1, base64).
//  [X] credentials for a peer id, expiring `ttl` from now (at most max_turn_ttl)
//  [X] the secret read from a file (not argv, which `ps` shows), trimmed, at least 16 bytes
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace peddlenet::server {

// Browsers keep a connection's ICE servers; a longer lifetime would only widen what a leaked
// password is worth.
inline constexpr std::chrono::seconds max_turn_ttl{24 * 3600};

struct TurnCredential {
    std::string username;   // "<expiry>:<peer>"
    std::string credential; // base64(HMAC-SHA1(secret, username))
    std::int64_t expires_unix = 0;
};

TurnCredential make_turn_credential(std::string_view secret, std::string_view peer,
                                    std::int64_t now_unix, std::chrono::seconds ttl);

// The secret from `path`: its first line without surrounding whitespace. nullopt, and a reason
// in `error`, when the file cannot be read or the secret is shorter than 16 bytes.
std::optional<std::string> read_turn_secret(const std::string& path, std::string& error);

} // namespace peddlenet::server
