// camera.hpp: the browser's camera (getUserMedia, web/camera.js) as a C++ object: luminance
// frames for a QR decoder at a steady rate, plus the live video for a preview texture.
// Needs: web/camera.js, a WebGL2 context made by platform/canvas (for the preview only).
//  [X] rear camera (facingMode environment, preferred, not required) at about 640x480
//  [X] luminance frames (8-bit, one byte per pixel) at most every frame_interval_ms, scaled down
//      to max_frame_side, copied into the wasm heap; never two in flight, never piling up
//  [X] clear error kinds: permission denied, no camera, insecure context, camera in use,
//      unsupported browser, camera lost while running
//  [X] tracks stopped by stop(), by the destructor, and while the page is hidden (started
//      again when it is shown, reported through on_paused)
//  [X] preview: the newest video frame uploaded straight into a GL texture (no CPU copy);
//      each new video frame wakes the render loop
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace peddlenet::platform {

// Why the camera could not start or stopped. Numbered as PeddleCamera.ERR in web/camera.js.
enum class CameraError {
    none = 0,
    permission_denied = 1, // NotAllowedError / SecurityError: the person or a policy said no
    no_camera = 2,         // NotFoundError / OverconstrainedError: no video input device
    insecure_context = 3,  // http on a LAN address: browsers hide the camera API there
    in_use = 4,            // NotReadableError / AbortError: another app holds the camera
    unsupported = 5,       // no navigator.mediaDevices.getUserMedia at all
    lost = 6,              // the track ended while running (unplugged, taken by the system)
    other = 7,
};

// The spelling used by the automation API: "permission-denied", "no-camera", ...
std::string_view to_string(CameraError e);

struct CameraParams {
    // frame_interval_ms: int, default = 80. Least time between the starts of two luminance
    // frames: 12.5 decode attempts per second, which reads a code as soon as it is steady in view
    // while leaving most of each second to drawing the UI.
    int frame_interval_ms = 80;
    // max_frame_side: int, default = 800. Frames are scaled down so their longer side is at most
    // this many pixels: a phone that ignores the 640x480 request still decodes in tens of ms.
    int max_frame_side = 800;
};

// One luminance frame; `pixels` (width * height bytes, rows packed) is valid during the
// callback only.
struct LuminanceFrame {
    const std::uint8_t* pixels = nullptr;
    int width = 0;
    int height = 0;
    double grab_ms = 0; // time the browser took to draw, read back and convert the frame
};

class Camera {
public:
    struct Callbacks {
        std::function<void(int width, int height)> on_started;    // video size, also after a resume
        std::function<void(const LuminanceFrame&)> on_frame;
        std::function<void(CameraError, const std::string& detail)> on_error; // camera is off then
        std::function<void()> on_paused;                          // page hidden: tracks stopped
    };

    explicit Camera(Callbacks callbacks, CameraParams params = {});
    ~Camera(); // stops the camera
    // Registered with JS by handle: neither copyable nor movable.
    Camera(const Camera&) = delete;
    Camera& operator=(const Camera&) = delete;

    // Asks for the camera (the browser may prompt); restarts it if it was running.
    void start();
    // Ends every track; no callback of this run arrives afterwards.
    void stop();
    bool running() const { return handle_ != 0; }

    // Uploads the newest video frame into `texture` (a GL texture name) if it changed since the
    // last call. True when the texture holds a frame; width and height give the video's size.
    bool update_preview(unsigned texture, int& width, int& height);

    // Called by the pn_camera_event export.
    static void dispatch(int handle, int kind, int a, int b, const std::uint8_t* data, int length);

private:
    Callbacks callbacks_;
    CameraParams params_;
    int handle_ = 0;
};

} // namespace peddlenet::platform
