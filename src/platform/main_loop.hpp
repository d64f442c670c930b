// main_loop.hpp: render-on-demand frame scheduling for the browser (requestAnimationFrame).
// Needs: emscripten/html5.h.
//  [X] one Frame callback, driven by requestAnimationFrame only while something is happening
//  [X] wake(): input keeps frames coming for `linger_ms`, then none
//  [X] refresh(): network-driven changes redraw at once, bursts at most four times a second,
//      less often while the browser is slow to hand out frames
//  [X] zero frames (and zero CPU) while idle: no rAF is pending at all
//  [X] run_after(): logic timers that run without drawing a frame
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

// State changed without user input (a message arrived, a link opened): draw the two frames
// ImGui needs (lay out, then scroll into view) at once, or, when the last such redraw was less
// than refresh_interval_ms ago, at that point. A burst of messages then redraws four times a
// second, not at the display rate: every frame also costs the browser main-thread time after
// our code (in headless Chromium's software compositor, a read-back of the canvas of about
// 25 ms), and messages arriving meanwhile wait. At 60 Hz a 500-message/s burst arrived 23 ms
// late (p50); at this rate 0.5 ms, like plain JavaScript.
inline constexpr double refresh_interval_ms = 250.0;
// When the browser is behind (frames come long after they are asked for: a slow phone, or many
// pages sharing one GPU process), network-driven redraws back off further, to refresh_lag_factor
// times the smoothed wait for a frame, at most max_refresh_interval_ms: drawing must not starve
// the messages it shows. At 60 Hz the wait is under 17 ms, so the interval stays 250 ms.
inline constexpr double refresh_lag_factor = 10.0;
inline constexpr double max_refresh_interval_ms = 4000.0;
void refresh();

// Runs `fn` once, `delay_ms` from now, without drawing (logic timers: pings, reconnects, saves).
// Returns an id for cancel_timer. Whatever `fn` changes on screen, it wakes the loop itself.
int run_after(double delay_ms, std::function<void()> fn);
void cancel_timer(int id);

// Runs `fn(hidden)` when the page is hidden (tab switch, phone locked, app backgrounded) or
// shown again: the moment to save state, since a hidden page may be killed without notice.
void on_visibility_change(std::function<void(bool hidden)> fn);

// Frames drawn since start (the automation API's `frames`).
unsigned long frames_drawn();
// The smoothed wait from asking for a frame to drawing it, in ms (the automation API's).
double frame_lag_ms();

} // namespace peddlenet::platform
