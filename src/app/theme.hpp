// theme.hpp: PeddleNet's look: colours, rounding and spacing for phones, fonts from assets/.
// Needs: an ImGui context; the fonts preloaded at /fonts by the build.
//  [X] Noto Sans with Hebrew, Arabic, symbol and emoji fallbacks merged in (ImGui 1.92 bakes
//      glyphs on demand, so unused fallbacks cost only their bytes)
//  [X] dark palette; sizes in em so every DPR and zoom level looks the same
#pragma once

namespace peddlenet::app {

// Base font size in CSS pixels: phones read 16-18 px body text comfortably.
inline constexpr float base_font_px = 18.0f;

// Loads the fonts; false when the main font is missing (the app then falls back to ImGui's own).
bool load_fonts();

void apply_theme();

} // namespace peddlenet::app
