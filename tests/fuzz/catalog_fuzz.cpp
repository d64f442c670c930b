// catalog_fuzz.cpp: language catalogs (core/i18n.hpp) and the formatting and wrapping of their
// texts. Catalogs ship with the app, but a bad one must be refused with a reason, never crash
// it. An accepted catalog: every plural entry has its "other" form; every text formats with or
// without values, and without values comes back unchanged; a Translator answers every id for
// any number; every {count} and {name} is filled; wrapping a text to any width (core/bidi.hpp) keeps every word, each line no wider
// than the width unless it is a single word.
#include "core/bidi.hpp"
#include "core/i18n.hpp"
#include "core/text.hpp"
#include "fuzz/fuzz_check.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace peddlenet;

namespace {

// Code points: the width of a fixed-width font.
float width_of(std::string_view s) {
    float n = 0;
    for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

std::size_t non_spaces(std::string_view s) {
    std::size_t n = 0;
    for (const char c : s) n += c != ' ' && c != '\n';
    return n;
}

// Runs of characters other than spaces.
std::size_t words(std::string_view s) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size(); ++i) n += s[i] != ' ' && (i == 0 || s[i - 1] == ' ');
    return n;
}

void check_text(const std::string& text) {
    FUZZ_CHECK(i18n::format(text, {}) == text);
    const std::string filled = i18n::format(text, {{"count", "12"}, {"name", "Ann"}});
    // Every {count} and {name} is filled (the values hold no braces to make new ones).
    FUZZ_CHECK(filled.find("{count}") == std::string::npos && filled.find("{name}") == std::string::npos);
    if (!is_valid_utf8(text)) return;
    for (const float width : {1.0f, 7.0f, 40.0f}) {
        std::size_t kept = 0;
        for (const std::string& line : wrap_visual(text, width, width_of)) {
            kept += non_spaces(line);
            if (width_of(line) > width) FUZZ_CHECK(words(line) <= 1); // only a lone long word overflows
        }
        FUZZ_CHECK(kept == non_spaces(to_visual_order(text)));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    check_text(std::string(input.substr(0, 512)));

    std::string error;
    auto catalog = i18n::parse_catalog(input, error);
    if (!catalog) {
        FUZZ_CHECK(!error.empty());
        return 0;
    }
    i18n::Translator t;
    const std::string language = catalog->language;
    std::vector<std::string> ids;
    for (const auto& [id, entry] : catalog->entries) {
        ids.push_back(id);
        if (entry.plural()) {
            FUZZ_CHECK(entry.forms.count(i18n::Plural::other) == 1);
            for (const auto& [p, text] : entry.forms) check_text(text);
        } else {
            check_text(entry.text);
        }
    }
    t.add(std::move(*catalog));
    FUZZ_CHECK(t.use(language));
    FUZZ_CHECK(t.language() == language);
    // Every id answers for any number without throwing (a plural with no form for it would).
    for (const std::string& id : ids) {
        for (const long long n : {0LL, 1LL, 2LL, 3LL, 11LL, 100LL, 1000000LL}) (void)t.plural(id, n);
        (void)t.text(id);
    }
    for (const auto& [id, entry] : t.languages()) FUZZ_CHECK(id == language);
    return 0;
}
