// widgets.cpp: see widgets.hpp.
#include "app/widgets.hpp"

#include "app/language.hpp"
#include "app/mirror.hpp"
#include "app/theme.hpp"
#include "core/bidi.hpp"
#include "platform/input.hpp"

#include <imgui_internal.h>
#include <imgui_stdlib.h>

#include <algorithm>

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

bool secondary_button(const char* label, float width) { return quiet_button(label, ImVec2(width, em(2.6f))); }

bool quiet_button(const char* label, ImVec2 size) {
    ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_FrameBg));
    ImGui::PushStyleColor(ImGuiCol_ButtonHovered, ImGui::GetStyleColorVec4(ImGuiCol_FrameBgHovered));
    ImGui::PushStyleColor(ImGuiCol_ButtonActive, ImGui::GetStyleColorVec4(ImGuiCol_FrameBgActive));
    const bool pressed = ImGui::Button(label, size);
    ImGui::PopStyleColor(3);
    return pressed;
}

std::string visual(std::string_view logical) { return to_visual_order(logical); }

void literal_text(std::string_view text, bool wrap) {
    if (wrap) ImGui::PushTextWrapPos(0.0f);
    if (!has_rtl(text)) {
        ImGui::TextUnformatted(text.data(), text.data() + text.size());
    } else {
        // ImGui wraps left to right: wrap in reading order first, then each line in display
        // order, right-aligned when the UI is right to left.
        ImGuiWindow* window = ImGui::GetCurrentWindow();
        const float wrap_pos = window->DC.TextWrapPos;
        const float width = wrap_pos < 0.0f ? FLT_MAX : ImGui::CalcWrapWidthForPos(window->DC.CursorPos, wrap_pos);
        const auto measure = [](std::string_view s) { return ImGui::CalcTextSize(s.data(), s.data() + s.size()).x; };
        const float start_x = ImGui::GetCursorPosX();
        ImGui::BeginGroup();
        for (const std::string& line : wrap_visual(text, width, measure)) {
            if (ui_rtl() && width < FLT_MAX) ImGui::SetCursorPosX(start_x + std::max(0.0f, width - measure(line)));
            ImGui::TextUnformatted(line.c_str(), line.c_str() + line.size());
        }
        ImGui::EndGroup();
    }
    if (wrap) ImGui::PopTextWrapPos();
}

void centered_text(const char* text) {
    const float width = ImGui::CalcTextSize(text).x;
    ImGui::SetCursorPosX((ImGui::GetWindowWidth() - width) * 0.5f);
    ImGui::TextUnformatted(text);
}

bool back_row(const std::string& back_name, const std::function<void()>& title) {
    const std::string back_label = visual(back_name) + "###back";
    // Escape is Back on every such screen: on the canvas here, in the DOM mirror by web/a11y.js.
    const bool escape = ImGui::IsKeyPressed(ImGuiKey_Escape, false);
    if (!ui_rtl()) {
        const bool pressed = mirror().button("back", back_name, ImGui::Button(back_label.c_str()));
        ImGui::SameLine();
        ImGui::BeginGroup();
        title();
        ImGui::EndGroup();
        return pressed || escape;
    }
    const ImGuiStyle& style = ImGui::GetStyle();
    const float back_w = ImGui::CalcTextSize(back_label.c_str(), nullptr, true).x + 2 * style.FramePadding.x;
    const float end_x = ImGui::GetContentRegionMax().x;
    ImGui::BeginGroup();
    ImGui::PushTextWrapPos(end_x - back_w - style.ItemSpacing.x);
    title();
    ImGui::PopTextWrapPos();
    ImGui::EndGroup();
    ImGui::SameLine(end_x - back_w);
    return mirror().button("back", back_name, ImGui::Button(back_label.c_str())) || escape;
}

bool wrapped_checkbox(const char* id, const char* label, bool& on, float width) {
    const float start_x = ImGui::GetCursorPosX();
    bool tapped = ImGui::Checkbox(id, &on);
    ImGui::SameLine();
    ImGui::PushTextWrapPos(start_x + width);
    literal_text(label, false);
    ImGui::PopTextWrapPos();
    if (ImGui::IsItemClicked()) {
        on = !on;
        tapped = true;
    }
    return tapped;
}

} // namespace peddlenet::app
