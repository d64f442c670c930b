// text_fuzz.cpp: hostile text (core/text.hpp, core/bidi.hpp), as any peer's message or name.
// UTF-8 repair always yields valid UTF-8, leaves valid text unchanged and is idempotent; the
// validator and the code point count agree with a decoder written here from RFC 3629; the
// display-name rule agrees with its parts; visual reordering keeps text valid, keeps its lines,
// and leaves text without right-to-left characters unchanged.
#include "core/bidi.hpp"
#include "core/text.hpp"
#include "fuzz/fuzz_check.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

using namespace peddlenet;

namespace {

// RFC 3629 decoding, one code point at a time: the number of code points, or nullopt.
std::optional<std::size_t> reference_length(std::string_view s) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size(); ++n) {
        const auto b = static_cast<unsigned char>(s[i]);
        std::size_t len;
        char32_t cp;
        if (b < 0x80) { len = 1; cp = b; }
        else if (b >= 0xC2 && b <= 0xDF) { len = 2; cp = b & 0x1F; }
        else if (b >= 0xE0 && b <= 0xEF) { len = 3; cp = b & 0x0F; }
        else if (b >= 0xF0 && b <= 0xF4) { len = 4; cp = b & 0x07; }
        else return std::nullopt;
        if (i + len > s.size()) return std::nullopt;
        for (std::size_t k = 1; k < len; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if ((c & 0xC0) != 0x80) return std::nullopt;
            cp = (cp << 6) | (c & 0x3F);
        }
        const char32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return std::nullopt;
        i += len;
    }
    return n;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    const bool valid = is_valid_utf8(text);
    const auto reference = reference_length(text);
    FUZZ_CHECK(valid == reference.has_value());
    FUZZ_CHECK(utf8_length(text) == reference);

    const std::string repaired = repair_utf8(text);
    FUZZ_CHECK(is_valid_utf8(repaired));
    if (valid) FUZZ_CHECK(repaired == text);
    FUZZ_CHECK(repair_utf8(repaired) == repaired);
    // Each bad byte becomes at most one U+FFFD (3 bytes).
    FUZZ_CHECK(repaired.size() <= 3 * text.size());

    const NameProblem problem = display_name_problem(text);
    const NameProblem expected = text.empty()            ? NameProblem::empty
                                 : !valid                ? NameProblem::invalid_utf8
                                 : *reference > max_display_name_chars ? NameProblem::too_long
                                 : has_control_char(text) ? NameProblem::control_char
                                                          : NameProblem::none;
    FUZZ_CHECK(problem == expected);
    if (problem == NameProblem::none) FUZZ_CHECK(text.size() <= max_display_name_bytes);
    FUZZ_CHECK(is_valid_id(text) ==
               (!text.empty() && text.size() <= max_id_length &&
                std::all_of(text.begin(), text.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '_' || c == '-';
                })));

    // Bidi takes valid UTF-8 (the app repairs first).
    const std::string visual = to_visual_order(repaired);
    FUZZ_CHECK(is_valid_utf8(visual));
    FUZZ_CHECK(std::count(visual.begin(), visual.end(), '\n') ==
               std::count(repaired.begin(), repaired.end(), '\n'));
    if (!has_rtl(repaired)) FUZZ_CHECK(visual == repaired);
    return 0;
}
