// webgl_renderer.hpp: draws Dear ImGui's output with WebGL2, without ever reading GL state back.
// Needs: the WebGL2 context current (platform/canvas.hpp) and an ImGui context.
// Why not ImGui's own OpenGL3 backend: it saves and restores about twenty pieces of GL state
// around every frame with glGet*, and in a browser each of those reads is a synchronous round
// trip to the GPU process that first waits for the previous frame to finish. In headless
// Chromium that was 18 ms of a 20 ms frame, and every chat message arriving meanwhile waited.
// This app owns its one context, so there is nothing to save.
//  [X] ImGui 1.92 dynamic textures: the font atlas is created, grown and updated on demand
//  [X] other textures (the camera preview) drawn by their GL texture name
//  [X] a restored context gets new GL objects, and ImGui re-uploads its textures
#pragma once

struct ImDrawData;

namespace peddlenet::platform {

// Compiles the shaders and creates the buffers. False (with the reason logged) on failure.
bool renderer_init();

// Uploads changed textures, then draws. Leaves blending on and the scissor test off, so a
// glClear before the next frame clears the whole canvas.
void renderer_render(ImDrawData* draw_data);

// After the browser restored a lost context: the old GL objects are gone, make new ones.
bool renderer_recreate();

// A new 2D texture, bound, sampled linearly and clamped at the edges (what ImGui's textures and
// the camera preview need); its GL name goes into ImTextureRef as the ImTextureID.
unsigned create_texture();
// Deletes a texture of create_texture() (a photo dropped from the cache).
void delete_texture(unsigned texture);

} // namespace peddlenet::platform
