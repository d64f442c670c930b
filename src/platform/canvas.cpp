// canvas.cpp: see canvas.hpp.
#include "platform/canvas.hpp"

#include "platform/main_loop.hpp"

#include <emscripten/html5.h>

#include <cmath>
#include <utility>

namespace peddlenet::platform {
namespace {

constexpr const char* canvas_selector = "#canvas";

std::function<void(bool)>& context_handler() {
    static std::function<void(bool)> handler;
    return handler;
}

EM_BOOL on_context_lost(int, const void*, void*) {
    if (context_handler()) context_handler()(true);
    wake();
    return EM_TRUE; // preventDefault: allows the browser to restore the context
}

EM_BOOL on_context_restored(int, const void*, void*) {
    if (context_handler()) context_handler()(false);
    wake();
    return EM_TRUE;
}

} // namespace

bool create_webgl2_context() {
    EmscriptenWebGLContextAttributes attrs;
    emscripten_webgl_init_context_attributes(&attrs);
    attrs.majorVersion = 2;
    attrs.minorVersion = 0;
    attrs.alpha = EM_FALSE;     // opaque canvas: cheaper compositing
    attrs.antialias = EM_FALSE; // ImGui antialiases its own geometry
    attrs.depth = EM_FALSE;
    attrs.stencil = EM_FALSE;
    attrs.powerPreference = EM_WEBGL_POWER_PREFERENCE_LOW_POWER;
    const EMSCRIPTEN_WEBGL_CONTEXT_HANDLE context =
        emscripten_webgl_create_context(canvas_selector, &attrs);
    if (context <= 0) return false;
    emscripten_webgl_make_context_current(context);
    emscripten_set_webglcontextlost_callback(canvas_selector, nullptr, EM_FALSE, on_context_lost);
    emscripten_set_webglcontextrestored_callback(canvas_selector, nullptr, EM_FALSE,
                                                 on_context_restored);
    return true;
}

CanvasMetrics update_canvas_metrics() {
    CanvasMetrics m;
    double css_w = 0, css_h = 0;
    emscripten_get_element_css_size(canvas_selector, &css_w, &css_h);
    m.css_width = static_cast<float>(css_w);
    m.css_height = static_cast<float>(css_h);
    m.pixel_ratio = static_cast<float>(emscripten_get_device_pixel_ratio());
    if (m.pixel_ratio <= 0) m.pixel_ratio = 1;
    const int want_w = static_cast<int>(std::lround(css_w * m.pixel_ratio));
    const int want_h = static_cast<int>(std::lround(css_h * m.pixel_ratio));
    emscripten_get_canvas_element_size(canvas_selector, &m.buffer_width, &m.buffer_height);
    if (want_w != m.buffer_width || want_h != m.buffer_height) {
        emscripten_set_canvas_element_size(canvas_selector, want_w, want_h);
        m.buffer_width = want_w;
        m.buffer_height = want_h;
    }
    return m;
}

void on_context_change(std::function<void(bool lost)> handler) {
    context_handler() = std::move(handler);
}

} // namespace peddlenet::platform
