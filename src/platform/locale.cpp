// locale.cpp: see locale.hpp.
#include "platform/locale.hpp"

#include <cstdlib>
#include <sstream>

extern "C" {
// Implemented in web/locale.js; strings returned are malloc'd UTF-8, freed here.
char* pn_locale_languages(); // newline-separated
char* pn_locale_clock_time(double epoch_ms, const char* language);
void pn_locale_set_document(const char* language, int rtl);
}

namespace peddlenet::platform {
namespace {

std::string take(char* text) {
    std::string out = text ? text : "";
    std::free(text);
    return out;
}

} // namespace

std::vector<std::string> preferred_languages() {
    std::vector<std::string> out;
    std::istringstream lines(take(pn_locale_languages()));
    for (std::string tag; std::getline(lines, tag);)
        if (!tag.empty()) out.push_back(tag);
    return out;
}

std::string clock_time(std::int64_t epoch_ms, const std::string& language) {
    return take(pn_locale_clock_time(static_cast<double>(epoch_ms), language.c_str()));
}

void set_document_language(const std::string& language, bool rtl) {
    pn_locale_set_document(language.c_str(), rtl ? 1 : 0);
}

} // namespace peddlenet::platform
