// theme.cpp: see theme.hpp. Contrast ratios (WCAG 2) of the text pairs are noted beside them.
#include "app/theme.hpp"

#include "lazy_fonts.hpp" // generated from assets/fonts.json by scripts/subset_fonts.py
#include "platform/font_loader.hpp"
#include "platform/main_loop.hpp"

#include <imgui_internal.h> // ImFontLoader
#include <nlohmann/json.hpp>

#include <array>
#include <cstring>
#include <initializer_list>
#include <string>

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

// Fonts fetched on demand (lazy_fonts.hpp). Each is watched by a stand-in source merged into the
// main font: ImGui asks it for a code point only when no source before it has one, that is when a
// character of the lazy font's ranges is about to be drawn as a box. It starts the fetch and
// answers "no glyph"; once the file is merged, ImGui discards the glyphs baked so far, so the
// boxes already on screen are drawn again with the real glyphs.
enum class LazyStatus { idle, loading, loaded, unreadable };
struct LazyFont {
    LazyStatus status = LazyStatus::idle;
    std::string error; // the last failure, kept for the automation API
};
std::array<LazyFont, lazy_font_specs.size()> lazy_fonts;
unsigned merged_fonts = 0;

bool in_ranges(const ImWchar* ranges, ImWchar c) {
    for (; ranges[0] != 0; ranges += 2) {
        if (c >= ranges[0] && c <= ranges[1]) return true;
    }
    return false;
}

void merge_lazy_font(std::size_t index, const platform::FontFile& file) {
    LazyFont& font = lazy_fonts[index];
    if (!file.error.empty()) {
        // Offline or a server error: the boxes stay, and the next new character tries again.
        font.status = LazyStatus::idle;
        font.error = file.error;
        return;
    }
    ImFontAtlas* atlas = ImGui::GetIO().Fonts;
    void* data = ImGui::MemAlloc(file.size); // the atlas owns and frees it, also on failure
    std::memcpy(data, file.data, file.size);
    ImFontConfig config;
    config.MergeMode = true;
    config.DstFont = atlas->Fonts[0];
    config.GlyphRanges = lazy_font_specs[index].ranges;
    if (!atlas->AddFontFromMemoryTTF(data, static_cast<int>(file.size), base_font_px, &config)) {
        font.status = LazyStatus::unreadable; // the same bytes would fail again: no retry
        font.error = "not a font ImGui can read";
        return;
    }
    font.status = LazyStatus::loaded;
    font.error.clear();
    ++merged_fonts;
    platform::refresh();
}

int watch_glyph_index(ImFontAtlas*, ImFontConfig* source, ImWchar c) {
    for (std::size_t i = 0; i < lazy_font_specs.size(); ++i) {
        const LazyFontSpec& spec = lazy_font_specs[i];
        if (source->GlyphRanges != spec.ranges || lazy_fonts[i].status != LazyStatus::idle) continue;
        if (!in_ranges(spec.ranges, c)) continue;
        lazy_fonts[i].status = LazyStatus::loading;
        platform::fetch_font(spec.file, [i](const platform::FontFile& file) { merge_lazy_font(i, file); });
    }
    return 0; // never a glyph of its own
}

bool watch_load_glyph(ImFontAtlas*, ImFontConfig*, ImFontBaked*, void*, int, ImFontGlyph*, float*) {
    return false;
}

const ImFontLoader* watch_loader() {
    static const ImFontLoader loader = [] {
        ImFontLoader l;
        l.Name = "lazy font watch";
        l.FontSrcGetGlyphIndexFromCodepoint = watch_glyph_index;
        l.FontBakedLoadGlyph = watch_load_glyph;
        return l;
    }();
    return &loader;
}

const char* to_string(LazyStatus status) {
    switch (status) {
    case LazyStatus::idle: return "idle";
    case LazyStatus::loading: return "loading";
    case LazyStatus::loaded: return "loaded";
    case LazyStatus::unreadable: return "unreadable";
    }
    return "idle";
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
    for (const LazyFontSpec& spec : lazy_font_specs) {
        ImFontConfig watch;
        watch.MergeMode = true;
        watch.FontLoader = watch_loader();
        watch.GlyphRanges = spec.ranges;
        io.Fonts->AddFont(&watch);
    }
    return true;
}

nlohmann::json lazy_fonts_state() {
    auto state = nlohmann::json::object();
    for (std::size_t i = 0; i < lazy_font_specs.size(); ++i) {
        state[lazy_font_specs[i].file] = {{"status", to_string(lazy_fonts[i].status)},
                                          {"error", lazy_fonts[i].error}};
    }
    return state;
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

unsigned font_generation() {
    return merged_fonts;
}

} // namespace peddlenet::app
