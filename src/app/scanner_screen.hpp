// scanner_screen.hpp: the in-app QR scanner: live camera preview, decoding of camera frames,
// and what a code turns out to be (a PeddleNet invite, or anything else).
// Needs: platform/camera.hpp (frames and preview), qr/qr.hpp (ZXing decode), core/invite.hpp,
// a WebGL2 context (the preview texture); draws with Dear ImGui.
//  [X] rear camera preview, fitted whole into the screen, with an aiming frame
//  [X] decodes luminance frames as they come (about 12 per second; each decode takes a few ms
//      in the wasm build, between frames, so the UI never freezes)
//  [X] an invite, another person's "My code" (core/verify_code.hpp) or a pairing code (offer or
//      answer, core/pairing_code.hpp) stops the camera and is handed to the app; any other text is shown literally and scanning goes on
//  [X] a clear sentence and a Try again button for each camera error; never a blank screen
//  [X] camera off when the screen closes, and (by the platform layer) while the page is hidden
//  [X] decode statistics for the automation API and the benchmark
#pragma once

#include "core/invite.hpp"
#include "core/pairing_code.hpp"
#include "core/verify_code.hpp"
#include "platform/camera.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace peddlenet::app {

class ScannerScreen {
public:
    enum class Action { none, back, invite, verify, pairing };

    // `decoded(text)` runs for every successful decode (the automation's scan() promises).
    // `failed(message)` runs when the camera cannot start or stops with an error.
    struct Events {
        std::function<void(const std::string& text)> decoded;
        std::function<void(const std::string& message)> failed;
    };

    explicit ScannerScreen(Events events);

    // Starts the camera (asking for permission if needed) and resets what was found.
    void open();
    // Stops the camera.
    void close();
    bool is_open() const { return open_; }
    bool failed() const { return status_ == Status::failed; }

    Action draw();
    // The invite found (valid after draw() returned Action::invite).
    const InviteLink& invite() const { return *invite_; }
    // The verify code text found (valid after draw() returned Action::verify).
    const std::string& verify_code() const { return verify_code_; }
    // The pairing code found, offer or answer (valid after draw() returned Action::pairing).
    const std::string& pairing_code() const { return pairing_code_; }

    // {status, error, message, text, frames, found, frameWidth, frameHeight, decodeMs:{p50,p99,mean},
    // grabMs:{p50,p99}} for the automation API.
    nlohmann::json state_json() const;

private:
    enum class Status { off, starting, scanning, paused, failed, invite, verify, pairing };
    bool found() const { return status_ == Status::invite || status_ == Status::verify || status_ == Status::pairing; }

    void on_frame(const platform::LuminanceFrame& frame);
    void on_error(platform::CameraError error, const std::string& detail);
    void draw_preview(float width, float height);

    Events events_;
    platform::Camera camera_;
    bool open_ = false;
    Status status_ = Status::off;
    platform::CameraError error_ = platform::CameraError::none;
    std::string error_detail_;
    std::string text_;                   // the last code read that was not an invite
    std::optional<InviteLink> invite_;
    std::string verify_code_;
    std::string pairing_code_;
    bool found_pending_ = false;         // an invite or code found, not yet returned from draw()
    unsigned texture_ = 0;               // the preview (GL name), created on first use
    // Statistics since open(): per-frame decode and grab times (bounded), frames and hits.
    std::vector<double> decode_ms_;
    std::vector<double> grab_ms_;
    unsigned long frames_ = 0;
    unsigned long found_ = 0;
    int frame_width_ = 0;
    int frame_height_ = 0;
};

} // namespace peddlenet::app
