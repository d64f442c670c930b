// theme.cpp: see theme.hpp.
#include "app/theme.hpp"

#include <imgui.h>

#include <initializer_list>

namespace peddlenet::app {

bool load_fonts() {
    ImGuiIO& io = ImGui::GetIO();
    ImFont* main = io.Fonts->AddFontFromFileTTF("/fonts/ui.ttf", base_font_px);
    if (main == nullptr) {
        io.Fonts->AddFontDefault();
        return false;
    }
    ImFontConfig merge;
    merge.MergeMode = true;
    for (const char* fallback : {"/fonts/hebrew.ttf", "/fonts/arabic.ttf", "/fonts/symbols.ttf", "/fonts/emoji.ttf"}) {
        io.Fonts->AddFontFromFileTTF(fallback, base_font_px, &merge);
    }
    return true;
}

void apply_theme() {
    ImGuiStyle& style = ImGui::GetStyle();
    ImGui::StyleColorsDark(&style);
    style.FontSizeBase = base_font_px;
    // Touch targets: roomy padding and rounded controls, scaled from ImGui's desktop defaults.
    style.WindowPadding = ImVec2(16, 16);
    style.FramePadding = ImVec2(12, 10);
    style.ItemSpacing = ImVec2(10, 12);
    style.ItemInnerSpacing = ImVec2(8, 6);
    style.ScrollbarSize = 10;
    style.FrameRounding = 10;
    style.GrabRounding = 10;
    style.WindowRounding = 0;
    style.ChildRounding = 10;
    style.PopupRounding = 10;
    style.ScrollbarRounding = 10;
    style.WindowBorderSize = 0;

    ImVec4* c = style.Colors;
    const ImVec4 accent(0.98f, 0.55f, 0.20f, 1.00f); // festival orange
    c[ImGuiCol_WindowBg] = ImVec4(0.07f, 0.08f, 0.11f, 1.00f);
    c[ImGuiCol_ChildBg] = ImVec4(0.11f, 0.12f, 0.16f, 1.00f);
    c[ImGuiCol_FrameBg] = ImVec4(0.15f, 0.16f, 0.21f, 1.00f);
    c[ImGuiCol_FrameBgHovered] = ImVec4(0.19f, 0.20f, 0.26f, 1.00f);
    c[ImGuiCol_FrameBgActive] = ImVec4(0.22f, 0.23f, 0.30f, 1.00f);
    c[ImGuiCol_Button] = accent;
    c[ImGuiCol_ButtonHovered] = ImVec4(1.00f, 0.63f, 0.32f, 1.00f);
    c[ImGuiCol_ButtonActive] = ImVec4(0.88f, 0.45f, 0.12f, 1.00f);
    c[ImGuiCol_Text] = ImVec4(0.95f, 0.95f, 0.97f, 1.00f);
    c[ImGuiCol_TextDisabled] = ImVec4(0.60f, 0.62f, 0.68f, 1.00f);
    c[ImGuiCol_TextSelectedBg] = ImVec4(0.98f, 0.55f, 0.20f, 0.35f);
    c[ImGuiCol_NavCursor] = accent;
    c[ImGuiCol_Separator] = ImVec4(0.22f, 0.23f, 0.30f, 1.00f);
}

} // namespace peddlenet::app
