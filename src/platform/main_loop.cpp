// main_loop.cpp: see main_loop.hpp. Why not emscripten_set_main_loop: it runs a callback every
// display refresh forever, which keeps phones awake; here an idle page schedules nothing.
#include "platform/main_loop.hpp"

#include <emscripten/emscripten.h>
#include <emscripten/html5.h>

#include <utility>

namespace peddlenet::platform {
namespace {

struct Loop {
    std::function<void(double)> frame;
    MainLoopParams params;
    bool frame_pending = false;  // a requestAnimationFrame is scheduled
    double active_until_ms = 0;  // keep drawing until this time
    long timer_id = 0;           // pending wake_after timer, 0 = none
    double timer_due_ms = 0;
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

void on_timer(void*) {
    loop().timer_id = 0;
    wake();
}

} // namespace

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

void wake_after(double delay_ms) {
    Loop& l = loop();
    const double due = emscripten_get_now() + delay_ms;
    if (l.timer_id != 0) {
        if (l.timer_due_ms <= due) return; // an earlier wake is already pending
        emscripten_clear_timeout(l.timer_id);
    }
    l.timer_due_ms = due;
    l.timer_id = emscripten_set_timeout(on_timer, delay_ms, nullptr);
}

unsigned long frames_drawn() {
    return loop().frames;
}

} // namespace peddlenet::platform
