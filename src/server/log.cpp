// log.cpp: see log.hpp.
#include "server/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace peddlenet::server::log {
namespace {

Level current = Level::info;

std::string_view level_name(Level l) {
    switch (l) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
    }
    return "info";
}

void append_value(std::string& out, std::string_view v) {
    bool plain = !v.empty();
    for (const char c : v)
        if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20)
            plain = false;
    if (plain) {
        out += v;
        return;
    }
    out += '"';
    for (const char c : v) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out += c == '\n' ? "\\n" : "?";
        } else {
            out += c;
        }
    }
    out += '"';
}

} // namespace

void set_level(Level level) { current = level; }
bool enabled(Level level) { return level >= current; }

Level parse_level(std::string_view name) {
    for (const Level l : {Level::debug, Level::info, Level::warn, Level::error})
        if (level_name(l) == name) return l;
    return Level::info;
}

std::string format(Level level, std::string_view event, std::initializer_list<Field> fields) {
    std::string line = "level=";
    line += level_name(level);
    line += " event=";
    append_value(line, event);
    for (const auto& [key, value] : fields) {
        line += ' ';
        line += key;
        line += '=';
        append_value(line, value);
    }
    return line;
}

void write(Level level, std::string_view event, std::initializer_list<Field> fields) {
    if (!enabled(level)) return;
    const auto now = std::chrono::system_clock::now();
    const std::time_t secs = std::chrono::system_clock::to_time_t(now);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char ts[96];
    std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms.count()));
    const std::string line = "ts=" + std::string(ts) + " " + format(level, event, fields) + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
}

} // namespace peddlenet::server::log
