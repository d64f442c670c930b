// theme.cpp: see theme.hpp. Contrast ratios (WCAG 2) of the text pairs are noted beside them.
#include "app/theme.hpp"

#include <initializer_list>

namespace peddlenet::app {
namespace {

// 0xRRGGBB as an opaque colour.
constexpr ImVec4 rgb(unsigned hex) {
    return ImVec4(((hex >> 16) & 0xFF) / 255.0f, ((hex >> 8) & 0xFF) / 255.0f, (hex & 0xFF) / 255.0f, 1.0f);
}
constexpr ImU32 rgb32(unsigned hex) {
    return IM_COL32((hex >> 16) & 0xFF, (hex >> 8) & 0xFF, hex & 0xFF, 255);
}

// Dark: light text (#F2F2F7) on near-black; buttons a deep orange that the light text reads on.
const Palette dark_palette{
    rgb(0xF2F2F7),                   // on_accent: 5.0 on the button, 4.6 hovered
    rgb(0xFA8C33),                   // accent_text: 7.8 on the window
    rgb(0xFF8C80),                   // error_text: 8.2
    rgb32(0x7A3E14),                 // own_bubble: text 7.5
    rgb32(0xD4CBC4),                 // meta_text: 5.2 on own, 9.0 on others' bubbles
    rgb(0x66D980), rgb(0xFFBF4D), rgb(0x8C919E),
    {rgb32(0xFFB366), rgb32(0x78C8FF), rgb32(0x8CE696), rgb32(0xF08CC8), rgb32(0xFFDC6E),
     rgb32(0xAAA0FF), rgb32(0x6EE1D2), rgb32(0xFF8C82)}, // 6.3 .. 10.8 on #262936
};

// Light: near-black text (#1A1C23) on off-white; buttons a bright orange under the dark text.
const Palette light_palette{
    rgb(0x1A1C23),                   // on_accent: 7.4 on the button
    rgb(0xB54708),                   // accent_text: 5.0 on the window
    rgb(0xB3261E),                   // error_text: 6.1
    rgb32(0xFFDDBF),                 // own_bubble: text 13.2
    rgb32(0x55505A),                 // meta_text: 6.1 on own, 6.5 on others' bubbles
    rgb(0x2E9E4F), rgb(0xE08A00), rgb(0x8C919E),
    {rgb32(0xA33F05), rgb32(0x0B69A3), rgb32(0x2A6B2E), rgb32(0xAD1457), rgb32(0x7A5C00),
     rgb32(0x5E35B1), rgb32(0x00695C), rgb32(0xC62828)}, // 4.9 .. 6.6 on #E8E9EF
};

ThemeKind current = ThemeKind::dark;

void set_sizes(ImGuiStyle& style) {
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
}

void set_dark_colours(ImGuiStyle& style) {
    ImGui::StyleColorsDark(&style);
    ImVec4* c = style.Colors;
    const ImVec4 accent = rgb(0xFA8C33); // festival orange, for marks and bars (not under text)
    c[ImGuiCol_WindowBg] = rgb(0x12141C);
    c[ImGuiCol_ChildBg] = rgb(0x1C1F29);
    c[ImGuiCol_PopupBg] = rgb(0x1C1F29);
    c[ImGuiCol_FrameBg] = rgb(0x262936);
    c[ImGuiCol_FrameBgHovered] = rgb(0x303342);
    c[ImGuiCol_FrameBgActive] = rgb(0x383C4D);
    c[ImGuiCol_Button] = rgb(0xB93D0A);        // text 5.0
    c[ImGuiCol_ButtonHovered] = rgb(0xC2410C); // 4.6
    c[ImGuiCol_ButtonActive] = rgb(0x9C330A);  // 6.5
    c[ImGuiCol_Header] = rgb(0x383C4D);
    c[ImGuiCol_HeaderHovered] = rgb(0x434759);
    c[ImGuiCol_HeaderActive] = rgb(0x4D5266);
    c[ImGuiCol_CheckMark] = accent;
    c[ImGuiCol_CheckboxSelectedBg] = rgb(0x383C4D);
    c[ImGuiCol_Text] = rgb(0xF2F2F7);          // 16.5 on the window
    c[ImGuiCol_TextDisabled] = rgb(0x999EAD);  // 6.9 on the window, 5.4 on fields
    c[ImGuiCol_TextSelectedBg] = ImVec4(accent.x, accent.y, accent.z, 0.35f);
    c[ImGuiCol_NavCursor] = accent;
    c[ImGuiCol_Separator] = rgb(0x383C4D);
}

void set_light_colours(ImGuiStyle& style) {
    ImGui::StyleColorsLight(&style);
    ImVec4* c = style.Colors;
    const ImVec4 accent = rgb(0xE8740F);
    c[ImGuiCol_WindowBg] = rgb(0xF6F6F9);
    c[ImGuiCol_ChildBg] = rgb(0xFFFFFF);
    c[ImGuiCol_PopupBg] = rgb(0xFFFFFF);
    c[ImGuiCol_Border] = ImVec4(0.0f, 0.0f, 0.0f, 0.12f);
    c[ImGuiCol_FrameBg] = rgb(0xE8E9EF);
    c[ImGuiCol_FrameBgHovered] = rgb(0xDEE0E8);
    c[ImGuiCol_FrameBgActive] = rgb(0xD3D6E0);
    c[ImGuiCol_Button] = rgb(0xF7913D);        // text 7.4
    c[ImGuiCol_ButtonHovered] = rgb(0xF9A660); // 8.6
    c[ImGuiCol_ButtonActive] = rgb(0xEC7F2B);  // 6.2
    c[ImGuiCol_Header] = rgb(0xDEE0E8);
    c[ImGuiCol_HeaderHovered] = rgb(0xD3D6E0);
    c[ImGuiCol_HeaderActive] = rgb(0xC8CBD6);
    c[ImGuiCol_CheckMark] = rgb(0xB54708);
    c[ImGuiCol_CheckboxSelectedBg] = rgb(0xFFDDBF);
    c[ImGuiCol_Text] = rgb(0x1A1C23);          // 15.8 on the window
    c[ImGuiCol_TextDisabled] = rgb(0x5B6070);  // 5.8 on the window, 5.2 on fields
    c[ImGuiCol_TextSelectedBg] = ImVec4(accent.x, accent.y, accent.z, 0.30f);
    c[ImGuiCol_NavCursor] = accent;
    c[ImGuiCol_Separator] = rgb(0xD3D6E0);
    c[ImGuiCol_ScrollbarBg] = ImVec4(0, 0, 0, 0);
}

} // namespace

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

void apply_theme(ThemeKind kind) {
    ImGuiStyle& style = ImGui::GetStyle();
    if (kind == ThemeKind::light) {
        set_light_colours(style);
    } else {
        set_dark_colours(style);
    }
    set_sizes(style);
    current = kind;
}

ThemeKind current_theme() {
    return current;
}

const Palette& palette() {
    return current == ThemeKind::light ? light_palette : dark_palette;
}

} // namespace peddlenet::app
