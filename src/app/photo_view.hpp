// photo_view.hpp: photos on screen: the box a photo takes in a message, drawing it there with
// what is happening to it, and the full-screen view.
// Needs: app/photos.hpp (textures), app/session.hpp (names, progress); draws with Dear ImGui.
//  [X] the list's box: the photo's proportions within max_w x photo_max_height
//  [X] placeholder while the bytes travel or decode; "cannot be shown" for bytes that are no image
//  [X] status line: own photos, each recipient's progress ("Ana 40 % · Ben ✓"); others', receiving N %
//  [X] full screen: the whole photo fitted to the screen, Back (or Escape) returns to the list
#pragma once

#include "app/photos.hpp"
#include "app/session.hpp"

#include <imgui.h>

#include <string>

namespace peddlenet::app {

// Size in the message list, in pixels, for a bubble whose content is at most `max_w` wide.
ImVec2 photo_box(const PhotoRef& ref, float max_w);
// What is happening to the photo of `m`, in reading order ("" when nothing is worth saying).
std::string photo_status(ChatSession& session, const ChatMessage& m);
// Draws the photo of `m` (or a placeholder) into the rectangle at `p0`.
void draw_photo(ImDrawList* dl, ImVec2 p0, ImVec2 size, Photos& photos, const PhotoRef& ref);

// The full-screen view of `m`'s photo. Returns true when the person closed it.
bool draw_photo_viewer(ChatSession& session, const ChatMessage& m);

} // namespace peddlenet::app
