// photo_view.cpp: see photo_view.hpp.
#include "app/photo_view.hpp"

#include "app/language.hpp"
#include "app/mirror.hpp"
#include "app/theme.hpp"
#include "app/widgets.hpp"

#include <algorithm>
#include <cstdint>

namespace peddlenet::app {
namespace {

// The largest size with the photo's proportions inside max_w x max_h.
ImVec2 fit(const PhotoRef& ref, float max_w, float max_h) {
    const float scale = std::min(max_w / static_cast<float>(ref.width), max_h / static_cast<float>(ref.height));
    return ImVec2(static_cast<float>(ref.width) * scale, static_cast<float>(ref.height) * scale);
}

std::string percent(double fraction) {
    return std::to_string(static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 100.0));
}

// Recipients named in an own photo's status line before "+N".
constexpr std::size_t named_recipients = 3;

} // namespace

ImVec2 photo_box(const PhotoRef& ref, float max_w) {
    return fit(ref, std::min(max_w, em(14.0f)), em(14.0f));
}

std::string photo_status(ChatSession& session, const ChatMessage& m) {
    const RoomEngine& engine = session.engine();
    const std::string& hash = m.photo->hash;
    if (m.from == session.peer_id()) {
        std::string line;
        std::size_t shown = 0, more = 0;
        for (const PhotoTransfers::Sent& row : engine.photos().sent(hash)) {
            if (shown == named_recipients) {
                ++more;
                continue;
            }
            const auto peer = engine.peer(row.peer);
            const std::string name = peer && !peer->name.empty() ? peer->name : tr("photo.someone");
            const std::string progress = row.whole ? "\xE2\x9C\x93" // U+2713 check mark
                                                   : tr("settings.percent", {{"value", percent(static_cast<double>(row.bytes) / m.photo->bytes)}});
            line += (line.empty() ? "" : " \xC2\xB7 ") + name + " " + progress;
            ++shown;
        }
        if (more > 0) line += " " + tr("photo.more", {{"count", std::to_string(more)}});
        return line;
    }
    if (const auto fraction = engine.photos().receiving(hash)) return tr("photo.receiving", {{"percent", percent(*fraction)}});
    if (!session.photos().have(hash)) return tr("photo.waiting");
    return {};
}

void draw_photo(ImDrawList* dl, ImVec2 p0, ImVec2 size, Photos& photos, const PhotoRef& ref) {
    const ImVec2 p1(p0.x + size.x, p0.y + size.y);
    const Photos::Texture* tex = photos.thumbnail(ref);
    if (tex && tex->texture) {
        dl->AddImageRounded(static_cast<ImTextureID>(tex->texture), p0, p1, ImVec2(0, 0), ImVec2(1, 1),
                            IM_COL32_WHITE, em(0.4f));
        return;
    }
    dl->AddRectFilled(p0, p1, ImGui::GetColorU32(ImGuiCol_FrameBgHovered), em(0.4f));
    if (tex && tex->failed) {
        const std::string text = visual(tr("photo.cannot_show"));
        const ImVec2 ts = ImGui::CalcTextSize(text.c_str());
        dl->AddText(ImVec2(p0.x + std::max(0.0f, (size.x - ts.x) * 0.5f), p0.y + (size.y - ts.y) * 0.5f),
                    palette().meta_text, text.c_str());
    }
}

bool draw_photo_viewer(ChatSession& session, const ChatMessage& m) {
    const std::string title = tr("photo.from", {{"name", m.name}});
    const bool closed = back_row(tr("common.back"), [&] { ImGui::TextUnformatted(visual(title).c_str()); });
    mirror().heading("title", title);
    mirror().set_screen("photo");
    mirror().dialog(title);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const ImVec2 size = fit(*m.photo, avail.x, avail.y);
    const ImVec2 at = ImGui::GetCursorScreenPos();
    const ImVec2 p0(at.x + (avail.x - size.x) * 0.5f, at.y + (avail.y - size.y) * 0.5f);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const Photos::Texture* tex = session.photos().full(*m.photo);
    if (!tex || !tex->texture) tex = session.photos().thumbnail(*m.photo); // until the full one is decoded
    if (tex && tex->texture) {
        dl->AddImage(static_cast<ImTextureID>(tex->texture), p0, ImVec2(p0.x + size.x, p0.y + size.y));
    } else {
        draw_photo(dl, p0, size, session.photos(), *m.photo);
    }
    mirror().text("photo-size", tr("photo.size", {{"width", std::to_string(m.photo->width)},
                                                  {"height", std::to_string(m.photo->height)}}));
    return closed;
}

} // namespace peddlenet::app
