// input.hpp: browser input into Dear ImGui (the platform backend half that ImGui's GLFW
// backend would do, written for the browser so that touch, soft keyboards and IME work).
// Needs: web/input.js, an <input id="text-input"> in the shell, an ImGui context.
//  [X] mouse and pen straight through; touch through TouchGestures (tap, drag-scroll, fling, long press)
//  [X] keys by their browser `key` names; text (typed, pasted, IME-committed) as UTF-8
//  [X] soft keyboard: a tap on a text field focuses the hidden input inside the gesture
//  [X] every event wakes the render loop
//  [X] IME preedit (uncommitted composition) drawn at the caret; the hidden input follows the caret
//      so the OS candidate window opens next to it
#pragma once

#include <string>

namespace peddlenet::platform {

// Registers the page listeners and sets ImGui's clipboard and IME handlers. Call once after
// ImGui::CreateContext.
void install_input();

// Before ImGui::NewFrame: runs touch timers (long press, fling), forgets last frame's text fields.
// `scroll_px_per_wheel_step`: how far ImGui scrolls per wheel unit, to turn finger travel into wheel steps.
void begin_input_frame(double now_ms, float scroll_px_per_wheel_step);

// Reports the screen rect (CSS px) of a text field drawn this frame: a tap there raises the keyboard.
void note_text_field(float x, float y, float w, float h);

// Between ImGui::NewFrame and ImGui::Render, after the screens: draws the IME preedit (the text
// being composed, not yet committed) over the active text field at its caret.
void draw_preedit();

// The preedit as UTF-8; empty when nothing is being composed.
const std::string& preedit_text();

// After the frame: keeps the hidden input focused exactly while ImGui wants text input, and over
// the caret of the active field.
void end_input_frame();

// True while the input layer still needs frames by itself (a fling or a pending long press).
bool input_needs_frames();

} // namespace peddlenet::platform
