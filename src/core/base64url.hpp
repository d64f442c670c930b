// base64url.hpp: RFC 4648 section 5 base64url without padding, the text form of every key,
// signature and MAC the trust layer puts on the wire, in invites and in storage.
// Needs: nothing but the standard library.
//  [X] encode bytes -> [A-Za-z0-9_-]* (no '=' padding)
//  [X] strict decode: only the alphabet, no padding, no impossible length, and the unused low
//      bits of the last character must be zero, so every byte string has exactly one text form
//      (a signature cannot be re-spelled to look like a different one)
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace peddlenet {

std::string base64url_encode(std::string_view bytes);

// nullopt for anything that base64url_encode could not have produced.
std::optional<std::string> base64url_decode(std::string_view text);

// Length of the encoding of `n` bytes.
constexpr std::size_t base64url_length(std::size_t n) { return (n * 4 + 2) / 3; }

} // namespace peddlenet
