// language.hpp: the app's words in the user's language. The catalogs (assets/i18n, preloaded
// at /i18n) are read once at start; the language follows the browser's list unless the user
// picked one in Settings.
// Needs: core/i18n.hpp, platform/locale.hpp, platform/storage.hpp.
//  [X] tr(id), tr(id, args), tr_plural(id, n, args) for every user-visible text
//  [X] the language from navigator.languages, or the user's choice (kept in localStorage)
//  [X] clock times in the language's own format; <html lang dir> kept in step
#pragma once

#include "core/i18n.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace peddlenet::app {

void load_languages();

const std::string& tr(std::string_view id); // stable until the language changes
std::string tr(std::string_view id, const i18n::Args& args);
std::string tr(const i18n::Message& m);
std::string tr_plural(std::string_view id, long long n, i18n::Args args = {});

const std::string& ui_language();
bool ui_rtl();

// (tag, name in its own language) of every shipped language.
std::vector<std::pair<std::string, std::string>> ui_languages();
// The user's choice; empty when the app follows the browser.
std::string chosen_language();
// What the browser's languages pick.
std::string browser_language();
// Follows `tag` from now on, and after a reload; empty: follow the browser again.
void choose_language(const std::string& tag);

// "14:05" / "2:05 PM" in the language shown.
std::string clock_time(std::int64_t epoch_ms);

} // namespace peddlenet::app
