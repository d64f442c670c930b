// text.cpp: see text.hpp.
#include "core/text.hpp"

#include <algorithm>

namespace peddlenet {
namespace {

// Checks the UTF-8 sequence starting at s[i] against Table 3-7 of the Unicode standard.
// Returns how many of its bytes are well-formed (`valid`) and how long it should be (`need`);
// the sequence is complete when valid == need. For a bad lead byte, need is 1 and valid 0.
struct Prefix {
    std::size_t valid;
    std::size_t need;
};
Prefix check_sequence(std::string_view s, std::size_t i) {
    auto byte = [&](std::size_t k) -> unsigned { return static_cast<unsigned char>(s[k]); };
    const unsigned b0 = byte(i);
    if (b0 < 0x80) return {1, 1};
    std::size_t need;
    unsigned lo = 0x80, hi = 0xBF; // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 3;
        if (b0 == 0xE0) lo = 0xA0;      // no overlongs
        else if (b0 == 0xED) hi = 0x9F; // no surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 4;
        if (b0 == 0xF0) lo = 0x90;      // no overlongs
        else if (b0 == 0xF4) hi = 0x8F; // nothing above U+10FFFF
    } else {
        return {0, 1};
    }
    std::size_t valid = 1;
    for (; valid < need && i + valid < s.size(); ++valid) {
        const unsigned b = byte(i + valid);
        const bool ok = valid == 1 ? (b >= lo && b <= hi) : (b & 0xC0) == 0x80;
        if (!ok) break;
    }
    return {valid, need};
}

// Length of the well-formed sequence at s[i], or 0 when it is ill-formed.
std::size_t sequence_length(std::string_view s, std::size_t i) {
    const Prefix p = check_sequence(s, i);
    return p.valid == p.need ? p.need : 0;
}

} // namespace

bool is_valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = sequence_length(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::optional<std::size_t> utf8_length(std::string_view s) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < s.size(); ++count) {
        const std::size_t n = sequence_length(s, i);
        if (n == 0) return std::nullopt;
        i += n;
    }
    return count;
}

std::string repair_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = sequence_length(s, i);
        if (n != 0) {
            out.append(s.substr(i, n));
            i += n;
        } else {
            // One U+FFFD per "maximal subpart" (the WHATWG decoder's rule): the bad lead
            // byte plus the continuation bytes that were still plausible.
            out.append("\xEF\xBF\xBD");
            i += std::max<std::size_t>(1, check_sequence(s, i).valid);
        }
    }
    return out;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

bool is_valid_id(std::string_view s) {
    if (s.empty() || s.size() > max_id_length) return false;
    for (const char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

bool has_control_char(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7F;
    });
}

NameProblem display_name_problem(std::string_view name) {
    const auto chars = utf8_length(name);
    if (!chars) return NameProblem::invalid_utf8;
    if (*chars == 0) return NameProblem::empty;
    if (*chars > max_display_name_chars) return NameProblem::too_long;
    if (has_control_char(name)) return NameProblem::control_char;
    return NameProblem::none;
}

} // namespace peddlenet
