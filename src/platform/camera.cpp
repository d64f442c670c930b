// camera.cpp: see camera.hpp. The JS half is web/camera.js; events come back through
// pn_camera_event.
#include "platform/camera.hpp"

#include "platform/main_loop.hpp"

#include <emscripten/emscripten.h>

#include <map>

extern "C" {
// Implemented in web/camera.js.
int pn_camera_create(int frame_interval_ms, int max_frame_side);
void pn_camera_delete(int handle);
int pn_camera_preview(int handle, unsigned texture);
}

namespace peddlenet::platform {
namespace {

// Event kinds, numbered as PeddleCamera.EV in web/camera.js.
enum CameraEventKind { event_started = 0, event_frame = 1, event_error = 2, event_paused = 3, event_video = 4 };

std::map<int, Camera*>& cameras() {
    static std::map<int, Camera*> table; // JS handle -> owner
    return table;
}

} // namespace

std::string_view to_string(CameraError e) {
    switch (e) {
    case CameraError::none: return "none";
    case CameraError::permission_denied: return "permission-denied";
    case CameraError::no_camera: return "no-camera";
    case CameraError::insecure_context: return "insecure-context";
    case CameraError::in_use: return "in-use";
    case CameraError::unsupported: return "unsupported";
    case CameraError::lost: return "lost";
    case CameraError::other: return "other";
    }
    return "other";
}

Camera::Camera(Callbacks callbacks, CameraParams params)
    : callbacks_(std::move(callbacks)), params_(params) {}

Camera::~Camera() {
    stop();
}

void Camera::start() {
    stop();
    handle_ = pn_camera_create(params_.frame_interval_ms, params_.max_frame_side);
    cameras()[handle_] = this;
}

void Camera::stop() {
    if (handle_ == 0) return;
    cameras().erase(handle_);
    pn_camera_delete(handle_);
    handle_ = 0;
}

bool Camera::update_preview(unsigned texture, int& width, int& height) {
    if (handle_ == 0) return false;
    const int size = pn_camera_preview(handle_, texture);
    if (size == 0) return false;
    width = size >> 16;
    height = size & 0xFFFF;
    return true;
}

void Camera::dispatch(int handle, int kind, int a, int b, const std::uint8_t* data, int length) {
    const auto it = cameras().find(handle);
    if (it == cameras().end()) return;
    Camera& c = *it->second;
    switch (kind) {
    case event_started:
        if (c.callbacks_.on_started) c.callbacks_.on_started(a, b);
        break;
    case event_frame:
        // `length` carries the grab time in microseconds (the pixel count is a * b).
        if (c.callbacks_.on_frame) c.callbacks_.on_frame(LuminanceFrame{data, a, b, length / 1000.0});
        break;
    case event_error: {
        // The JS side has already dropped the camera: forget the handle before the callback,
        // which may start a new one on this object.
        cameras().erase(handle);
        c.handle_ = 0;
        pn_camera_delete(handle);
        const std::string detail(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
        if (c.callbacks_.on_error) c.callbacks_.on_error(static_cast<CameraError>(a), detail);
        break;
    }
    case event_paused:
        if (c.callbacks_.on_paused) c.callbacks_.on_paused();
        break;
    case event_video: break; // a new video frame: only the preview needs it, drawn after wake()
    default: break;
    }
}

} // namespace peddlenet::platform

// `data` is owned by camera.js and valid during this call only (luminance pixels, or the UTF-8
// detail of an error).
extern "C" EMSCRIPTEN_KEEPALIVE void pn_camera_event(int handle, int kind, int a, int b, const std::uint8_t* data,
                                                     int length) {
    peddlenet::platform::Camera::dispatch(handle, kind, a, b, data, length);
    peddlenet::platform::wake();
}
