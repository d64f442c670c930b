// notify.hpp: system notifications (web/notify.js): the Notifications API, shown through the
// service worker's registration when one is active (the only way on Android), else with
// `new Notification()`.
// Needs: web/notify.js; web/sw.js focuses the app when a notification is clicked.
// Call request_notify_permission() from a frame that follows a tap: browsers want a user
// gesture (transient activation) for the permission prompt.
//  [X] permission state; request with the outcome reported once
//  [X] one notification per tag (a newer one replaces it), optionally alerting again
//  [X] close this page's notifications (the person is looking at the app again)
#pragma once

#include <functional>
#include <string>

namespace peddlenet::platform {

enum class NotifyPermission { unsupported = 0, prompt = 1, granted = 2, denied = 3 }; // as notify.js

NotifyPermission notify_permission();

// Asks the browser (a prompt on most); `done` runs exactly once with the result.
void request_notify_permission(std::function<void(NotifyPermission)> done);

// Shows a notification; one with the same `tag` is replaced, silently unless `renotify`.
// Does nothing without permission. Clicking it focuses the app (or opens it again).
void show_notification(const std::string& title, const std::string& body, const std::string& tag,
                       bool renotify);

// Closes every notification this app has shown.
void close_notifications();

} // namespace peddlenet::platform
