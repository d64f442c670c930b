// settings_screen.hpp: settings that rarely change: the ICE servers (STUN/TURN) for links
// across networks, and notifications while the app is in the background.
// Needs: app/session.hpp, app/widgets.hpp, platform/notify.hpp.
//  [X] one server per line ("URL [username credential]"), checked before it is saved
//  [X] a clear line saying what the default (none) means
//  [X] "Notify me of new messages when PeddleNet is in the background": the tap asks the browser
//      for permission; kept in localStorage; blocked or unsupported is said plainly
//  [X] a notification per message from someone else while the page is hidden, none while
//      visible; one per room (tag), alerting again only after a quiet spell
//  [X] text size (100-150 %, kept in localStorage) and the language
#pragma once

#include "app/session.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <map>
#include <string>

namespace peddlenet::app {

// The background-notification setting and the notifications it allows.
class BackgroundNotifications {
public:
    BackgroundNotifications(); // reads the saved setting

    // The person's choice; notifications also need the browser's permission.
    bool wanted() const { return wanted_; }
    void set_wanted(bool on);

    // The page was hidden or shown again (notifications are closed once it is seen).
    void page_hidden(bool hidden);
    // A message from someone else arrived in `room`; `now_ms` is monotonic.
    void message_arrived(const std::string& room, const ChatMessage& message, double now_ms);

    // {setting, permission, hidden, shown} for the automation API.
    nlohmann::json state_json() const;

private:
    bool wanted_ = false;
    bool hidden_ = false;
    unsigned long shown_ = 0;                  // notifications shown since start
    std::map<std::string, double> alerted_ms_; // room -> when its notification last alerted
};

// The text sizes offered, in percent of the normal size.
inline constexpr std::array<int, 4> text_sizes = {100, 115, 130, 150};
// The text size in use (ImGui's FontScaleMain); set_ keeps and applies one.
int text_size_percent();
void set_text_size_percent(int percent);
// Applies the saved text size; call once ImGui exists.
void apply_saved_text_size();

class SettingsScreen {
public:
    enum class Action { none, close };
    // Call when the screen opens: fills the editor with the saved setting.
    void open(const ChatSession& session);
    Action draw(ChatSession& session, BackgroundNotifications& notifications);

private:
    void draw_language(float column);
    void draw_text_size(float column);
    // "Connect only through a relay", and whether the relay works.
    void draw_relay(ChatSession& session, float column);
    void draw_notifications(BackgroundNotifications& notifications, float column);

    std::string ice_text_;
    std::string notice_;
    bool saved_ = false;
    bool asking_ = false; // the browser's permission prompt is open
};

} // namespace peddlenet::app
