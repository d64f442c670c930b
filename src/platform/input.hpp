// input.hpp: browser input into Dear ImGui (the platform backend half that ImGui's GLFW
// backend would do, written for the browser so that touch, soft keyboards and IME work).
// Needs: web/input.js, an <input id="text-input"> in the shell, an ImGui context.
//  [X] mouse and pen straight through; touch through TouchGestures (tap, drag-scroll, fling, long press)
//  [X] keys by their browser `key` names; text (typed, pasted, IME-committed) as UTF-8
//  [X] soft keyboard: a tap on a text field focuses the hidden input inside the gesture
//  [X] every event wakes the render loop
#pragma once

namespace peddlenet::platform {

// Registers the page listeners and sets ImGui's clipboard handler. Call once after ImGui::CreateContext.
void install_input();

// Before ImGui::NewFrame: runs touch timers (long press, fling), forgets last frame's text fields.
// `scroll_px_per_wheel_step`: how far ImGui scrolls per wheel unit, to turn finger travel into wheel steps.
void begin_input_frame(double now_ms, float scroll_px_per_wheel_step);

// Reports the screen rect (CSS px) of a text field drawn this frame: a tap there raises the keyboard.
void note_text_field(float x, float y, float w, float h);

// After the frame: keeps the hidden input focused exactly while ImGui wants text input.
void end_input_frame();

// True while the input layer still needs frames by itself (a fling or a pending long press).
bool input_needs_frames();

} // namespace peddlenet::platform
