// photo.hpp: the browser's side of photos (web/photo.js): choosing a file, preparing it to send,
// and drawing photos. What is accepted and why not is core's (core/photo.hpp).
// Needs: the WebGL2 context current for decode (platform/webgl_renderer.hpp's textures); the
// page's #photo-pick and #photo-camera file inputs (shell/index.html).
//  [X] pick from the gallery or the camera; the chosen file's head and size are handed over
//      first, so a refused file is never decoded
//  [X] prepare in a worker: orientation applied, at most a given side and about a given size,
//      WebP (JPEG where WebP cannot be written), metadata gone
//  [X] decode a photo's bytes into a texture at a given size, off the main thread up to the upload
#pragma once

#include <functional>
#include <string>

namespace peddlenet::platform {

// The person chose a file: `head` holds its first bytes (up to 64 KiB), `size` its length in
// bytes (negative: it could not be read). Answer with prepare_photo or drop_photo.
struct PickedPhoto {
    int handle = 0;
    std::string head;
    double size = 0;
};
struct PreparedPhoto {
    bool ok = false;
    std::string bytes;      // the encoded photo
    std::string type;       // its MIME type; on failure the browser's reason
    int width = 0, height = 0;
    double worker_ms = 0;   // decode, scale and encode time in the worker
};

// Where chosen files go (one handler: the app's photo pipeline).
void photo_init(std::function<void(PickedPhoto)> picked);
enum class PhotoSource { gallery = 0, camera = 1 };
void pick_photo(PhotoSource source);
void prepare_photo(int handle, int max_side, int target_bytes, std::function<void(PreparedPhoto)> done);
void drop_photo(int handle);

// Decodes `bytes` (MIME `type`) at width x height into `texture`, a GL texture name of
// create_texture(); `done(ok)` later, exactly once.
void decode_photo(const std::string& bytes, const std::string& type, int width, int height,
                  unsigned texture, std::function<void(bool ok)> done);

} // namespace peddlenet::platform
