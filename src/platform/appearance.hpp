// appearance.hpp: how the device wants the page shown (web/appearance.js): the colour scheme
// (prefers-color-scheme) and the safe-area insets (notch, rounded corners, home indicator).
// Needs: the shell's :root custom properties --safe-area-top/right/bottom/left, defined as
// env(safe-area-inset-*) (JS cannot read env() directly), and viewport-fit=cover.
//  [X] prefers-color-scheme read at start and followed live (matchMedia change events)
//  [X] safe-area insets in CSS pixels, re-read on resize and orientation change
#pragma once

#include <functional>

namespace peddlenet::platform {

enum class ColorScheme { dark, light };

struct SafeAreaInsets {
    float top = 0, right = 0, bottom = 0, left = 0; // CSS pixels
    bool operator==(const SafeAreaInsets&) const = default;
};

ColorScheme preferred_color_scheme();
SafeAreaInsets safe_area_insets();

// Starts listening; `changed` runs after the colour scheme or the insets changed (it may also
// run when neither did, e.g. on a plain resize: compare). The loop is woken after it returns.
void watch_appearance(std::function<void()> changed);

} // namespace peddlenet::platform
