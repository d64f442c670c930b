// bidi.hpp: right-to-left text for a renderer that only draws left to right (Dear ImGui).
// Needs: nothing but the standard library; input is valid UTF-8 (repair_utf8 first).
//  [X] Arabic contextual shaping to presentation forms (isolated / initial / medial / final),
//      lam-alef ligatures, transparent marks skipped when deciding joins
//  [X] visual reordering per line: paragraph direction from the first strong character,
//      neutrals between same-direction runs join them, digits stay left to right inside RTL
//  [X] mirrored brackets inside right-to-left runs
//  [X] wrapping in reading order, then each line in display order (a right-to-left paragraph
//      reads top to bottom, not from its last line up)
//  [ ] the full Unicode Bidirectional Algorithm (explicit embeddings, isolates, all classes):
//      chat lines are short and mostly one script; this covers Hebrew, Arabic and mixed lines
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace peddlenet {

// True when `text` holds any right-to-left character (cheap check before reordering).
bool has_rtl(std::string_view text);

// `logical` (storage order) to display order for a left-to-right renderer, line by line.
// Text without right-to-left characters comes back unchanged.
std::string to_visual_order(std::string_view logical);

// Whether the paragraph direction of `text` (its first strong character) is right to left.
bool is_rtl_paragraph(std::string_view text);

// `logical` wrapped to `width` and put in display order line by line. Words are taken in reading
// order, so the first line holds the paragraph's beginning whatever its direction; `measure`
// gives the drawn width of a display-order string. Lines break at spaces (a longer word stands
// alone on its line); '\n' always breaks.
std::vector<std::string> wrap_visual(std::string_view logical, float width,
                                     const std::function<float(std::string_view)>& measure);

} // namespace peddlenet
