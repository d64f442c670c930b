// language.cpp: see language.hpp.
#include "app/language.hpp"

#include "platform/locale.hpp"
#include "platform/storage.hpp"

#include <emscripten/emscripten.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace peddlenet::app {
namespace {

constexpr const char* key_language = "peddlenet.language"; // localStorage: a tag, or absent
constexpr const char* fallback = "en";
// The catalogs shipped in assets/i18n (tests/unit/i18n_test.cpp checks each one).
constexpr const char* shipped[] = {"en", "de", "es", "fr", "pt", "ar", "ja"};

i18n::Translator& translator() {
    static i18n::Translator t;
    return t;
}

std::vector<std::string> available() {
    std::vector<std::string> out;
    for (const auto& [tag, name] : translator().languages()) out.push_back(tag);
    return out;
}

void apply(const std::string& tag) {
    translator().use(tag);
    platform::set_document_language(translator().language(), translator().rtl());
}

} // namespace

void load_languages() {
    for (const char* tag : shipped) {
        std::ifstream in(std::string("/i18n/") + tag + ".json", std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        std::string error;
        if (auto catalog = i18n::parse_catalog(text.str(), error)) {
            translator().add(std::move(*catalog));
        } else {
            emscripten_log(EM_LOG_WARN, "PeddleNet: language %s not loaded: %s", tag, error.c_str());
        }
    }
    translator().set_fallback(fallback);
    const std::string chosen = chosen_language();
    apply(chosen.empty() ? browser_language() : chosen);
}

const std::string& tr(std::string_view id) { return translator().text(id); }
std::string tr(std::string_view id, const i18n::Args& args) { return translator().text(id, args); }
std::string tr(const i18n::Message& m) { return translator().text(m); }
std::string tr_plural(std::string_view id, long long n, i18n::Args args) {
    return translator().plural(id, n, std::move(args));
}

const std::string& ui_language() { return translator().language(); }
bool ui_rtl() { return translator().rtl(); }
std::vector<std::pair<std::string, std::string>> ui_languages() { return translator().languages(); }

std::string chosen_language() {
    const auto saved = platform::local_get(key_language);
    if (!saved) return {};
    const auto tags = available();
    return std::find(tags.begin(), tags.end(), *saved) != tags.end() ? *saved : std::string();
}

std::string browser_language() { return i18n::pick_language(platform::preferred_languages(), available(), fallback); }

void choose_language(const std::string& tag) {
    if (tag.empty()) {
        platform::local_remove(key_language);
    } else {
        platform::local_set(key_language, tag);
    }
    apply(tag.empty() ? browser_language() : tag);
}

std::string clock_time(std::int64_t epoch_ms) { return platform::clock_time(epoch_ms, ui_language()); }

} // namespace peddlenet::app
