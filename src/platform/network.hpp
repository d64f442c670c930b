// network.hpp: the browser's word that the network under the page changed (web/network.js): the
// window's "online" event, and the Network Information API's "change" where the browser has it
// (Chromium on Android: Wi-Fi to cellular, a new access point). Links over the old interface
// may be dead without knowing it yet; the room engine restarts ICE at once (on_network_changed).
// Needs: web/network.js.
//  [X] one callback for "online" and navigator.connection "change"
#pragma once

#include <functional>

namespace peddlenet::platform {

// Runs `fn` whenever the browser reports a network change (replacing an earlier callback).
void on_network_change(std::function<void()> fn);

} // namespace peddlenet::platform
