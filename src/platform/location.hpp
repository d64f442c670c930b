// location.hpp: the page's own address (window.location, web/location.js): where the app was
// served from, and the invite a link put in its fragment.
// Needs: web/location.js.
//  [X] the page URL, as the browser normalised it
//  [X] fragment changes (hashchange: an invite link opened while the app is already open)
//  [X] clearing the fragment without a navigation, a reload or a history entry
//  [X] opening another URL (a reload when only the fragment differs, so the app starts afresh)
#pragma once

#include <functional>
#include <string>

namespace peddlenet::platform {

// location.href.
std::string page_url();

// Runs `fn(url)` with the new location.href after the fragment changed by navigation (a link,
// the address bar, back/forward); not after clear_fragment().
void on_fragment_change(std::function<void(const std::string& url)> fn);

// Drops "#..." from the address bar (history.replaceState): the page stays, no event fires.
void clear_fragment();

// Navigates to `url`; when it is this page with another fragment, reloads it.
void open_url(const std::string& url);

} // namespace peddlenet::platform
