// touch_gestures.hpp: turns one finger's touch stream into what a mouse-driven UI understands.
// Needs: nothing platform-specific; the browser layer feeds it, tests feed it directly.
//  [X] tap -> press + release at the finger (deferred until lift, so a scroll never clicks)
//  [X] drag past a slop radius -> scroll by the finger's movement, no button press at all
//  [X] fling -> inertial scrolling that decays exponentially (like native lists)
//  [X] long press (finger held still) -> secondary click, e.g. a context menu to copy a message
//  [X] a new touch stops a running fling
#pragma once

#include <vector>

namespace peddlenet {

struct PointerAction {
    enum class Kind { move, press, release, scroll };
    Kind kind;
    float x = 0, y = 0;  // pointer position (CSS px)
    int button = 0;      // 0 primary, 1 secondary (press/release)
    float scroll_dy = 0; // scroll: content offset change in px, positive = towards the end
};

struct TouchGestureParams {
    // tap_slop_px: float, default = 10. Movement below this is still a tap (fingers wobble).
    float tap_slop_px = 10.0f;
    // long_press_ms: double, default = 550. Hold time that makes a secondary click (Android uses 500).
    double long_press_ms = 550.0;
    // fling_time_constant_ms: double, default = 325. Inertia decay, the iOS/Android feel.
    double fling_time_constant_ms = 325.0;
    // min_fling_px_per_ms: float, default = 0.05. Slower lifts stop dead instead of drifting.
    float min_fling_px_per_ms = 0.05f;
};

class TouchGestures {
public:
    explicit TouchGestures(TouchGestureParams params = {}) : params_(params) {}

    std::vector<PointerAction> down(float x, float y, double now_ms);
    std::vector<PointerAction> move(float x, float y, double now_ms);
    std::vector<PointerAction> up(float x, float y, double now_ms);
    std::vector<PointerAction> cancel();
    // Long press detection and fling steps; call every frame while needs_ticks().
    std::vector<PointerAction> tick(double now_ms);
    bool needs_ticks() const { return state_ == State::pending || state_ == State::flinging; }

private:
    enum class State { idle, pending, scrolling, long_pressed, flinging };
    TouchGestureParams params_;
    State state_ = State::idle;
    float start_x_ = 0, start_y_ = 0, last_x_ = 0, last_y_ = 0;
    double start_ms_ = 0, last_ms_ = 0;
    float velocity_ = 0; // px per ms, content direction (positive = towards the end)
};

} // namespace peddlenet
