// invite_screen.cpp: see invite_screen.hpp.
#include "app/invite_screen.hpp"

#include "app/language.hpp"
#include "app/mirror.hpp"
#include "app/theme.hpp"
#include "app/widgets.hpp"
#include "core/text.hpp"
#include "platform/share.hpp"

#include <emscripten/emscripten.h>
#include <imgui.h>

#include <algorithm>
#include <cmath>

namespace peddlenet::app {
namespace {

// Room under the code for the title, the link (two lines) and the buttons, in em.
constexpr float text_below_em = 10.0f;
// Smallest code drawn, in em: below this the screen is too small to scan from anyway.
constexpr float min_code_em = 10.0f;
// Largest code drawn, in em: on a desktop a bigger code reads no better and pushes the link off.
constexpr float max_code_em = 30.0f;

const ImVec4 notice_colour(0.6f, 0.85f, 0.6f, 1.0f);
const ImVec4 error_colour(1.0f, 0.55f, 0.5f, 1.0f);

} // namespace

void InviteScreen::encode(const std::string& text) {
    if (text == encoded_text_) return;
    const double started = emscripten_get_now();
    code_ = qr::encode(text, qr::Ecc::medium);
    encode_ms_ = emscripten_get_now() - started;
    encoded_text_ = text;
    notice_.clear();
}

void InviteScreen::draw_fitted_code(float text_below) {
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float side = std::clamp(std::min(avail.x, avail.y - em(text_below)), em(min_code_em),
                                  std::min(avail.x, em(max_code_em)));
    if (code_) {
        draw_code(side);
    } else {
        literal_text(tr("invite.too_long_for_qr"));
    }
}

InviteScreen::Action InviteScreen::draw(const std::string& room, const std::string& url, bool is_private) {
    Action action = Action::none;
    encode(url);

    if (back_row(tr("common.back"), [&] {
            literal_text(tr(is_private ? "invite.title_private" : "invite.title_open"), false);
            literal_text(room, false);
            mirror().heading("title", tr(is_private ? "invite.title_private" : "invite.title_open") + " " + room);
            mirror().dialog(tr(is_private ? "invite.title_private" : "invite.title_open") + " " + room);
        }))
        action = Action::back;
    ImGui::Separator();

    draw_fitted_code(text_below_em + (is_private ? 2.0f : 0.0f));

    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    literal_text(tr(is_private ? "invite.explain_private" : "invite.explain_open"));
    ImGui::PopStyleColor();
    literal_text(url);

    const float gap = ImGui::GetStyle().ItemSpacing.x;
    const bool can_share = platform::can_share();
    const float width = can_share ? (ImGui::GetContentRegionAvail().x - gap) * 0.5f : -FLT_MIN;
    mirror().text("link", url);
    if (mirror().button("copy-link", tr("invite.copy_link"),
                        primary_button((visual(tr("invite.copy_link")) + "###copy-link").c_str(), width))) {
        ImGui::SetClipboardText(url.c_str());
        notice_ = tr("invite.copied");
    }
    if (can_share) {
        ImGui::SameLine();
        if (mirror().button("share", tr("invite.share"),
                            secondary_button((visual(tr("invite.share")) + "###share").c_str(), width))) {
            notice_.clear();
            platform::share("PeddleNet: " + room, tr("invite.share_text", {{"room", room}}), url,
                            [this](platform::ShareOutcome outcome, const std::string& detail) {
                                if (outcome == platform::ShareOutcome::failed) {
                                    notice_ = tr("invite.share_failed", {{"detail", detail}});
                                }
                            });
        }
    }
    if (!notice_.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, notice_ == tr("invite.copied") ? notice_colour : error_colour);
        literal_text(notice_);
        ImGui::PopStyleColor();
        mirror().alert("notice", notice_);
    }
    return action;
}

void InviteScreen::draw_code(float side) {
    const qr::Code& code = *code_;
    const int modules = code.size + 2 * qr::quiet_zone_modules;
    // Whole device pixels per module, so every edge lands on the pixel grid: no blurred or
    // uneven modules at any devicePixelRatio (a scanner reads crisp edges best).
    const float dpr = ImGui::GetIO().DisplayFramebufferScale.x > 0 ? ImGui::GetIO().DisplayFramebufferScale.x : 1.0f;
    const float module_px = std::max(1.0f, std::floor(side * dpr / static_cast<float>(modules)));
    const float module = module_px / dpr;
    const float drawn = module * static_cast<float>(modules);

    const ImVec2 cursor = ImGui::GetCursorScreenPos();
    const float left = cursor.x + (ImGui::GetContentRegionAvail().x - drawn) * 0.5f;
    const ImVec2 origin(std::round(left * dpr) / dpr, std::round(cursor.y * dpr) / dpr);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    // Filled rectangles without rounding get no antialiasing fringe in ImGui: exact edges.
    dl->AddRectFilled(origin, ImVec2(origin.x + drawn, origin.y + drawn), IM_COL32_WHITE);
    const float inner_x = origin.x + module * qr::quiet_zone_modules;
    const float inner_y = origin.y + module * qr::quiet_zone_modules;
    for (int y = 0; y < code.size; ++y) {
        // One rectangle per horizontal run of dark modules: a few hundred instead of a thousand.
        for (int x = 0; x < code.size;) {
            if (!code.at(x, y)) {
                ++x;
                continue;
            }
            const int start = x;
            while (x < code.size && code.at(x, y)) ++x;
            dl->AddRectFilled(ImVec2(inner_x + module * static_cast<float>(start), inner_y + module * static_cast<float>(y)),
                              ImVec2(inner_x + module * static_cast<float>(x), inner_y + module * static_cast<float>(y + 1)),
                              IM_COL32_BLACK);
        }
    }
    ImGui::Dummy(ImVec2(ImGui::GetContentRegionAvail().x, drawn + (origin.y - cursor.y)));
}

InviteScreen::Action InviteScreen::draw_my_code(const std::string& code, const std::string& fingerprint) {
    Action action = Action::none;
    encode(code);
    if (back_row(tr("common.back"), [] {
            literal_text(tr("common.my_code"), false);
            mirror().heading("title", tr("common.my_code"));
            mirror().dialog(tr("common.my_code"));
        }))
        action = Action::back;
    ImGui::Separator();
    draw_fitted_code(text_below_em);
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    literal_text(tr("my_code.explain"));
    ImGui::PopStyleColor();
    literal_text(tr("my_code.key", {{"fingerprint", fingerprint}}));
    return action;
}

InviteScreen::Action InviteScreen::draw_pairing(const Pairing& pairing, const std::string& notice) {
    Action action = Action::none;
    const char* back = pairing.state() == Pairing::State::failed ? "common.back" : "common.cancel";
    if (back_row(tr(back), [] {
            ImGui::AlignTextToFramePadding();
            literal_text(tr("pair.title"), false);
            mirror().heading("title", tr("pair.title"));
            mirror().dialog(tr("pair.title"));
        }))
        action = Action::back;
    ImGui::Separator();
    const auto hint = [](const std::string& text) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
        literal_text(text);
        ImGui::PopStyleColor();
    };
    switch (pairing.state()) {
    case Pairing::State::idle:
    case Pairing::State::gathering:
        literal_text(tr("pair.preparing"));
        mirror().text("step", tr("pair.preparing"));
        break;
    case Pairing::State::showing:
        encode(pairing.code());
        draw_fitted_code(text_below_em);
        if (pairing.offering()) {
            hint(tr("pair.offer_steps"));
            mirror().text("step", tr("pair.offer_steps"));
            if (mirror().button("scan-theirs", tr("pair.scan_theirs"), primary_button(visual(tr("pair.scan_theirs")).c_str())))
                action = Action::scan;
        } else {
            hint(tr("pair.answer_steps"));
            mirror().text("step", tr("pair.answer_steps"));
        }
        break;
    case Pairing::State::connecting:
    case Pairing::State::open:
        literal_text(tr("pair.linking"));
        mirror().text("step", tr("pair.linking"));
        break;
    case Pairing::State::failed:
        ImGui::PushStyleColor(ImGuiCol_Text, palette().error_text);
        literal_text(tr(pairing.error()));
        ImGui::PopStyleColor();
        mirror().alert("error", tr(pairing.error()));
        if (pairing.offering() &&
            mirror().button("try-again", tr("common.try_again"), primary_button(visual(tr("common.try_again")).c_str())))
            action = Action::retry;
        break;
    }
    if (!notice.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, palette().error_text);
        literal_text(notice);
        ImGui::PopStyleColor();
    }
    return action;
}

InvitedScreen::Action InvitedScreen::draw(const std::string& room, std::string& name, const std::string& notice) {
    Action action = Action::none;
    const float column = std::min(ImGui::GetContentRegionAvail().x, em(26.0f));
    ImGui::SetCursorPosX((ImGui::GetWindowWidth() - column) * 0.5f);
    ImGui::BeginGroup();
    ImGui::PushItemWidth(column);
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + column);
    ImGui::Dummy(em(0, 2.0f));
    literal_text(tr("invited.title"), false);
    ImGui::PushFont(nullptr, ImGui::GetFontSize() * 1.5f);
    literal_text(room);
    ImGui::PopFont();
    mirror().heading("title", tr("invited.title") + " " + room);
    ImGui::Dummy(em(0, 1.0f));
    literal_text(tr("common.your_name"), false);
    const bool entered = text_field("##invited-name", visual(tr("common.name_example")).c_str(), name,
                                    max_display_name_bytes, ImGuiInputTextFlags_EnterReturnsTrue);
    const bool submitted =
        mirror().textbox("name", tr("common.your_name"), name, tr("common.name_example")).submitted || entered;
    ImGui::Dummy(em(0, 0.5f));
    if (mirror().button("join", tr("common.join"), primary_button(visual(tr("common.join")).c_str(), column)) ||
        submitted)
        action = Action::join;
    if (mirror().button("not-now", tr("invited.not_now"), secondary_button(visual(tr("invited.not_now")).c_str(), column)))
        action = Action::cancel;
    if (!notice.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, error_colour);
        literal_text(notice);
        ImGui::PopStyleColor();
    }
    ImGui::PopTextWrapPos();
    ImGui::PopItemWidth();
    ImGui::EndGroup();
    return action;
}

} // namespace peddlenet::app
