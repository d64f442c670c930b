// text.hpp: UTF-8 and identifier rules shared by the server, the wire protocol and the app.
// Needs: nothing but the standard library.
//  [X] strict UTF-8 validation (no overlongs, no surrogates, nothing above U+10FFFF)
//  [X] lossy repair: every invalid sequence becomes U+FFFD, so hostile bytes display literally
//  [X] code point counting, for limits stated in characters
//  [X] identifier check for room and peer ids: 1..64 of [A-Za-z0-9_-]
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace peddlenet {

// True when `s` is well-formed UTF-8 (RFC 3629).
bool is_valid_utf8(std::string_view s);

// Number of code points in valid UTF-8; nullopt when `s` is not valid UTF-8.
std::optional<std::size_t> utf8_length(std::string_view s);

// Copy of `s` with each maximal invalid subsequence replaced by U+FFFD (the WHATWG decoder's rule).
std::string repair_utf8(std::string_view s);

// Appends code point `cp` (at most U+10FFFF, not a surrogate) as UTF-8.
void append_utf8(std::string& out, char32_t cp);

// Room and peer ids: 1..max_id_length characters of [A-Za-z0-9_-].
inline constexpr std::size_t max_id_length = 64;
bool is_valid_id(std::string_view s);

} // namespace peddlenet
