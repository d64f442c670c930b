// Touch gestures (core/touch_gestures.hpp): taps click, drags scroll without clicking, flings decay.
#include "core/touch_gestures.hpp"

#include <catch2/catch.hpp>

using namespace peddlenet;
using Kind = PointerAction::Kind;

namespace {
int count(const std::vector<PointerAction>& actions, Kind kind) {
    int n = 0;
    for (const auto& a : actions) n += a.kind == kind;
    return n;
}
float scrolled(const std::vector<PointerAction>& actions) {
    float total = 0;
    for (const auto& a : actions)
        if (a.kind == Kind::scroll) total += a.scroll_dy;
    return total;
}
} // namespace

TEST_CASE("a tap presses and releases the primary button on lift", "[touch]") {
    TouchGestures g;
    CHECK(count(g.down(100, 200, 0), Kind::press) == 0);
    CHECK(g.move(104, 203, 30).empty()); // inside the slop
    const auto up = g.up(104, 203, 90);
    REQUIRE(count(up, Kind::press) == 1);
    REQUIRE(count(up, Kind::release) == 1);
    CHECK(up.back().button == 0);
    CHECK_FALSE(g.needs_ticks());
}

TEST_CASE("a drag scrolls by the finger's travel and never clicks", "[touch]") {
    TouchGestures g;
    std::vector<PointerAction> all;
    auto add = [&](std::vector<PointerAction> a) { all.insert(all.end(), a.begin(), a.end()); };
    add(g.down(100, 500, 0));
    for (int i = 1; i <= 10; ++i) add(g.move(100, 500.0f - 30.0f * i, 16.0 * i));
    add(g.up(100, 200, 170)); // lifted while moving: a fling
    CHECK(count(all, Kind::press) == 0);
    CHECK(scrolled(all) == Approx(300.0f)); // finger moved up 300 px: content moves 300 px on
    REQUIRE(g.needs_ticks());

    float fling = 0;
    for (double t = 186; g.needs_ticks() && t < 10000; t += 16) fling += scrolled(g.tick(t));
    CHECK(fling > 100.0f);  // keeps going after the lift...
    CHECK(fling < 1500.0f); // ...and comes to rest (v0 * tau ~ 1.9 px/ms * 325 ms)
    CHECK_FALSE(g.needs_ticks());
}

TEST_CASE("a finger that rests before lifting does not fling", "[touch]") {
    TouchGestures g;
    g.down(0, 400, 0);
    g.move(0, 300, 50);
    g.move(0, 300, 60);
    g.up(0, 300, 400);
    CHECK_FALSE(g.needs_ticks());
}

TEST_CASE("holding still makes one secondary click; lifting adds nothing", "[touch]") {
    TouchGestures g;
    g.down(50, 60, 1000);
    CHECK(g.tick(1300).empty());
    const auto held = g.tick(1600);
    REQUIRE(count(held, Kind::press) == 1);
    CHECK(held[1].button == 1);
    CHECK(g.tick(1700).empty());
    CHECK(g.up(50, 60, 1800).empty());
}

TEST_CASE("touching a flinging list stops it", "[touch]") {
    TouchGestures g;
    g.down(0, 800, 0);
    for (int i = 1; i <= 5; ++i) g.move(0, 800.0f - 60.0f * i, 10.0 * i);
    g.up(0, 500, 55);
    REQUIRE(g.needs_ticks());
    g.down(0, 500, 100);
    CHECK(scrolled(g.tick(116)) == 0.0f);
    CHECK(count(g.up(0, 500, 150), Kind::press) == 1); // the stopping touch is itself a tap
}
