// settings_screen.cpp: see settings_screen.hpp.
#include "app/settings_screen.hpp"

#include "app/language.hpp"
#include "app/mirror.hpp"
#include "app/theme.hpp"
#include "app/widgets.hpp"
#include "platform/input.hpp"
#include "platform/notify.hpp"
#include "platform/storage.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace peddlenet::app {
namespace {

constexpr const char* key_notify = "peddlenet.notify"; // localStorage: "on" when wanted
constexpr const char* key_text_size = "peddlenet.text-size"; // localStorage: a percentage of text_sizes

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

void muted_wrapped(const std::string& text, float column) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + column);
    literal_text(text, false);
    ImGui::PopTextWrapPos();
    ImGui::PopStyleColor();
}

} // namespace

// The size in use is ImGui's font scale: storage is read once, at start.
int text_size_percent() { return static_cast<int>(std::lround(ImGui::GetStyle().FontScaleMain * 100.0f)); }

void set_text_size_percent(int percent) {
    if (percent == 100) {
        platform::local_remove(key_text_size);
    } else {
        platform::local_set(key_text_size, std::to_string(percent));
    }
    ImGui::GetStyle().FontScaleMain = static_cast<float>(percent) / 100.0f;
}

void apply_saved_text_size() {
    const auto saved = platform::local_get(key_text_size);
    const int percent = saved ? std::atoi(saved->c_str()) : 100;
    const bool offered = std::find(text_sizes.begin(), text_sizes.end(), percent) != text_sizes.end();
    ImGui::GetStyle().FontScaleMain = static_cast<float>(offered ? percent : 100) / 100.0f;
}

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
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + column); // texts wrap and align to the column
    mirror().heading("title", tr("home.settings"));
    mirror().dialog(tr("home.settings"));
    ImGui::Dummy(em(0, 1.0f));
    draw_notifications(notifications, column);
    ImGui::Dummy(em(0, 0.5f));
    literal_text(tr("settings.ice_title"), false);
    muted_wrapped(tr("settings.ice_explain"), column);
    if (ImGui::InputTextMultiline("##ice", &ice_text_, ImVec2(column, em(6.0f)))) {
        saved_ = false;
        notice_.clear();
    }
    const ImVec2 min = ImGui::GetItemRectMin(), size = ImGui::GetItemRectSize();
    platform::note_text_field(min.x, min.y, size.x, size.y);
    if (mirror().textbox("ice", tr("settings.ice_title"), ice_text_, {}, true).changed) {
        saved_ = false;
        notice_.clear();
    }
    if (mirror().button("save-ice", tr("common.save"), primary_button((visual(tr("common.save")) + "###save-ice").c_str(), column))) {
        notice_ = session.set_ice_servers(ice_text_);
        saved_ = notice_.empty();
    }
    if (saved_) {
        ImGui::TextDisabled("%s", visual(tr("settings.saved")).c_str());
    } else if (!notice_.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, palette().error_text);
        literal_text(notice_);
        ImGui::PopStyleColor();
        mirror().alert("ice-notice", notice_);
    }
    ImGui::Dummy(em(0, 0.5f));
    draw_relay(session, column);
    ImGui::Dummy(em(0, 0.5f));
    // Last, above Back: the choices show each language in its own script, easy to find there.
    draw_text_size(column);
    ImGui::Dummy(em(0, 0.5f));
    draw_language(column);
    ImGui::Dummy(em(0, 0.5f));
    if (mirror().button("back", tr("common.back"), secondary_button((visual(tr("common.back")) + "###back").c_str(), column)))
        action = Action::close;
    ImGui::PopTextWrapPos();
    ImGui::EndGroup();
    return action;
}

void SettingsScreen::draw_relay(ChatSession& session, float column) {
    const float start_x = ImGui::GetCursorPosX();
    bool on = session.relay_only();
    if (mirror().checkbox("relay-only", tr("settings.relay_only"), on,
                          wrapped_checkbox("##relay-only", tr("settings.relay_only").c_str(), on, column)))
        session.set_relay_only(on);
    muted_wrapped(tr(session.box_ice_servers() > 0 ? "settings.relay_box" : "settings.relay_none"), column);
    const platform::BrowserRtc::RelayReport& relay = session.relay_report();
    if (relay.error_code != 0) {
        ImGui::PushStyleColor(ImGuiCol_Text, palette().error_text);
        ImGui::PushTextWrapPos(start_x + column);
        std::string reason = relay.error_text;
        while (!reason.empty() && (reason.back() == '.' || reason.back() == ' ')) reason.pop_back();
        const std::string detail = std::to_string(relay.error_code) + (reason.empty() ? "" : " " + reason);
        literal_text(tr(relay.error_code == 401 ? "settings.relay_refused" : "settings.relay_no_answer",
                        {{"detail", detail}}));
        ImGui::PopTextWrapPos();
        ImGui::PopStyleColor();
    }
}

// The languages by their own names; the first entry follows the browser.
void SettingsScreen::draw_language(float column) {
    literal_text(tr("settings.language"), false);
    const auto languages = ui_languages();
    const std::string chosen = chosen_language();
    // The first choice follows the browser; then each language by its own name.
    const std::string browser = browser_language();
    std::string browser_name = browser;
    for (const auto& [tag, name] : languages)
        if (tag == browser) browser_name = name;
    std::vector<std::string> options{tr("settings.language_browser", {{"language", browser_name}})};
    int selected = 0;
    for (std::size_t i = 0; i < languages.size(); ++i) {
        options.push_back(languages[i].second);
        if (languages[i].first == chosen) selected = static_cast<int>(i) + 1;
    }
    const auto pick = [&](int index) { choose_language(index == 0 ? std::string() : languages[static_cast<std::size_t>(index - 1)].first); };
    ImGui::SetNextItemWidth(column);
    if (ImGui::BeginCombo("##language", visual(options[static_cast<std::size_t>(selected)]).c_str())) {
        for (std::size_t i = 0; i < options.size(); ++i) {
            ImGui::PushID(static_cast<int>(i));
            if (ImGui::Selectable(visual(options[i]).c_str(), static_cast<int>(i) == selected)) pick(static_cast<int>(i));
            ImGui::PopID();
        }
        ImGui::EndCombo();
    }
    if (const int index = mirror().choice("language", tr("settings.language"), options, selected); index >= 0) pick(index);
}

void SettingsScreen::draw_text_size(float column) {
    literal_text(tr("settings.text_size"), false);
    std::vector<std::string> options;
    int selected = 0;
    for (std::size_t i = 0; i < text_sizes.size(); ++i) {
        options.push_back(tr("settings.percent", {{"value", std::to_string(text_sizes[i])}}));
        if (text_sizes[i] == text_size_percent()) selected = static_cast<int>(i);
    }
    int picked = -1;
    ImGui::SetNextItemWidth(column);
    if (ImGui::BeginCombo("##text-size", visual(options[static_cast<std::size_t>(selected)]).c_str())) {
        for (std::size_t i = 0; i < options.size(); ++i) {
            if (ImGui::Selectable(visual(options[i]).c_str(), static_cast<int>(i) == selected)) picked = static_cast<int>(i);
        }
        ImGui::EndCombo();
    }
    if (const int index = mirror().choice("text-size", tr("settings.text_size"), options, selected); index >= 0) picked = index;
    if (picked >= 0) set_text_size_percent(text_sizes[static_cast<std::size_t>(picked)]);
}

void SettingsScreen::draw_notifications(BackgroundNotifications& notifications, float column) {
    using platform::NotifyPermission;
    const NotifyPermission permission = platform::notify_permission();
    bool on = notifications.wanted() && permission == NotifyPermission::granted;
    const float start_x = ImGui::GetCursorPosX();
    literal_text(tr("settings.notifications"), false);
    const bool tapped = mirror().checkbox("notify", tr("settings.notify_label"), on,
                                          wrapped_checkbox("##notify", tr("settings.notify_label").c_str(), on, column));
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
    const std::string* status = nullptr;
    bool problem = false;
    if (asking_) {
        status = &tr("settings.notify_asking");
    } else if (permission == NotifyPermission::unsupported) {
        status = &tr("settings.notify_unsupported");
        problem = notifications.wanted();
    } else if (permission == NotifyPermission::denied && notifications.wanted()) {
        status = &tr("settings.notify_blocked");
        problem = true;
    } else if (on) {
        status = &tr("settings.notify_on");
    }
    if (status != nullptr) {
        if (problem) {
            ImGui::PushStyleColor(ImGuiCol_Text, palette().error_text);
            ImGui::PushTextWrapPos(start_x + column);
            literal_text(*status, false);
            ImGui::PopTextWrapPos();
            ImGui::PopStyleColor();
        } else {
            muted_wrapped(*status, column);
        }
    }
}

} // namespace peddlenet::app
