// theme.hpp: PeddleNet's look: colours, rounding and spacing for phones, fonts from assets/.
// Needs: an ImGui context; the fonts preloaded at /fonts by the build; platform/font_loader.
//  [X] Noto Sans with Hebrew, Arabic, symbol and emoji fallbacks merged in (ImGui 1.92 bakes
//      glyphs on demand, so unused fallbacks cost only their bytes)
//  [X] fonts too big for the first load (CJK) fetched the first time a character of theirs is
//      drawn, then merged in and the text redrawn; boxes until then, and if the fetch fails
//  [X] a dark and a light palette (the app follows prefers-color-scheme); every text colour
//      reads at WCAG contrast >= 4.5:1 on the surface it is drawn on, buttons included
//  [X] sizes in em so every DPR and zoom level looks the same
#pragma once

#include <imgui.h>
#include <nlohmann/json_fwd.hpp>

#include <cstddef>

namespace peddlenet::app {

// Base font size in CSS pixels: phones read 16-18 px body text comfortably.
inline constexpr float base_font_px = 18.0f;

// Loads the fonts; false when the main font is missing (the app then falls back to ImGui's own).
bool load_fonts();

// The on-demand fonts for the automation API: {"cjk.ttf": {"status", "error"}}; status is idle
// (not needed yet, or the last fetch failed: see error), loading, loaded or unreadable.
nlohmann::json lazy_fonts_state();

// Counts the fonts merged since start: text measured under another count has other widths now.
unsigned font_generation();

enum class ThemeKind { dark, light };

// Colours the screens draw with beyond ImGui's own style colours. ImGuiCol_Text reads on
// ImGuiCol_Button (and its hovered/active shades), so plain ImGui::Button needs nothing extra.
struct Palette {
    ImVec4 on_accent;     // text on accent-filled buttons (primary, Send)
    ImVec4 accent_text;   // accent-coloured text on the window background ("New" marker)
    ImVec4 error_text;    // validation and failure lines
    ImU32 own_bubble;     // background of the person's own messages (others use ImGuiCol_FrameBg)
    ImU32 meta_text;      // time and delivery state under a message, on either bubble
    ImVec4 link_open, link_connecting, link_closed; // the people panel's status dots
    static constexpr std::size_t name_count = 8;
    ImU32 names[name_count]; // sender names, picked by peer id; read on ImGuiCol_FrameBg
};

// Sets ImGui's style (sizes and colours) and the palette for `kind`; call again to switch.
void apply_theme(ThemeKind kind);
ThemeKind current_theme();
const Palette& palette();

} // namespace peddlenet::app
