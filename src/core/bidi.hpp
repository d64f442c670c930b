// bidi.hpp: right-to-left text for a renderer that only draws left to right (Dear ImGui).
// Needs: nothing but the standard library; input is valid UTF-8 (repair_utf8 first).
//  [X] Arabic contextual shaping to presentation forms (isolated / initial / medial / final),
//      lam-alef ligatures, transparent marks skipped when deciding joins
//  [X] visual reordering per line: paragraph direction from the first strong character,
//      neutrals between same-direction runs join them, digits stay left to right inside RTL
//  [X] mirrored brackets inside right-to-left runs
//  [ ] the full Unicode Bidirectional Algorithm (explicit embeddings, isolates, all classes):
//      chat lines are short and mostly one script; this covers Hebrew, Arabic and mixed lines
#pragma once

#include <string>
#include <string_view>

namespace peddlenet {

// True when `text` holds any right-to-left character (cheap check before reordering).
bool has_rtl(std::string_view text);

// `logical` (storage order) to display order for a left-to-right renderer, line by line.
// Text without right-to-left characters comes back unchanged.
std::string to_visual_order(std::string_view logical);

} // namespace peddlenet
