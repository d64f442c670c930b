// locale.hpp: the user's languages and the page's language (web/locale.js).
// Needs: navigator.languages, Intl.DateTimeFormat.
//  [X] the browser's preferred languages, in the user's order
//  [X] clock times in a language's own format ("14:05", "2:05 PM", "١٤:٠٥")
//  [X] <html lang dir> set to the language shown, so assistive technology reads it right
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace peddlenet::platform {

// navigator.languages (BCP 47 tags), or navigator.language alone; empty if neither is known.
std::vector<std::string> preferred_languages();

// Hours and minutes of `epoch_ms` in local time, written as `language` writes them.
std::string clock_time(std::int64_t epoch_ms, const std::string& language);

// Marks the document as being in `language`, laid out right to left or not.
void set_document_language(const std::string& language, bool rtl);

} // namespace peddlenet::platform
