// text.hpp: UTF-8 and identifier rules shared by the server, the wire protocol and the app.
// Needs: nothing but the standard library.
//  [X] strict UTF-8 validation (no overlongs, no surrogates, nothing above U+10FFFF)
//  [X] lossy repair: every invalid sequence becomes U+FFFD, so hostile bytes display literally
//  [X] code point counting, for limits stated in characters
//  [X] identifier check for room and peer ids: 1..64 of [A-Za-z0-9_-]
//  [X] the one display-name rule, used by the server's join, chat messages and the app's forms
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

// Display names: 1..max_display_name_chars code points of valid UTF-8 without control
// characters; long enough for "First Last", short enough to fit a phone's peer list row.
inline constexpr std::size_t max_display_name_chars = 32;
// The widest a display name can be in bytes (the app's text field cap).
inline constexpr std::size_t max_display_name_bytes = max_display_name_chars * 4;
enum class NameProblem { none, empty, invalid_utf8, too_long, control_char };
NameProblem display_name_problem(std::string_view name);

// True when `s` holds a C0 control character or DEL.
bool has_control_char(std::string_view s);

} // namespace peddlenet
