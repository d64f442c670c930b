// share.hpp: the Web Share API (navigator.share, web/share.js): hands a link to the phone's own
// share sheet (messengers, AirDrop, Nearby Share).
// Needs: web/share.js. Call share() from a frame that follows a tap: browsers require a recent
// user gesture (transient activation) and refuse otherwise.
//  [X] availability check (navigator.share, and canShare for the data where it exists)
//  [X] outcome reported once: shared, cancelled by the person, or failed with the reason
#pragma once

#include <functional>
#include <string>

namespace peddlenet::platform {

enum class ShareOutcome { shared = 0, cancelled = 1, failed = 2 }; // as PeddleShare.OUT in share.js

// True when this browser has a share sheet for a link (most phones; few desktops).
bool can_share();

// Opens the share sheet for `url` with a title and a line of text. `done` runs exactly once.
void share(const std::string& title, const std::string& text, const std::string& url,
           std::function<void(ShareOutcome, const std::string& detail)> done);

} // namespace peddlenet::platform
