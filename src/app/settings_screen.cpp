// settings_screen.cpp: see settings_screen.hpp.
#include "app/settings_screen.hpp"

#include "app/widgets.hpp"
#include "platform/input.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>

namespace peddlenet::app {

void SettingsScreen::open(const ChatSession& session) {
    ice_text_ = session.ice_servers();
    notice_.clear();
    saved_ = false;
}

SettingsScreen::Action SettingsScreen::draw(ChatSession& session) {
    Action action = Action::none;
    const float column = std::min(ImGui::GetContentRegionAvail().x, em(30.0f));
    ImGui::SetCursorPosX((ImGui::GetWindowWidth() - column) * 0.5f);
    ImGui::BeginGroup();
    ImGui::Dummy(em(0, 1.0f));
    ImGui::TextUnformatted("ICE servers");
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + column);
    ImGui::TextUnformatted("Leave empty at a festival: phones on one Wi-Fi reach each other directly. "
                           "Across networks, add a TURN server, one per line: "
                           "turn:host:3478 username credential (or stun:host:3478).");
    ImGui::PopTextWrapPos();
    ImGui::PopStyleColor();
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
    if (secondary_button("Back", column)) action = Action::close;
    if (saved_) {
        ImGui::TextDisabled("Saved. New connections use it.");
    } else if (!notice_.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.55f, 0.5f, 1.0f));
        literal_text(notice_);
        ImGui::PopStyleColor();
    }
    ImGui::EndGroup();
    return action;
}

} // namespace peddlenet::app
