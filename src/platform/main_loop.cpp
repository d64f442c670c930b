// main_loop.cpp: see main_loop.hpp. Why not emscripten_set_main_loop: it runs a callback every
// display refresh forever, which keeps phones awake; here an idle page schedules nothing.
#include "platform/main_loop.hpp"

#include <emscripten/emscripten.h>
#include <emscripten/html5.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>

namespace peddlenet::platform {
namespace {

// A network-driven change is shown by two frames: the first lays the new row out, the second
// applies the scroll that brings it into view.
constexpr int settle_frames = 2;

struct Loop {
    std::function<void(double)> frame;
    MainLoopParams params;
    bool frame_pending = false;  // a requestAnimationFrame is scheduled
    double active_until_ms = 0;  // keep drawing until this time (input)
    unsigned long frames = 0;
    bool refresh_wanted = false;     // a change not yet drawn
    bool refresh_timer_pending = false;
    int settle_frames_left = 0;      // of the refresh being drawn
    double last_refresh_ms = -1e9;   // when the last refresh started drawing
    double requested_at_ms = 0;      // of the pending requestAnimationFrame
    double frame_lag_ms = 0;         // smoothed wait from a frame's request to its callback
};

Loop& loop() {
    static Loop instance;
    return instance;
}

void schedule_frame();
void plan_refresh();

EM_BOOL on_animation_frame(double now_ms, void*) {
    Loop& l = loop();
    l.frame_pending = false;
    // Capped: a hidden page gets no frames at all, and that says nothing about drawing.
    const double lag = std::min(emscripten_get_now() - l.requested_at_ms,
                                max_refresh_interval_ms / refresh_lag_factor);
    l.frame_lag_ms += 0.25 * (lag - l.frame_lag_ms);
    ++l.frames;
    l.frame(now_ms);
    if (l.settle_frames_left > 0) --l.settle_frames_left;
    if (now_ms < l.active_until_ms || l.settle_frames_left > 0) {
        schedule_frame();
    } else if (l.refresh_wanted) {
        plan_refresh(); // changes that came while this refresh was drawing
    }
    return EM_FALSE; // one-shot: schedule_frame() decides about the next one
}

void start_refresh() {
    Loop& l = loop();
    l.refresh_wanted = false;
    l.settle_frames_left = settle_frames;
    l.last_refresh_ms = emscripten_get_now();
    schedule_frame();
}

void on_refresh_timer(void*) {
    loop().refresh_timer_pending = false;
    start_refresh();
}

void plan_refresh() {
    Loop& l = loop();
    if (l.refresh_timer_pending || l.settle_frames_left > 0) return; // one is coming; it draws this too
    const double interval_ms = std::clamp(refresh_lag_factor * l.frame_lag_ms, refresh_interval_ms,
                                          max_refresh_interval_ms);
    const double wait_ms = l.last_refresh_ms + interval_ms - emscripten_get_now();
    if (wait_ms <= 0) {
        start_refresh();
    } else {
        l.refresh_timer_pending = true;
        emscripten_set_timeout(on_refresh_timer, wait_ms, nullptr);
    }
}

void schedule_frame() {
    Loop& l = loop();
    if (l.frame_pending || !l.frame) return;
    l.frame_pending = true;
    l.requested_at_ms = emscripten_get_now();
    emscripten_request_animation_frame(on_animation_frame, nullptr);
}

std::map<int, std::function<void()>>& timers() {
    static std::map<int, std::function<void()>> table; // browser timeout id -> callback
    return table;
}

void on_timer(void* user_data) {
    const int id = static_cast<int>(reinterpret_cast<std::intptr_t>(user_data));
    auto& t = timers();
    const auto it = t.find(id);
    if (it == t.end()) return;
    auto fn = std::move(it->second);
    t.erase(it);
    fn();
}

// Browser timeout ids are handed out before the callback is known; a counter keeps ours.
int next_timer_id = 1;

std::function<void(bool)>& visibility_handler() {
    static std::function<void(bool)> handler;
    return handler;
}

EM_BOOL on_visibility(int, const EmscriptenVisibilityChangeEvent* e, void*) {
    if (visibility_handler()) visibility_handler()(e->hidden != 0);
    if (!e->hidden) wake();
    return EM_FALSE;
}

} // namespace

void on_visibility_change(std::function<void(bool hidden)> fn) {
    visibility_handler() = std::move(fn);
    emscripten_set_visibilitychange_callback(nullptr, EM_FALSE, on_visibility);
}

void run_main_loop(std::function<void(double)> frame, MainLoopParams params) {
    Loop& l = loop();
    l.frame = std::move(frame);
    l.params = params;
    wake();
}

void wake() {
    Loop& l = loop();
    l.active_until_ms = emscripten_get_now() + l.params.linger_ms;
    schedule_frame();
}

void refresh() {
    Loop& l = loop();
    if (!l.frame) return;
    const double now = emscripten_get_now();
    if (now < l.active_until_ms) {
        // Drawing for input anyway: make sure two more frames come.
        l.active_until_ms = std::max(l.active_until_ms, now + 40.0);
        schedule_frame();
        return;
    }
    l.refresh_wanted = true;
    plan_refresh();
}

int run_after(double delay_ms, std::function<void()> fn) {
    const int id = next_timer_id++;
    timers()[id] = std::move(fn);
    emscripten_set_timeout(on_timer, delay_ms, reinterpret_cast<void*>(static_cast<std::intptr_t>(id)));
    return id;
}

void cancel_timer(int id) {
    timers().erase(id); // the browser timeout still fires, finds nothing and returns
}

unsigned long frames_drawn() {
    return loop().frames;
}

double frame_lag_ms() {
    return loop().frame_lag_ms;
}

} // namespace peddlenet::platform
