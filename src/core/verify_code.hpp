// verify_code.hpp: the text of a "My code" QR, which another phone scans to mark this person
// verified in person.
// Needs: core/trust.hpp (peer ids), core/base64url.hpp, core/chat_log.hpp (display names).
//
// Format: `peddlenet-verify:1:<peer id>:<display name as base64url of its UTF-8>`
//   The peer id is the public key itself, so the code needs no signature: whoever shows it
//   either holds that key or cannot speak as it. The name only labels the entry on the
//   scanning phone (and lets it notice that name reappearing with another key).
//  [X] make and parse, strictly: one version, a valid key id, a valid display name
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace peddlenet {

struct VerifyCode {
    std::string peer; // peer id (is_peer_key_id)
    std::string name; // display name (check_chat_name)
};

// The code text for `peer` named `name`; nullopt when either is invalid.
std::optional<std::string> make_verify_code(std::string_view peer, std::string_view name);
// nullopt for anything make_verify_code could not have produced.
std::optional<VerifyCode> parse_verify_code(std::string_view text);

} // namespace peddlenet
