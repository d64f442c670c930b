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

struct Loop {
    std::function<void(double)> frame;
    MainLoopParams params;
    bool frame_pending = false;  // a requestAnimationFrame is scheduled
    double active_until_ms = 0;  // keep drawing until this time
    unsigned long frames = 0;
};

Loop& loop() {
    static Loop instance;
    return instance;
}

void schedule_frame();

EM_BOOL on_animation_frame(double now_ms, void*) {
    Loop& l = loop();
    l.frame_pending = false;
    ++l.frames;
    l.frame(now_ms);
    if (now_ms < l.active_until_ms) schedule_frame();
    return EM_FALSE; // one-shot: schedule_frame() decides about the next one
}

void schedule_frame() {
    Loop& l = loop();
    if (l.frame_pending || !l.frame) return;
    l.frame_pending = true;
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
    // ~6 frames at 60 Hz: a new message is laid out, then scrolled into view.
    constexpr double settle_ms = 100.0;
    l.active_until_ms = std::max(l.active_until_ms, emscripten_get_now() + settle_ms);
    schedule_frame();
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

} // namespace peddlenet::platform
