// widgets.hpp: small ImGui helpers the screens share, so phone rules are applied once.
// Needs: an ImGui frame in progress.
//  [X] sizes in em (multiples of the current font size), never raw pixels
//  [X] text fields that raise the phone keyboard (they report their rect to the input layer)
//  [X] user text shown literally: never as a format string, never as a label id
#pragma once

#include <imgui.h>

#include <functional>
#include <string>
#include <string_view>

namespace peddlenet::app {

// `x` and `y` in em: multiples of the current font size.
ImVec2 em(float x, float y);
float em(float x);

// A single-line text field, as wide as the current item width. Returns true when the text changed. `id` is a fixed label id
// (e.g. "##name"), never user text. `max_bytes` caps the UTF-8 length the field accepts.
bool text_field(const char* id, const char* hint, std::string& value, std::size_t max_bytes,
                ImGuiInputTextFlags flags = 0);

// The main call to action: accent colour, full width unless `width` is given.
bool primary_button(const char* label, float width = -FLT_MIN);
bool secondary_button(const char* label, float width = -FLT_MIN);
// A button in a text field's colours, beside the accent of a row's main action (Photo beside Send).
bool quiet_button(const char* label, ImVec2 size);

// One line of text (a label, a title) in display order: right-to-left runs reordered and shaped,
// since ImGui draws left to right.
std::string visual(std::string_view logical);

// Text in reading order (user text, or a catalog's): drawn literally, wrapped at the available
// width, or with `wrap` false at the current wrap position (PushTextWrapPos). Right-to-left
// text is wrapped first and then put in display order line by line.
void literal_text(std::string_view text, bool wrap = true);

// A screen's top row: the Back button (named `back_name`, in reading order), then the title that
// `title` draws in the rest of the row; mirrored when the UI is right to left (Back on the
// right, the title's texts aligned to it). Returns true when Back was pressed, on the canvas or
// in the DOM mirror, or Escape was.
bool back_row(const std::string& back_name, const std::function<void()>& title);

// A checkbox whose label wraps at `width` (a checkbox's own label cannot): a tap on the label
// toggles it just the same. Returns true when tapped; `on` then holds the new value.
bool wrapped_checkbox(const char* id, const char* label, bool& on, float width);

// Horizontally centred static text (titles).
void centered_text(const char* text);

} // namespace peddlenet::app
