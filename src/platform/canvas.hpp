// canvas.hpp: the page's WebGL2 canvas: context creation, CSS size and device pixel ratio.
// Needs: emscripten/html5.h, a <canvas id="canvas"> in the shell.
//  [X] WebGL2 context (no WebGL1 fallback: the shell explains when WebGL2 is missing)
//  [X] drawing buffer kept at CSS size x devicePixelRatio, re-checked every frame
//  [X] context loss and restore reported to the app
#pragma once

#include <functional>

namespace peddlenet::platform {

struct CanvasMetrics {
    float css_width = 0;  // layout size in CSS pixels (ImGui's DisplaySize)
    float css_height = 0;
    float pixel_ratio = 1; // devicePixelRatio (ImGui's DisplayFramebufferScale)
    int buffer_width = 0; // drawing buffer in device pixels
    int buffer_height = 0;
};

// Creates the WebGL2 context on #canvas and makes it current. False when WebGL2 is unavailable.
bool create_webgl2_context();

// Reads the canvas' CSS size and the pixel ratio and resizes the drawing buffer if they
// changed. Call at the start of every frame.
CanvasMetrics update_canvas_metrics();

// The browser dropped (lost = true) or gave back (lost = false) the GL context.
void on_context_change(std::function<void(bool lost)> handler);

} // namespace peddlenet::platform
