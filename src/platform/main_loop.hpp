// main_loop.hpp: render-on-demand frame scheduling for the browser (requestAnimationFrame).
// Needs: emscripten/html5.h.
//  [X] one Frame callback, driven by requestAnimationFrame only while something is happening
//  [X] wake(): input, network and timer events keep frames coming for `linger_ms`, then none
//  [X] zero frames (and zero CPU) while idle: no rAF is pending at all
//  [X] wake_at(): a timer that wakes the loop later (clock ticks, retries) without polling
#pragma once

#include <functional>

namespace peddlenet::platform {

struct MainLoopParams {
    // linger_ms: double, default = 1000. How long frames continue after the last wake();
    // ImGui needs a few frames after an event to settle (hover, focus, animations).
    double linger_ms = 1000.0;
};

// Starts the loop; `frame` is called with the current time (ms, performance.now()) once per
// drawn frame. Returns at once: on the web, code after main() keeps running in callbacks.
void run_main_loop(std::function<void(double now_ms)> frame, MainLoopParams params = {});

// Something happened: draw frames now and for linger_ms from now.
void wake();

// Draws frames again `delay_ms` from now (e.g. a relative-time label ticking over). Cheap:
// one browser timer, replaced by any earlier request.
void wake_after(double delay_ms);

// Frames drawn since start (the automation API's `frames`).
unsigned long frames_drawn();

} // namespace peddlenet::platform
