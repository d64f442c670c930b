// touch_gestures.cpp: see touch_gestures.hpp.
#include "core/touch_gestures.hpp"

#include <cmath>

namespace peddlenet {

using Kind = PointerAction::Kind;

std::vector<PointerAction> TouchGestures::down(float x, float y, double now_ms) {
    state_ = State::pending; // also ends a fling: touching a moving list stops it
    start_x_ = last_x_ = x;
    start_y_ = last_y_ = y;
    start_ms_ = last_ms_ = now_ms;
    velocity_ = 0;
    return {{Kind::move, x, y}};
}

std::vector<PointerAction> TouchGestures::move(float x, float y, double now_ms) {
    std::vector<PointerAction> out;
    if (state_ == State::pending) {
        const float dx = x - start_x_, dy = y - start_y_;
        if (std::hypot(dx, dy) < params_.tap_slop_px) return out;
        state_ = State::scrolling;
        last_y_ = start_y_; // scroll by the whole movement, the slop included
    }
    if (state_ != State::scrolling) return out;
    const float delta = last_y_ - y; // finger up = content moves towards the end
    const double dt = now_ms - last_ms_;
    if (dt > 0) {
        // Smoothed so one jittery sample does not decide the fling speed.
        const float instant = delta / static_cast<float>(dt);
        velocity_ = 0.8f * instant + 0.2f * velocity_;
    }
    last_x_ = x;
    last_y_ = y;
    last_ms_ = now_ms;
    out.push_back({Kind::move, x, y});
    if (delta != 0) out.push_back({Kind::scroll, x, y, 0, delta});
    return out;
}

std::vector<PointerAction> TouchGestures::up(float x, float y, double now_ms) {
    std::vector<PointerAction> out;
    switch (state_) {
    case State::pending:
        out.push_back({Kind::move, x, y});
        out.push_back({Kind::press, x, y, 0});
        out.push_back({Kind::release, x, y, 0});
        state_ = State::idle;
        break;
    case State::scrolling:
        // A finger that rested before lifting means "stop here", not "fling".
        if (now_ms - last_ms_ < 80 && std::fabs(velocity_) >= params_.min_fling_px_per_ms) {
            state_ = State::flinging;
            last_ms_ = now_ms;
        } else {
            state_ = State::idle;
        }
        break;
    default:
        state_ = State::idle;
        break;
    }
    return out;
}

std::vector<PointerAction> TouchGestures::cancel() {
    state_ = State::idle;
    velocity_ = 0;
    return {};
}

std::vector<PointerAction> TouchGestures::tick(double now_ms) {
    std::vector<PointerAction> out;
    if (state_ == State::pending && now_ms - start_ms_ >= params_.long_press_ms) {
        state_ = State::long_pressed;
        out.push_back({Kind::move, start_x_, start_y_});
        out.push_back({Kind::press, start_x_, start_y_, 1});
        out.push_back({Kind::release, start_x_, start_y_, 1});
    } else if (state_ == State::flinging) {
        const double dt = now_ms - last_ms_;
        if (dt <= 0) return out;
        // Exact integral of v(t) = v0 * exp(-t / tau) over the step, so the distance does
        // not depend on the frame rate.
        const double tau = params_.fling_time_constant_ms;
        const double decay = std::exp(-dt / tau);
        const float distance = static_cast<float>(velocity_ * tau * (1.0 - decay));
        velocity_ = static_cast<float>(velocity_ * decay);
        last_ms_ = now_ms;
        if (std::fabs(velocity_) < params_.min_fling_px_per_ms / 4) state_ = State::idle;
        if (distance != 0) out.push_back({Kind::scroll, last_x_, last_y_, 0, distance});
    }
    return out;
}

} // namespace peddlenet
