// appearance.cpp: see appearance.hpp.
#include "platform/appearance.hpp"

#include "platform/main_loop.hpp"

#include <emscripten/emscripten.h>

extern "C" {
// Implemented in web/appearance.js.
int pn_appearance_light();
void pn_appearance_safe_area(float* top_right_bottom_left);
void pn_appearance_watch();
}

namespace peddlenet::platform {
namespace {

std::function<void()>& handler() {
    static std::function<void()> fn;
    return fn;
}

} // namespace

ColorScheme preferred_color_scheme() {
    return pn_appearance_light() != 0 ? ColorScheme::light : ColorScheme::dark;
}

SafeAreaInsets safe_area_insets() {
    float v[4] = {0, 0, 0, 0};
    pn_appearance_safe_area(v);
    return SafeAreaInsets{v[0], v[1], v[2], v[3]};
}

void watch_appearance(std::function<void()> changed) {
    handler() = std::move(changed);
    pn_appearance_watch();
}

} // namespace peddlenet::platform

extern "C" EMSCRIPTEN_KEEPALIVE void pn_appearance_changed() {
    if (auto& fn = peddlenet::platform::handler()) fn();
    peddlenet::platform::wake();
}
