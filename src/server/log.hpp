// log.hpp: structured one-line logs on stderr: `ts=... level=... event=... key=value ...`.
// Needs: nothing but the standard library.
//  [X] RFC 3339 UTC timestamps with milliseconds
//  [X] values with spaces, quotes or control characters are quoted and escaped
//  [X] a global level filter (debug < info < warn < error)
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace peddlenet::server::log {

enum class Level { debug, info, warn, error };

void set_level(Level level);
bool enabled(Level level);
Level parse_level(std::string_view name); // unknown names mean info

using Field = std::pair<std::string_view, std::string>;

// Writes one line; does nothing below the current level.
void write(Level level, std::string_view event, std::initializer_list<Field> fields = {});

// Formats one line without the timestamp (unit tests check the quoting rule with it).
std::string format(Level level, std::string_view event, std::initializer_list<Field> fields);

} // namespace peddlenet::server::log
