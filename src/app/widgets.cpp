// widgets.cpp: see widgets.hpp.
#include "app/widgets.hpp"

#include "app/theme.hpp"
#include "platform/input.hpp"

#include <imgui_stdlib.h>

namespace peddlenet::app {

ImVec2 em(float x, float y) {
    const float size = ImGui::GetFontSize();
    return ImVec2(x * size, y * size);
}

float em(float x) {
    return x * ImGui::GetFontSize();
}

namespace {
// Cuts an edit back to the field's byte limit, on a UTF-8 boundary, inside ImGui's own edit
// state (trimming the std::string afterwards would be undone by the active field).
int limit_to_bytes(ImGuiInputTextCallbackData* data) {
    const auto max_bytes = *static_cast<const std::size_t*>(data->UserData);
    if (static_cast<std::size_t>(data->BufTextLen) <= max_bytes) return 0;
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(data->Buf[cut]) & 0xC0) == 0x80) --cut;
    data->DeleteChars(static_cast<int>(cut), data->BufTextLen - static_cast<int>(cut));
    return 0;
}
} // namespace

bool text_field(const char* id, const char* hint, std::string& value, std::size_t max_bytes,
                ImGuiInputTextFlags flags) {
    const bool changed = ImGui::InputTextWithHint(id, hint, &value,
                                                  flags | ImGuiInputTextFlags_CallbackEdit,
                                                  limit_to_bytes, &max_bytes);
    const ImVec2 min = ImGui::GetItemRectMin(), size = ImGui::GetItemRectSize();
    platform::note_text_field(min.x, min.y, size.x, size.y);
    return changed;
}

bool primary_button(const char* label, float width) {
    ImGui::PushStyleColor(ImGuiCol_Text, palette().on_accent);
    const bool pressed = ImGui::Button(label, ImVec2(width, em(2.6f)));
    ImGui::PopStyleColor();
    return pressed;
}

bool secondary_button(const char* label, float width) {
    ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_FrameBg));
    ImGui::PushStyleColor(ImGuiCol_ButtonHovered, ImGui::GetStyleColorVec4(ImGuiCol_FrameBgHovered));
    ImGui::PushStyleColor(ImGuiCol_ButtonActive, ImGui::GetStyleColorVec4(ImGuiCol_FrameBgActive));
    const bool pressed = ImGui::Button(label, ImVec2(width, em(2.6f)));
    ImGui::PopStyleColor(3);
    return pressed;
}

void literal_text(std::string_view text, bool wrap) {
    if (wrap) ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted(text.data(), text.data() + text.size());
    if (wrap) ImGui::PopTextWrapPos();
}

void centered_text(const char* text) {
    const float width = ImGui::CalcTextSize(text).x;
    ImGui::SetCursorPosX((ImGui::GetWindowWidth() - width) * 0.5f);
    ImGui::TextUnformatted(text);
}

bool wrapped_checkbox(const char* id, const char* label, bool& on, float width) {
    const float start_x = ImGui::GetCursorPosX();
    bool tapped = ImGui::Checkbox(id, &on);
    ImGui::SameLine();
    ImGui::PushTextWrapPos(start_x + width);
    ImGui::TextUnformatted(label);
    ImGui::PopTextWrapPos();
    if (ImGui::IsItemClicked()) {
        on = !on;
        tapped = true;
    }
    return tapped;
}

} // namespace peddlenet::app
