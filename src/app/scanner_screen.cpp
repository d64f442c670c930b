// scanner_screen.cpp: see scanner_screen.hpp.
#include "app/scanner_screen.hpp"

#include "app/language.hpp"
#include "app/mirror.hpp"
#include "app/widgets.hpp"
#include "platform/webgl_renderer.hpp"
#include "qr/qr.hpp"

#include <GLES3/gl3.h>
#include <emscripten/emscripten.h>
#include <imgui.h>

#include <algorithm>
#include <cstdint>

namespace peddlenet::app {
namespace {

// Timing samples kept for the statistics: more than the benchmark's 200 frames, bounded so a
// scanner left open for an hour costs the same memory as one left open for a minute.
constexpr std::size_t max_samples = 1024;
// Room under the preview for the status lines and the buttons, in em.
constexpr float controls_em = 9.0f;

const ImVec4 error_colour(1.0f, 0.55f, 0.5f, 1.0f);

const std::string& explain(platform::CameraError e) {
    using platform::CameraError;
    switch (e) {
    case CameraError::permission_denied: return tr("camera.denied");
    case CameraError::no_camera: return tr("camera.none");
    case CameraError::insecure_context: return tr("camera.insecure");
    case CameraError::in_use: return tr("camera.busy");
    case CameraError::unsupported: return tr("camera.unsupported");
    case CameraError::lost: return tr("camera.lost");
    case CameraError::none:
    case CameraError::other: break;
    }
    return tr("camera.failed");
}

nlohmann::json percentiles(std::vector<double> samples) {
    if (samples.empty()) return nullptr;
    std::sort(samples.begin(), samples.end());
    double sum = 0;
    for (const double s : samples) sum += s;
    const std::size_t n = samples.size();
    return {{"p50", samples[n / 2]},
            {"p99", samples[std::min(n - 1, n * 99 / 100)]},
            {"mean", sum / static_cast<double>(n)},
            {"count", n}};
}

void keep_sample(std::vector<double>& samples, double value) {
    if (samples.size() >= max_samples) samples.erase(samples.begin());
    samples.push_back(value);
}

} // namespace

ScannerScreen::ScannerScreen(Events events)
    : events_(std::move(events)),
      camera_(platform::Camera::Callbacks{
          [this](int, int) { status_ = Status::scanning; },
          [this](const platform::LuminanceFrame& frame) { on_frame(frame); },
          [this](platform::CameraError error, const std::string& detail) { on_error(error, detail); },
          [this] { status_ = Status::paused; }}) {}

void ScannerScreen::open() {
    open_ = true;
    status_ = Status::starting;
    error_ = platform::CameraError::none;
    error_detail_.clear();
    text_.clear();
    invite_.reset();
    verify_code_.clear();
    found_pending_ = false;
    decode_ms_.clear();
    grab_ms_.clear();
    frames_ = found_ = 0;
    camera_.start();
}

void ScannerScreen::close() {
    open_ = false;
    camera_.stop();
    if (status_ != Status::failed && !found()) {
        status_ = Status::off; // keep the outcome
    }
}

void ScannerScreen::on_frame(const platform::LuminanceFrame& frame) {
    if (found()) return;
    const double started = emscripten_get_now();
    const auto text = qr::decode_luminance(frame.pixels, frame.width, frame.height, frame.width);
    keep_sample(decode_ms_, emscripten_get_now() - started);
    keep_sample(grab_ms_, frame.grab_ms);
    ++frames_;
    frame_width_ = frame.width;
    frame_height_ = frame.height;
    if (!text) return;
    ++found_;
    if (auto link = parse_invite_url(*text)) {
        invite_ = std::move(*link);
        found_pending_ = true;
        status_ = Status::invite;
        camera_.stop(); // nothing more to read; the light goes off at once
    } else if (parse_verify_code(*text)) {
        verify_code_ = *text;
        found_pending_ = true;
        status_ = Status::verify;
        camera_.stop();
    } else if (const PairingDecode d = decode_pairing_code(*text, PairingKind::offer);
               d.ok() || d.error == pairing_error_answer_not_offer) {
        pairing_code_ = *text;
        found_pending_ = true;
        status_ = Status::pairing;
        camera_.stop();
    } else {
        text_ = *text;
    }
    if (events_.decoded) events_.decoded(*text);
}

void ScannerScreen::on_error(platform::CameraError error, const std::string& detail) {
    status_ = Status::failed;
    error_ = error;
    error_detail_ = detail;
    if (error != platform::CameraError::none) {
        emscripten_log(EM_LOG_WARN, "PeddleNet: camera: %s (%s)", std::string(platform::to_string(error)).c_str(),
                       detail.c_str());
    }
    if (events_.failed) events_.failed(explain(error));
}

ScannerScreen::Action ScannerScreen::draw() {
    Action action = Action::none;
    if (back_row(tr("common.back"), [] {
            ImGui::AlignTextToFramePadding();
            literal_text(tr("scanner.title"), false);
            mirror().heading("title", tr("scanner.title"));
            mirror().dialog(tr("scanner.title"));
        }))
        action = Action::back;
    ImGui::Separator();

    const ImVec2 avail = ImGui::GetContentRegionAvail();
    draw_preview(avail.x, std::max(em(8.0f), avail.y - em(controls_em)));

    switch (status_) {
    case Status::off:
    case Status::starting: literal_text(tr("scanner.starting")); break;
    case Status::scanning: literal_text(tr("scanner.scanning")); break;
    case Status::paused: literal_text(tr("scanner.paused")); break;
    case Status::invite: literal_text(tr("scanner.invite_found", {{"room", invite_->invite.room}})); break;
    case Status::verify:
        literal_text(tr("scanner.code_found", {{"name", parse_verify_code(verify_code_)->name}}));
        break;
    case Status::pairing: literal_text(tr("scanner.pairing_found")); break;
    case Status::failed:
        ImGui::PushStyleColor(ImGuiCol_Text, error_colour);
        literal_text(explain(error_));
        ImGui::PopStyleColor();
        if (error_ == platform::CameraError::other && !error_detail_.empty()) {
            ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
            literal_text(error_detail_);
            ImGui::PopStyleColor();
        }
        mirror().alert("error", explain(error_));
        if (mirror().button("try-again", tr("common.try_again"), primary_button(visual(tr("common.try_again")).c_str()))) open();
        break;
    }
    if (!text_.empty() && !found()) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
        literal_text(tr("scanner.not_ours"));
        ImGui::PopStyleColor();
        ImGui::BeginChild("##scanned-text", ImVec2(0, em(3.0f)), ImGuiChildFlags_FrameStyle);
        literal_text(text_);
        ImGui::EndChild();
    }
    if (found_pending_) {
        found_pending_ = false;
        action = status_ == Status::verify ? Action::verify
                 : status_ == Status::pairing ? Action::pairing
                                              : Action::invite;
    }
    return action;
}

void ScannerScreen::draw_preview(float width, float height) {
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(p0, ImVec2(p0.x + width, p0.y + height), IM_COL32(0, 0, 0, 255), em(0.4f));

    // A lost and restored WebGL context invalidates every texture: make a fresh one then.
    if (texture_ == 0 || !glIsTexture(texture_)) texture_ = platform::create_texture();
    int video_w = 0, video_h = 0;
    if (camera_.update_preview(texture_, video_w, video_h) && video_w > 0 && video_h > 0) {
        // Fitted whole (letterboxed): the person sees exactly what the decoder sees.
        const float scale = std::min(width / static_cast<float>(video_w), height / static_cast<float>(video_h));
        const float w = static_cast<float>(video_w) * scale, h = static_cast<float>(video_h) * scale;
        const ImVec2 a(p0.x + (width - w) * 0.5f, p0.y + (height - h) * 0.5f);
        dl->AddImage(ImTextureRef(static_cast<ImTextureID>(texture_)), a, ImVec2(a.x + w, a.y + h));
        // Aiming corners around the middle of the view.
        const float side = std::min(w, h) * 0.7f, arm = side * 0.15f, t = em(0.2f);
        const ImVec2 c(a.x + w * 0.5f, a.y + h * 0.5f);
        const ImU32 colour = IM_COL32(255, 255, 255, 200);
        for (const float sx : {-1.0f, 1.0f}) {
            for (const float sy : {-1.0f, 1.0f}) {
                const ImVec2 corner(c.x + sx * side * 0.5f, c.y + sy * side * 0.5f);
                dl->AddLine(corner, ImVec2(corner.x - sx * arm, corner.y), colour, t);
                dl->AddLine(corner, ImVec2(corner.x, corner.y - sy * arm), colour, t);
            }
        }
    } else {
        // No picture (yet, or any more): say so in the frame rather than leave a black hole.
        const std::string text = visual(tr(status_ == Status::failed   ? "scanner.camera_off"
                                           : status_ == Status::paused ? "scanner.camera_paused"
                                                                       : "scanner.starting"));
        const char* label = text.c_str();
        const ImVec2 size = ImGui::CalcTextSize(label);
        dl->AddText(ImVec2(p0.x + (width - size.x) * 0.5f, p0.y + (height - size.y) * 0.5f),
                    ImGui::GetColorU32(ImGuiCol_TextDisabled), label);
    }
    ImGui::Dummy(ImVec2(width, height));
}

nlohmann::json ScannerScreen::state_json() const {
    const char* status = "off";
    switch (status_) {
    case Status::off: status = "off"; break;
    case Status::starting: status = "starting"; break;
    case Status::scanning: status = "scanning"; break;
    case Status::paused: status = "paused"; break;
    case Status::failed: status = "failed"; break;
    case Status::invite: status = "invite"; break;
    case Status::verify: status = "verify"; break;
    case Status::pairing: status = "pairing"; break;
    }
    return {
        {"open", open_},
        {"status", status},
        {"error", status_ == Status::failed ? nlohmann::json(std::string(platform::to_string(error_))) : nlohmann::json(nullptr)},
        {"message", status_ == Status::failed ? nlohmann::json(explain(error_)) : nlohmann::json(nullptr)},
        {"text", text_.empty() ? nlohmann::json(nullptr) : nlohmann::json(text_)},
        {"invite", invite_ ? nlohmann::json(invite_->invite.room) : nlohmann::json(nullptr)},
        {"frames", frames_},
        {"found", found_},
        {"frameWidth", frame_width_},
        {"frameHeight", frame_height_},
        {"decodeMs", percentiles(decode_ms_)},
        {"grabMs", percentiles(grab_ms_)},
    };
}

} // namespace peddlenet::app
