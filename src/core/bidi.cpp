// bidi.cpp: see bidi.hpp.
#include "core/bidi.hpp"

#include "core/text.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace peddlenet {
namespace {

// ---- UTF-8 <-> code points (input is valid UTF-8) -------------------------------------------

std::vector<char32_t> decode(std::string_view s) {
    std::vector<char32_t> out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        const int n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
        char32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
        for (int k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
        out.push_back(cp);
        i += n;
    }
    return out;
}

// ---- classes ---------------------------------------------------------------------------------

bool is_rtl(char32_t c) {
    return (c >= 0x0590 && c <= 0x08FF) || (c >= 0xFB1D && c <= 0xFDFF) || (c >= 0xFE70 && c <= 0xFEFF) ||
           (c >= 0x10800 && c <= 0x10FFF) || (c >= 0x1E800 && c <= 0x1EFFF);
}
bool is_digit(char32_t c) {
    return (c >= '0' && c <= '9') || (c >= 0x0660 && c <= 0x0669) || (c >= 0x06F0 && c <= 0x06F9);
}
bool is_strong_ltr(char32_t c) {
    if (is_rtl(c) || is_digit(c)) return false;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return true;
    // Letters of other left-to-right scripts: Latin-1 letters, Greek, Cyrillic, CJK, Hangul ...
    return (c >= 0x00C0 && c <= 0x024F && c != 0x00D7 && c != 0x00F7) || (c >= 0x0370 && c <= 0x052F) ||
           (c >= 0x0900 && c <= 0x1FFF) || (c >= 0x2C00 && c <= 0x2DFF) || (c >= 0x3040 && c <= 0xD7FF) ||
           (c >= 0xF900 && c <= 0xFAFF);
}

char32_t mirror(char32_t c) {
    switch (c) {
    case '(': return ')';
    case ')': return '(';
    case '[': return ']';
    case ']': return '[';
    case '{': return '}';
    case '}': return '{';
    case '<': return '>';
    case '>': return '<';
    case 0x00AB: return 0x00BB; // guillemets
    case 0x00BB: return 0x00AB;
    default: return c;
    }
}

// ---- Arabic shaping --------------------------------------------------------------------------

enum class Joining { none, right, dual, causing, transparent };

// Presentation Forms-B base (isolated form) for U+0621..U+064A; 0 = no forms. Dual-joining
// letters have four consecutive forms (isolated, final, initial, medial), right-joining two.
struct ArabicLetter {
    char16_t isolated;
    Joining joining;
};
constexpr ArabicLetter arabic_letters[] = {
    {0xFE80, Joining::none},  {0xFE81, Joining::right}, {0xFE83, Joining::right}, {0xFE85, Joining::right},
    {0xFE87, Joining::right}, {0xFE89, Joining::dual},  {0xFE8D, Joining::right}, {0xFE8F, Joining::dual},
    {0xFE93, Joining::right}, {0xFE95, Joining::dual},  {0xFE99, Joining::dual},  {0xFE9D, Joining::dual},
    {0xFEA1, Joining::dual},  {0xFEA5, Joining::dual},  {0xFEA9, Joining::right}, {0xFEAB, Joining::right},
    {0xFEAD, Joining::right}, {0xFEAF, Joining::right}, {0xFEB1, Joining::dual},  {0xFEB5, Joining::dual},
    {0xFEB9, Joining::dual},  {0xFEBD, Joining::dual},  {0xFEC1, Joining::dual},  {0xFEC5, Joining::dual},
    {0xFEC9, Joining::dual},  {0xFECD, Joining::dual},  {0, Joining::none},       {0, Joining::none},
    {0, Joining::none},       {0, Joining::none},       {0, Joining::none},       {0, Joining::causing}, // 0640 tatweel
    {0xFED1, Joining::dual},  {0xFED5, Joining::dual},  {0xFED9, Joining::dual},  {0xFEDD, Joining::dual},
    {0xFEE1, Joining::dual},  {0xFEE5, Joining::dual},  {0xFEE9, Joining::dual},  {0xFEED, Joining::right},
    {0xFEEF, Joining::right}, {0xFEF1, Joining::dual},
};

Joining joining_of(char32_t c) {
    if (c >= 0x0621 && c <= 0x064A) return arabic_letters[c - 0x0621].joining;
    if ((c >= 0x064B && c <= 0x065F) || c == 0x0670) return Joining::transparent; // harakat
    return Joining::none;
}

bool joins_forward(Joining j) { return j == Joining::dual || j == Joining::causing; } // to the next letter
bool joins_back(Joining j) { return j == Joining::dual || j == Joining::right || j == Joining::causing; }

// Lam-alef ligature (isolated form) for lam + this alef, or 0.
char32_t lam_alef(char32_t alef) {
    switch (alef) {
    case 0x0622: return 0xFEF5;
    case 0x0623: return 0xFEF7;
    case 0x0625: return 0xFEF9;
    case 0x0627: return 0xFEFB;
    default: return 0;
    }
}

std::vector<char32_t> shape_arabic(const std::vector<char32_t>& in) {
    std::vector<char32_t> out;
    out.reserve(in.size());
    auto neighbour = [&](std::size_t i, int step) -> Joining {
        for (std::ptrdiff_t k = static_cast<std::ptrdiff_t>(i) + step; k >= 0 && k < static_cast<std::ptrdiff_t>(in.size()); k += step) {
            const Joining j = joining_of(in[static_cast<std::size_t>(k)]);
            if (j != Joining::transparent) return j;
        }
        return Joining::none;
    };
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char32_t c = in[i];
        const Joining j = joining_of(c);
        if (j != Joining::dual && j != Joining::right) {
            out.push_back(c);
            continue;
        }
        const bool from_prev = joins_forward(neighbour(i, -1));
        // Lam followed by alef becomes one ligature glyph (final form if joined from before).
        if (c == 0x0644 && i + 1 < in.size()) {
            if (const char32_t lig = lam_alef(in[i + 1])) {
                out.push_back(lig + (from_prev ? 1 : 0));
                ++i;
                continue;
            }
        }
        const bool to_next = j == Joining::dual && joins_back(neighbour(i, +1));
        const char32_t base = arabic_letters[c - 0x0621].isolated;
        if (from_prev && to_next) out.push_back(base + 3);      // medial
        else if (to_next) out.push_back(base + 2);              // initial
        else if (from_prev) out.push_back(base + 1);            // final
        else out.push_back(base);                               // isolated
    }
    return out;
}

// ---- reordering ------------------------------------------------------------------------------

enum class Dir : std::uint8_t { ltr, rtl, number, neutral };

Dir direction_of(char32_t c) {
    if (is_rtl(c)) return Dir::rtl;
    if (is_digit(c)) return Dir::number;
    if (is_strong_ltr(c)) return Dir::ltr;
    return Dir::neutral;
}

std::vector<char32_t> reorder_line(std::vector<char32_t> line) {
    const std::size_t n = line.size();
    std::vector<Dir> dir(n);
    for (std::size_t i = 0; i < n; ++i) dir[i] = direction_of(line[i]);
    // Rule W4: one separator between digits belongs to the number ("3:52", "1,000", "1/2").
    for (std::size_t i = 1; i + 1 < n; ++i) {
        const char32_t c = line[i];
        if ((c == ':' || c == ',' || c == '.' || c == '/') && dir[i - 1] == Dir::number && dir[i + 1] == Dir::number)
            dir[i] = Dir::number;
    }

    Dir paragraph = Dir::ltr;
    for (const Dir d : dir) {
        if (d == Dir::ltr || d == Dir::rtl) {
            paragraph = d;
            break;
        }
    }
    // Numbers act as right-to-left between right-to-left neighbours (for neutral resolution).
    auto strong = [&](std::size_t i) { return dir[i] == Dir::number ? Dir::rtl : dir[i]; };
    for (std::size_t i = 0; i < n;) {
        if (dir[i] != Dir::neutral) {
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < n && dir[end] == Dir::neutral) ++end;
        const Dir before = i > 0 ? strong(i - 1) : paragraph;
        const Dir after = end < n ? strong(end) : paragraph;
        const bool before_ltr = before == Dir::ltr, after_ltr = after == Dir::ltr;
        const Dir resolved = before_ltr == after_ltr ? (before_ltr ? Dir::ltr : Dir::rtl) : paragraph;
        std::fill(dir.begin() + static_cast<std::ptrdiff_t>(i), dir.begin() + static_cast<std::ptrdiff_t>(end), resolved);
        i = end;
    }
    // Embedding levels (odd = right to left). Digits keep their own left-to-right order: level 2
    // inside right-to-left context, the base level between left-to-right text.
    const int base = paragraph == Dir::rtl ? 1 : 0;
    std::vector<int> level(n);
    for (std::size_t i = 0; i < n; ++i) {
        if (dir[i] == Dir::rtl) level[i] = 1;
        else if (dir[i] == Dir::ltr) level[i] = base == 1 ? 2 : 0;
    }
    for (std::size_t i = 0; i < n;) {
        if (dir[i] != Dir::number) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < n && dir[j] == Dir::number) ++j;
        const bool rtl_context = base == 1 || (i > 0 && dir[i - 1] == Dir::rtl) || (j < n && dir[j] == Dir::rtl);
        std::fill(level.begin() + static_cast<std::ptrdiff_t>(i), level.begin() + static_cast<std::ptrdiff_t>(j),
                  rtl_context ? 2 : 0);
        i = j;
    }
    const int max_level = n == 0 ? 0 : *std::max_element(level.begin(), level.end());
    for (std::size_t i = 0; i < n; ++i) {
        if (level[i] % 2 == 1) line[i] = mirror(line[i]);
    }
    // Rule L2: from the highest level down to 1, reverse every run at that level or higher.
    for (int l = max_level; l >= 1; --l) {
        for (std::size_t i = 0; i < n;) {
            if (level[i] < l) {
                ++i;
                continue;
            }
            std::size_t j = i;
            while (j < n && level[j] >= l) ++j;
            std::reverse(line.begin() + static_cast<std::ptrdiff_t>(i), line.begin() + static_cast<std::ptrdiff_t>(j));
            std::reverse(level.begin() + static_cast<std::ptrdiff_t>(i), level.begin() + static_cast<std::ptrdiff_t>(j));
            i = j;
        }
    }
    return line;
}

} // namespace

bool has_rtl(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto b = static_cast<unsigned char>(text[i]);
        // Hebrew and Arabic start with lead bytes D6..DF (U+0590..U+07FF) or E0 A0.. / EF AC..EF BB.
        if ((b >= 0xD6 && b <= 0xDF) || b == 0xE0 || b == 0xEF || b == 0xF0) {
            for (const char32_t c : decode(text)) {
                if (is_rtl(c)) return true;
            }
            return false;
        }
    }
    return false;
}

std::string to_visual_order(std::string_view logical) {
    if (!has_rtl(logical)) return std::string(logical);
    std::string out;
    out.reserve(logical.size() + 8);
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = logical.find('\n', start);
        const std::string_view line = logical.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        for (const char32_t c : reorder_line(shape_arabic(decode(line)))) append_utf8(out, c);
        if (end == std::string_view::npos) break;
        out += '\n';
        start = end + 1;
    }
    return out;
}

bool is_rtl_paragraph(std::string_view text) {
    if (!has_rtl(text)) return false;
    for (const char32_t c : decode(text)) {
        if (is_rtl(c)) return true;
        if (is_strong_ltr(c)) return false;
    }
    return false;
}

std::vector<std::string> wrap_visual(std::string_view logical, float width,
                                     const std::function<float(std::string_view)>& measure) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = logical.find('\n', start);
        const std::string_view paragraph =
            logical.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        std::string line; // logical order
        std::size_t word_start = 0;
        while (word_start <= paragraph.size()) {
            std::size_t word_end = paragraph.find(' ', word_start);
            if (word_end == std::string_view::npos) word_end = paragraph.size();
            const std::string_view word = paragraph.substr(word_start, word_end - word_start);
            std::string candidate = line.empty() ? std::string(word) : line + " " + std::string(word);
            if (line.empty() || measure(to_visual_order(candidate)) <= width) {
                line = std::move(candidate);
            } else {
                lines.push_back(to_visual_order(line));
                line = std::string(word);
            }
            word_start = word_end + 1;
        }
        lines.push_back(to_visual_order(line));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return lines;
}

} // namespace peddlenet
