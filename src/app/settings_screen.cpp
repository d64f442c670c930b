// settings_screen.cpp: see settings_screen.hpp.
#include "app/settings_screen.hpp"

#include "app/theme.hpp"
#include "app/widgets.hpp"
#include "platform/input.hpp"
#include "platform/notify.hpp"
#include "platform/storage.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>

namespace peddlenet::app {
namespace {

constexpr const char* key_notify = "peddlenet.notify"; // localStorage: "on" when wanted

// A busy room alerts (sound, vibration) at most this often; in between the room's notification
// is replaced silently, so the newest message is always the one shown.
constexpr double realert_after_ms = 30000.0;

// A notification shows a few lines at most: longer texts are cut, on a character boundary.
constexpr std::size_t max_body_chars = 140;

// The first `max_chars` UTF-8 characters of `text`, with an ellipsis when cut.
std::string first_chars(const std::string& text, std::size_t max_chars) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue; // continuation byte
        if (chars++ == max_chars) return text.substr(0, i) + "\xE2\x80\xA6"; // U+2026
    }
    return text;
}

const char* permission_name(platform::NotifyPermission p) {
    switch (p) {
    case platform::NotifyPermission::unsupported: return "unsupported";
    case platform::NotifyPermission::prompt: return "default";
    case platform::NotifyPermission::granted: return "granted";
    case platform::NotifyPermission::denied: return "denied";
    }
    return "unsupported";
}

void muted_wrapped(const char* text, float column) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + column);
    ImGui::TextUnformatted(text);
    ImGui::PopTextWrapPos();
    ImGui::PopStyleColor();
}

} // namespace

BackgroundNotifications::BackgroundNotifications() {
    wanted_ = platform::local_get(key_notify) == "on";
}

void BackgroundNotifications::set_wanted(bool on) {
    wanted_ = on;
    if (on) {
        platform::local_set(key_notify, "on");
    } else {
        platform::local_remove(key_notify);
    }
}

void BackgroundNotifications::page_hidden(bool hidden) {
    hidden_ = hidden;
    // Back in the app: the messages are on screen, their notifications only clutter.
    if (!hidden && shown_ > 0) platform::close_notifications();
}

void BackgroundNotifications::message_arrived(const std::string& room, const ChatMessage& message,
                                              double now_ms) {
    if (!hidden_ || !wanted_ || platform::notify_permission() != platform::NotifyPermission::granted) return;
    const auto last = alerted_ms_.find(room);
    const bool alert = last == alerted_ms_.end() || now_ms - last->second >= realert_after_ms;
    if (alert) alerted_ms_[room] = now_ms;
    platform::show_notification(room, first_chars(message.name + ": " + message.text, max_body_chars),
                                "peddlenet-room-" + room, alert);
    ++shown_;
}

nlohmann::json BackgroundNotifications::state_json() const {
    return {{"setting", wanted_},
            {"permission", permission_name(platform::notify_permission())},
            {"hidden", hidden_},
            {"shown", shown_}};
}

void SettingsScreen::open(const ChatSession& session) {
    ice_text_ = session.ice_servers();
    notice_.clear();
    saved_ = false;
}

SettingsScreen::Action SettingsScreen::draw(ChatSession& session, BackgroundNotifications& notifications) {
    Action action = Action::none;
    const float column = std::min(ImGui::GetContentRegionAvail().x, em(30.0f));
    ImGui::SetCursorPosX((ImGui::GetWindowWidth() - column) * 0.5f);
    ImGui::BeginGroup();
    ImGui::Dummy(em(0, 1.0f));
    draw_notifications(notifications, column);
    ImGui::Dummy(em(0, 0.5f));
    ImGui::TextUnformatted("ICE servers");
    muted_wrapped("Leave empty at a festival: phones on one Wi-Fi reach each other directly. "
                  "Across networks, add a TURN server, one per line: "
                  "turn:host:3478 username credential (or stun:host:3478).",
                  column);
    if (ImGui::InputTextMultiline("##ice", &ice_text_, ImVec2(column, em(6.0f)))) {
        saved_ = false;
        notice_.clear();
    }
    const ImVec2 min = ImGui::GetItemRectMin(), size = ImGui::GetItemRectSize();
    platform::note_text_field(min.x, min.y, size.x, size.y);
    if (primary_button("Save", column)) {
        notice_ = session.set_ice_servers(ice_text_);
        saved_ = notice_.empty();
    }
    if (saved_) {
        ImGui::TextDisabled("Saved. New connections use it.");
    } else if (!notice_.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, palette().error_text);
        literal_text(notice_);
        ImGui::PopStyleColor();
    }
    ImGui::Dummy(em(0, 0.5f));
    draw_relay(session, column);
    ImGui::Dummy(em(0, 0.5f));
    if (secondary_button("Back", column)) action = Action::close;
    ImGui::EndGroup();
    return action;
}

void SettingsScreen::draw_relay(ChatSession& session, float column) {
    const float start_x = ImGui::GetCursorPosX();
    bool on = session.relay_only();
    if (wrapped_checkbox("##relay-only", "Connect only through a relay", on, column)) session.set_relay_only(on);
    muted_wrapped(session.box_ice_servers() > 0
                      ? "This festival box offers a relay. Through it, others see the box's address, "
                        "not yours; links may be slower."
                      : "Others then see the relay's address, not yours. Needs a TURN server: this "
                        "box offers none, so add one above.",
                  column);
    const platform::BrowserRtc::RelayReport& relay = session.relay_report();
    if (relay.error_code != 0) {
        ImGui::PushStyleColor(ImGuiCol_Text, palette().error_text);
        ImGui::PushTextWrapPos(start_x + column);
        std::string reason = relay.error_text;
        while (!reason.empty() && (reason.back() == '.' || reason.back() == ' ')) reason.pop_back();
        const std::string detail =
            "(" + std::to_string(relay.error_code) + (reason.empty() ? "" : " " + reason) + ").";
        literal_text(relay.error_code == 401 ? "The relay refused this phone's credentials " + detail
                                             : "The relay did not answer " + detail);
        ImGui::PopTextWrapPos();
        ImGui::PopStyleColor();
    }
}

void SettingsScreen::draw_notifications(BackgroundNotifications& notifications, float column) {
    using platform::NotifyPermission;
    const NotifyPermission permission = platform::notify_permission();
    bool on = notifications.wanted() && permission == NotifyPermission::granted;
    const float start_x = ImGui::GetCursorPosX();
    ImGui::TextUnformatted("Notifications");
    const bool tapped = wrapped_checkbox(
        "##notify", "Notify me of new messages when PeddleNet is in the background", on, column);
    if (tapped && !asking_) {
        if (!on) {
            notifications.set_wanted(false);
        } else if (permission == NotifyPermission::granted) {
            notifications.set_wanted(true);
        } else if (permission == NotifyPermission::prompt) {
            // From this frame, right after the tap: the browser allows the prompt only then.
            asking_ = true;
            platform::request_notify_permission([this, &notifications](NotifyPermission answer) {
                asking_ = false;
                if (answer == NotifyPermission::granted) notifications.set_wanted(true);
            });
        } else {
            notifications.set_wanted(true); // remembered: it works once the browser allows it
        }
    }
    const char* status = nullptr;
    bool problem = false;
    if (asking_) {
        status = "Waiting for your answer to the browser's question\xE2\x80\xA6";
    } else if (permission == NotifyPermission::unsupported) {
        status = "This browser cannot show notifications. On an iPhone, add PeddleNet to the Home "
                 "Screen and open it from there.";
        problem = notifications.wanted();
    } else if (permission == NotifyPermission::denied && notifications.wanted()) {
        status = "Notifications are blocked for this site. Allow them in the browser's site settings.";
        problem = true;
    } else if (on) {
        status = "On: messages that arrive while PeddleNet is hidden show as notifications.";
    }
    if (status != nullptr) {
        if (problem) {
            ImGui::PushStyleColor(ImGuiCol_Text, palette().error_text);
            ImGui::PushTextWrapPos(start_x + column);
            ImGui::TextUnformatted(status);
            ImGui::PopTextWrapPos();
            ImGui::PopStyleColor();
        } else {
            muted_wrapped(status, column);
        }
    }
}

} // namespace peddlenet::app
