// room_screen.cpp: see room_screen.hpp.
#include "app/room_screen.hpp"

#include "app/language.hpp"
#include "app/mirror.hpp"
#include "app/photo_view.hpp"
#include "app/theme.hpp"
#include "app/widgets.hpp"
#include "core/bidi.hpp"
#include "core/chat_log.hpp"

#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string_view>

namespace peddlenet::app {
namespace {

// Sender names get one of the theme's name colours, picked by peer id, so a conversation is easy
// to follow.
ImU32 name_colour(std::string_view peer) {
    std::uint32_t h = 2166136261u; // FNV-1a: stable across peers and reloads
    for (const char c : peer) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    return palette().names[h % Palette::name_count];
}

ImVec4 link_colour(LinkState s) {
    switch (s) {
    case LinkState::open: return palette().link_open;
    case LinkState::connecting: return palette().link_connecting;
    case LinkState::closed: return palette().link_closed;
    }
    return ImVec4(1, 1, 1, 1);
}

// `text` cut at a character boundary with an ellipsis so that it fits `width` pixels.
std::string fit_width(const std::string& text, float width) {
    if (ImGui::CalcTextSize(text.c_str(), text.c_str() + text.size()).x <= width) return text;
    const char* ellipsis = "\xE2\x80\xA6";
    const float ellipsis_w = ImGui::CalcTextSize(ellipsis).x;
    std::size_t end = text.size();
    while (end > 0) {
        do --end; while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80);
        if (ImGui::CalcTextSize(text.c_str(), text.c_str() + end).x + ellipsis_w <= width) break;
    }
    return text.substr(0, end) + ellipsis;
}

std::string delivery_text(const Delivery& d) {
    switch (d.state) {
    case DeliveryState::received: return {};
    case DeliveryState::queued: return tr("messages.queued");
    case DeliveryState::sent: return tr("messages.sent");
    case DeliveryState::delivered:
        // A big room: most people are not linked to us; they report it through relays.
        if (d.big_room) return tr_plural("messages.seen_by", static_cast<long long>(d.acked));
        return tr("messages.delivered", {{"acked", std::to_string(d.acked)}, {"total", std::to_string(d.of)}});
    }
    return {};
}

// "0.4 s" / "12 ms" / "3.2 s".
std::string duration_text(double ms) {
    if (ms < 1000.0) return tr("units.ms", {{"value", std::to_string(static_cast<int>(ms + 0.5))}});
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", ms / 1000.0);
    return tr("units.seconds", {{"value", buf}});
}

std::string_view path_text(PathKind kind) {
    switch (kind) {
    case PathKind::direct: return tr("people.path_direct");
    case PathKind::stun: return tr("people.path_stun");
    case PathKind::relay: return tr("people.path_relay");
    }
    return {};
}

// A link's state as the People panel says it.
std::string link_text(const LinkInfo& p) {
    // The engine's refusals are fixed English phrases (room_engine.hpp): two of them.
    if (p.proof == ProofState::failed)
        return tr(p.refusal == "not in this room" ? "people.not_in_room" : "people.not_verified");
    switch (p.state) {
    case LinkState::open: return tr("people.connected");
    case LinkState::connecting: return tr("people.connecting");
    case LinkState::closed: return tr("people.closed");
    }
    return {};
}

// "relayed by the box · links in 0.4 s · 2 of 2 tries · health 98": what the People panel says
// about one link's path and health (empty when nothing is known yet). The round trip is the
// pings' (on the line above); the browser's goes here only while there is none.
std::string health_line(const LinkPath* path, const std::optional<double>& rtt_ms, const ConnectionHealth* health) {
    std::vector<std::string> parts;
    if (path) parts.emplace_back(path_text(path->kind));
    if (!rtt_ms && path && path->rtt_ms) parts.push_back(duration_text(*path->rtt_ms)); // else shown above
    if (health && health->attempts() > 0) {
        if (const auto mean = health->mean_connect_ms())
            parts.push_back(tr("people.links_in", {{"duration", duration_text(*mean)}}));
        parts.push_back(tr_plural("people.tries", static_cast<long long>(health->attempts()),
                                  {{"successes", std::to_string(health->successes())}}));
        if (const auto score = health->score()) parts.push_back(tr("people.health", {{"score", std::to_string(*score)}}));
    }
    std::string line;
    for (const std::string& part : parts) line += (line.empty() ? "" : " \xC2\xB7 ") + part; // U+00B7
    return line;
}

void dot(const ImVec4& colour) {
    const float r = em(0.3f);
    const ImVec2 p = ImGui::GetCursorScreenPos();
    ImGui::GetWindowDrawList()->AddCircleFilled(ImVec2(p.x + r, p.y + ImGui::GetTextLineHeight() * 0.5f), r,
                                                ImGui::GetColorU32(colour));
    ImGui::Dummy(ImVec2(2 * r, ImGui::GetTextLineHeight()));
}

// Places the items of one line in reading order: left to right from the cursor, or right to
// left from the content's right edge when the UI is right to left. Call next(width) before each
// item; it moves the cursor there.
class ReadingFlow {
public:
    ReadingFlow()
        : rtl_(ui_rtl()), x_(rtl_ ? ImGui::GetContentRegionMax().x : ImGui::GetCursorPosX()),
          spacing_(ImGui::GetStyle().ItemSpacing.x) {}
    void next(float width) {
        if (rtl_) x_ = std::max(0.0f, x_ - width);
        if (!first_) ImGui::SameLine(); // then placed in window coordinates (SameLine(x) counts from a group's left)
        ImGui::SetCursorPosX(x_);
        first_ = false;
        x_ = rtl_ ? x_ - spacing_ : x_ + width + spacing_;
    }

private:
    bool rtl_;
    float x_, spacing_;
    bool first_ = true;
};

// A small button's width for `label` (text up to "###").
float small_button_width(const std::string& label) {
    return ImGui::CalcTextSize(label.c_str(), nullptr, true).x + 2 * ImGui::GetStyle().FramePadding.x;
}

// One part of a people row: a status dot, or a text in reading order and its colour.
struct RowPart {
    std::optional<ImVec4> dot;
    std::string text;
    ImVec4 colour;
};

// A row of parts in reading order: from the left, or from the right edge when the UI is right
// to left (the dot then leads on the right). Parts never wrap.
void reading_row(ReadingFlow& flow, const std::vector<RowPart>& parts) {
    for (const RowPart& part : parts) {
        const std::string shown = part.dot ? std::string() : visual(part.text);
        flow.next(part.dot ? 2 * em(0.3f) : ImGui::CalcTextSize(shown.c_str(), nullptr, false).x);
        if (part.dot) {
            dot(*part.dot);
        } else {
            ImGui::PushStyleColor(ImGuiCol_Text, part.colour);
            ImGui::TextUnformatted(shown.c_str());
            ImGui::PopStyleColor();
        }
    }
}

} // namespace

void RoomScreen::reset() {
    notice_.clear();
    seen_count_ = 0;
    unread_ = 0;
    stick_to_bottom_ = true;
    editing_name_ = false;
}

RoomScreen::Action RoomScreen::draw(ChatSession& session) {
    Action action = Action::none;
    if (!viewing_.empty()) {
        const ChatMessage* m = session.engine().log().find(viewing_);
        if (m && m->photo && !draw_photo_viewer(session, *m)) return action;
        viewing_.clear();
    }
    draw_header(session, action);
    session.set_rtt_visible(people_open_);
    if (people_open_) draw_people(session, action);

    const ImGuiStyle& style = ImGui::GetStyle();
    float below = ImGui::GetFrameHeight() + style.ItemSpacing.y; // the composer row
    if (!notice_.empty() || draft_.size() > max_text_bytes - 512) below += ImGui::GetTextLineHeightWithSpacing();
    if (session.photos().busy() || !session.photos().notice().empty()) below += 2 * ImGui::GetTextLineHeightWithSpacing();
    if (unread_ > 0) below += ImGui::GetFrameHeight() + style.ItemSpacing.y;
    draw_messages(session, std::max(em(4.0f), ImGui::GetContentRegionAvail().y - below));
    if (unread_ > 0) {
        const std::string label = visual(tr_plural("room.unread", static_cast<long long>(unread_))) +
                                  "  \xE2\x86\x93###unread"; // U+2193 downwards arrow
        if (secondary_button(label.c_str(), -FLT_MIN)) stick_to_bottom_ = true;
    }
    draw_composer(session);
    return action;
}

void RoomScreen::draw_header(ChatSession& session, Action& action) {
    const RoomEngine& engine = session.engine();
    const auto peers = engine.peers();
    // In a big room we link with a few people only; the room's size comes from the server, or
    // without it from the members' signed announcements.
    const std::size_t in_room = engine.partial_mesh() ? engine.present() : peers.size() + 1;
    const std::string people = visual(tr("room.people", {{"count", std::to_string(in_room)}})) + "###people";
    std::size_t open = 0;
    for (const LinkInfo& p : peers) open += p.state == LinkState::open;
    const bool is_private = session.room() && session.room()->is_private();
    // A big room: who is here, not our few links (People lists those; a phone's header is narrow).
    const std::size_t here_count = engine.partial_mesh() ? in_room : open + 1;
    const std::string here = here_count == 1 && !engine.partial_mesh()
                                 ? tr("room.just_you")
                                 : tr_plural("room.here", static_cast<long long>(here_count));
    const std::string status = tr(is_private ? "room.private_status" : "room.open_status", {{"here", here}});
    const std::string room_name = session.room() ? session.room()->name : std::string();
    mirror().heading("room", room_name);
    mirror().text("room-status", status);
    const std::string invite = visual(tr("room.invite")) + "###invite";
    const std::string leave = visual(tr("room.leave")) + "###leave";
    const ImGuiStyle& style = ImGui::GetStyle();
    const float pad = 2 * style.FramePadding.x;
    const auto button_w = [&](const std::string& label) { return ImGui::CalcTextSize(label.c_str(), nullptr, true).x + pad; };
    // Leave | room name and head count | Invite People; mirrored when the UI is right to left.
    const bool rtl = ui_rtl();
    const float start_x = ImGui::GetCursorPosX(), end_x = ImGui::GetContentRegionMax().x;
    const float pair_w = button_w(people) + style.ItemSpacing.x + button_w(invite);
    const float leave_w = button_w(leave);
    const float title_x = start_x + (rtl ? pair_w : leave_w) + style.ItemSpacing.x;
    const float title_w = std::max(0.0f, end_x - start_x - pair_w - leave_w - 2 * style.ItemSpacing.x);
    const std::string people_name = tr("room.people", {{"count", std::to_string(in_room)}});
    const auto people_button = [&] { return mirror().button("people", people_name, ImGui::Button(people.c_str())); };
    const auto invite_button = [&] { return mirror().button("invite", tr("room.invite"), ImGui::Button(invite.c_str())); };
    const auto leave_button = [&] { return mirror().button("leave", tr("room.leave"), ImGui::Button(leave.c_str())); };
    const auto draw_pair = [&] {
        if (rtl) {
            if (people_button()) people_open_ = !people_open_;
            ImGui::SameLine();
            if (invite_button()) action = Action::invite;
        } else {
            if (invite_button()) action = Action::invite;
            ImGui::SameLine();
            if (people_button()) people_open_ = !people_open_;
        }
    };
    const auto title_line = [&](const std::string& text) {
        const std::string fitted = fit_width(text, title_w);
        if (rtl) ImGui::SetCursorPosX(title_x + title_w - ImGui::CalcTextSize(fitted.c_str()).x);
        ImGui::TextUnformatted(fitted.c_str());
    };

    if (rtl) {
        draw_pair();
    } else if (leave_button()) {
        action = Action::leave;
    }
    ImGui::SameLine(title_x);
    // The title is cut with an ellipsis when too long.
    ImGui::BeginGroup();
    title_line(room_name);
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    title_line(visual(status));
    ImGui::PopStyleColor();
    ImGui::EndGroup();
    ImGui::SameLine(rtl ? end_x - leave_w : end_x - pair_w);
    if (!rtl) {
        draw_pair();
    } else if (leave_button()) {
        action = Action::leave;
    }

    // The server's state only when it matters, on a line of its own (too long for the row above).
    const std::string* server = nullptr;
    switch (session.signaling()) {
    case SignalingStatus::online: break;
    case SignalingStatus::connecting: server = &tr("room.server_connecting"); break;
    case SignalingStatus::offline: server = &tr("room.server_offline"); break;
    }
    if (server) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
        ImGui::PushTextWrapPos(0.0f);
        literal_text(*server, false);
        ImGui::PopTextWrapPos();
        ImGui::PopStyleColor();
    }
    if (session.room() && !is_private) {
        ImGui::PushStyleColor(ImGuiCol_Text, palette().error_text);
        ImGui::PushTextWrapPos(0.0f);
        literal_text(tr("room.open_warning"), false);
        ImGui::PopTextWrapPos();
        ImGui::PopStyleColor();
    }
    ImGui::Separator();
}

void RoomScreen::draw_people(ChatSession& session, Action& action) {
    ImGui::BeginGroup();
    if (editing_name_) {
        dot(link_colour(LinkState::open));
        ImGui::SameLine();
        ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - em(9.0f));
        const bool submitted = text_field("##edit-name", visual(tr("common.your_name")).c_str(), name_edit_, 128,
                                          ImGuiInputTextFlags_EnterReturnsTrue);
        ImGui::SameLine();
        if (ImGui::Button((visual(tr("common.save")) + "###save-name").c_str()) || submitted) {
            notice_ = session.set_name(name_edit_);
            editing_name_ = !notice_.empty();
        }
        ImGui::SameLine();
        if (ImGui::Button((visual(tr("common.cancel")) + "###cancel-name").c_str())) {
            editing_name_ = false;
            notice_.clear();
        }
    } else {
        ReadingFlow flow;
        reading_row(flow, {{link_colour(LinkState::open), {}, {}},
                           {std::nullopt, session.name(), ImGui::GetStyleColorVec4(ImGuiCol_Text)},
                           {std::nullopt, tr("people.you"), ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled)}});
        const std::string edit = visual(tr("people.edit_name")) + "###edit-name-button";
        flow.next(small_button_width(edit));
        if (mirror().button("edit-name", tr("people.edit_name"), ImGui::SmallButton(edit.c_str()))) {
            name_edit_ = session.name();
            editing_name_ = true;
        }
    }
    // My code, Scan, and with no server in reach, two phones can still pair face to face (a
    // private room's key travels in the code).
    ReadingFlow flow;
    const auto small = [&](const char* id, const std::string& name) {
        const std::string label = visual(name) + "###" + id;
        flow.next(small_button_width(label));
        return mirror().button(id, name, ImGui::SmallButton(label.c_str()));
    };
    if (small("my-code", tr("common.my_code"))) action = Action::my_code;
    if (small("scan", tr("people.scan"))) action = Action::scan;
    if (session.room() && session.room()->is_private() && small("pair", tr("people.pair"))) action = Action::pair;
    if (session.engine().partial_mesh()) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
        ImGui::PushTextWrapPos(0.0f);
        literal_text(tr_plural("people.big_room", static_cast<long long>(session.engine().present())), false);
        ImGui::PopTextWrapPos();
        ImGui::PopStyleColor();
    }
    const std::vector<LinkInfo> links = session.engine().peers();
    if (!links.empty()) {
        // The room in one line: how many links are up, how many go through the box, the score.
        std::size_t open = 0, relayed = 0;
        for (const LinkInfo& p : links) {
            open += p.state == LinkState::open;
            const LinkPath* path = session.path(p.peer);
            relayed += p.state == LinkState::open && path && path->kind == PathKind::relay;
        }
        std::string summary =
            tr("people.links_open", {{"open", std::to_string(open)}, {"total", std::to_string(links.size())}});
        if (relayed > 0) summary += " \xC2\xB7 " + tr_plural("people.relayed", static_cast<long long>(relayed));
        if (const auto score = session.engine().room_health().score())
            summary += " \xC2\xB7 " + tr("people.room_health", {{"score", std::to_string(*score)}});
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
        ImGui::PushTextWrapPos(0.0f);
        literal_text(summary);
        ImGui::PopTextWrapPos();
        ImGui::PopStyleColor();
    }
    // The mirror's list: each person with their link and whether they are verified.
    Mirror::Items people{{session.peer_id(), session.name() + " " + tr("people.you")}};
    for (const LinkInfo& p : links) {
        std::string line = p.name + ": " + link_text(p);
        if (session.trust(p.peer).verified) line += ", " + tr("people.verified");
        people.emplace_back(p.peer, std::move(line));
    }
    mirror().list("people", tr("people.list"), people);
    for (const LinkInfo& p : links) {
        const PeerTrust trust = session.trust(p.peer);
        ImGui::PushID(p.peer.c_str());
        std::string detail = link_text(p);
        if (p.rtt_ms) detail += "  " + tr("units.ms", {{"value", std::to_string(static_cast<int>(*p.rtt_ms + 0.5))}});
        if (trust.verified) detail += "  " + tr("people.verified");
        ReadingFlow flow;
        reading_row(flow, {{link_colour(p.state), {}, {}},
                     {std::nullopt, p.name, ImGui::GetStyleColorVec4(ImGuiCol_Text)},
                     {std::nullopt, detail,
                      p.proof == ProofState::failed ? palette().error_text : ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled)}});
        if (trust.name_of_other_key) {
            ImGui::PushStyleColor(ImGuiCol_Text, palette().error_text);
            ImGui::PushTextWrapPos(0.0f);
            literal_text(tr("people.other_key_warning", {{"name", p.name}}));
            ImGui::PopTextWrapPos();
            ImGui::PopStyleColor();
        }
        if (const std::string health = health_line(p.state == LinkState::open ? session.path(p.peer) : nullptr,
                                                   p.rtt_ms, session.engine().health(p.peer));
            !health.empty()) {
            ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
            ImGui::PushTextWrapPos(0.0f);
            ImGui::Indent(em(1.0f));
            literal_text(health);
            ImGui::Unindent(em(1.0f));
            ImGui::PopTextWrapPos();
            ImGui::PopStyleColor();
        }
        if (trust.safety_code && p.proof == ProofState::ok) {
            ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
            literal_text("    " + tr("people.safety_code", {{"code", *trust.safety_code}}));
            ImGui::PopStyleColor();
        }
        ImGui::PopID();
    }
    ImGui::EndGroup();
    ImGui::Separator();
}

void RoomScreen::draw_messages(ChatSession& session, float height) {
    const RoomEngine& engine = session.engine();
    const auto& messages = engine.messages();
    ImGui::BeginChild("##messages", ImVec2(0, height), ImGuiChildFlags_None, ImGuiWindowFlags_None);

    const bool at_bottom = ImGui::GetScrollY() >= ImGui::GetScrollMaxY() - em(1.0f);
    if (at_bottom) unread_ = 0;
    if (messages.size() < seen_count_) seen_count_ = 0; // history replaced (room switch)
    if (layouts_.size() > 2 * messages.size() + 64) layouts_.clear(); // drop messages gone from the log
    const std::size_t first_unread = messages.size() - std::min(unread_, messages.size());

    ImDrawList* dl = ImGui::GetWindowDrawList();
    ImFont* font = ImGui::GetFont();
    const float fs = ImGui::GetFontSize(), small = fs * 0.78f, name_size = fs * 0.85f;
    const float pad_x = em(0.65f), pad_y = em(0.4f);
    const float gap_grouped = em(0.25f), gap_sender = em(0.7f), marker_h = em(1.8f), photo_gap = em(0.25f);
    const float width = ImGui::GetContentRegionAvail().x;
    const float max_bubble = std::max(em(8.0f), width * 0.8f);
    const float wrap = max_bubble - 2 * pad_x;
    const std::string& self = session.peer_id();
    const bool rtl = ui_rtl();
    const ImVec2 origin = ImGui::GetCursorPos(); // content coordinates of the list's top

    if (messages.empty()) {
        ImGui::Dummy(em(0, 1.0f));
        ImGui::Indent(em(0.65f)); // the list has no padding of its own: inset like bubble text
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + width - 2 * em(0.65f));
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
        literal_text(tr("messages.empty"), false);
        ImGui::PopStyleColor();
        ImGui::PopTextWrapPos();
        ImGui::Unindent(em(0.65f));
    }

    // Pass 1: where every message sits, from cached sizes only. A frame then draws just the rows
    // on screen, so its cost stays flat however long the history grows (a frame on the main
    // thread delays every arriving message by its length).
    rows_.clear();
    float y = 0;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const ChatMessage& m = messages[i];
        const bool grouped = i > 0 && messages[i - 1].from == m.from && m.ts_ms - messages[i - 1].ts_ms < 5 * 60 * 1000;
        const bool marker = i == first_unread && unread_ > 0;
        if (marker) {
            y += marker_h;
        } else if (i > 0) {
            y += grouped ? gap_grouped : gap_sender;
        }
        // Layout cache: display-order text and name (right-to-left runs reordered and shaped,
        // since ImGui draws left to right) and the wrapped size, once per message and layout.
        TextLayout& layout = layouts_[m.id];
        if (layout.visual_name.empty()) {
            layout.visual = to_visual_order(m.text);
            layout.visual_name = to_visual_order(m.name);
            layout.rtl = is_rtl_paragraph(m.text);
        }
        if (layout.font_size != fs || layout.wrap != wrap || layout.fonts != font_generation()) {
            layout.font_size = fs;
            layout.wrap = wrap;
            layout.fonts = font_generation();
            if (has_rtl(m.text)) {
                // Wrapped in reading order, then each line in display order (ImGui would wrap
                // the reordered text and put a right-to-left paragraph's end on its first line).
                layout.visual.clear();
                const auto measure = [&](std::string_view s) {
                    return font->CalcTextSizeA(fs, FLT_MAX, 0.0f, s.data(), s.data() + s.size()).x;
                };
                for (const std::string& line : wrap_visual(m.text, wrap, measure))
                    layout.visual += (layout.visual.empty() ? "" : "\n") + line;
            }
            layout.size = font->CalcTextSizeA(fs, FLT_MAX, wrap, layout.visual.data(),
                                              layout.visual.data() + layout.visual.size());
            if (m.text.empty()) layout.size = ImVec2(0, 0); // a photo without a caption: no line
        }
        const bool show_name = m.from != self && !grouped;
        // A photo: its box, then a line for its progress; a photo's caption may be empty.
        const float photo_h = m.photo ? photo_box(*m.photo, wrap).y + photo_gap + small : 0.0f;
        const float bubble_h = pad_y + (show_name ? name_size : 0) + photo_h + layout.size.y + small + pad_y;
        rows_.push_back(Row{y, bubble_h, show_name, marker, &layout});
        y += bubble_h;
    }
    const float list_h = y;

    // Pass 2: the rows that intersect the visible part of the list.
    const float view_top = ImGui::GetScrollY() - origin.y, view_bottom = view_top + ImGui::GetWindowHeight();
    const auto first = std::partition_point(rows_.begin(), rows_.end(),
                                            [&](const Row& r) { return r.top + r.height < view_top; });
    for (auto row = first; row != rows_.end() && row->top - marker_h <= view_bottom; ++row) {
        const std::size_t i = static_cast<std::size_t>(row - rows_.begin());
        const ChatMessage& m = messages[i];
        const bool own = m.from == self;
        const TextLayout& layout = *row->layout;
        if (row->marker) draw_unread_marker(origin.y + row->top - marker_h, marker_h);

        const std::string meta = visual(clock_time(m.ts_ms) + (own ? "  " + delivery_text(engine.delivery(m)) : ""));
        const ImVec2 meta_sz = font->CalcTextSizeA(small, FLT_MAX, 0.0f, meta.c_str());
        const std::string& name = layout.visual_name;
        const float name_w = row->show_name
                                 ? font->CalcTextSizeA(name_size, FLT_MAX, 0.0f, name.c_str(), name.c_str() + name.size()).x
                                 : 0.0f;
        const ImVec2 box = m.photo ? photo_box(*m.photo, wrap) : ImVec2(0, 0);
        const std::string status = m.photo ? visual(photo_status(session, m)) : std::string();
        const float status_w = font->CalcTextSizeA(small, FLT_MAX, 0.0f, status.c_str()).x;
        const float inner_w = std::min(wrap, std::max({layout.size.x, meta_sz.x, name_w, box.x, status_w}));
        const float bw = inner_w + 2 * pad_x;

        // Own messages on the trailing side: the right, or the left when the UI is right to left.
        ImGui::SetCursorPos(ImVec2(own != rtl ? origin.x + width - bw : origin.x, origin.y + row->top));
        const ImVec2 p0 = ImGui::GetCursorScreenPos();
        ImGui::PushID(m.id.c_str());
        ImGui::InvisibleButton("##bubble", ImVec2(bw, row->height));
        // A tap (not the end of a scroll) on a photo opens it full screen.
        const float tap_slop = em(0.5f);
        if (m.photo && ImGui::IsItemHovered() && ImGui::IsMouseReleased(ImGuiMouseButton_Left) &&
            ImGui::GetIO().MouseDragMaxDistanceSqr[ImGuiMouseButton_Left] < tap_slop * tap_slop)
            viewing_ = m.id;
        if (!m.text.empty() && ImGui::BeginPopupContextItem("##message-menu")) {
            if (ImGui::MenuItem(visual(tr("messages.copy")).c_str())) ImGui::SetClipboardText(m.text.c_str());
            ImGui::EndPopup();
        }
        ImGui::PopID();

        const ImU32 bg = own ? palette().own_bubble : ImGui::GetColorU32(ImGuiCol_FrameBg);
        dl->AddRectFilled(p0, ImVec2(p0.x + bw, p0.y + row->height), bg, em(0.8f));
        float text_y = p0.y + pad_y;
        if (row->show_name) {
            dl->AddText(font, name_size, ImVec2(rtl ? p0.x + bw - pad_x - name_w : p0.x + pad_x, text_y),
                        name_colour(m.from), name.c_str(), name.c_str() + name.size());
            text_y += name_size;
        }
        if (m.photo) {
            draw_photo(dl, ImVec2(rtl ? p0.x + bw - pad_x - box.x : p0.x + pad_x, text_y), box, session.photos(), *m.photo);
            text_y += box.y + photo_gap;
            dl->AddText(font, small, ImVec2(rtl ? p0.x + bw - pad_x - status_w : p0.x + pad_x, text_y),
                        palette().meta_text, status.c_str());
            text_y += small;
        }
        if (layout.rtl) {
            // Right-aligned lines, already wrapped.
            std::string_view rest = layout.visual;
            for (float line_y = text_y;; line_y += fs) {
                const std::size_t end = rest.find('\n');
                const std::string_view line = rest.substr(0, end);
                const float line_w = font->CalcTextSizeA(fs, FLT_MAX, 0.0f, line.data(), line.data() + line.size()).x;
                dl->AddText(font, fs, ImVec2(p0.x + bw - pad_x - line_w, line_y), ImGui::GetColorU32(ImGuiCol_Text),
                            line.data(), line.data() + line.size());
                if (end == std::string_view::npos) break;
                rest.remove_prefix(end + 1);
            }
        } else {
            dl->AddText(font, fs, ImVec2(p0.x + pad_x, text_y), ImGui::GetColorU32(ImGuiCol_Text),
                        layout.visual.data(), layout.visual.data() + layout.visual.size(), wrap);
        }
        text_y += layout.size.y;
        dl->AddText(font, small, ImVec2(rtl ? p0.x + pad_x : p0.x + bw - pad_x - meta_sz.x, text_y),
                    palette().meta_text, meta.c_str());
    }
    if (!messages.empty()) {
        // The list's full height, so scrolling and the scrollbar cover rows not drawn.
        ImGui::SetCursorPos(ImVec2(origin.x, origin.y + list_h));
        ImGui::Dummy(ImVec2(0, em(0.3f)));
    }

    // The mirror's log: the latest messages, read out as they arrive.
    Mirror::Items items;
    for (std::size_t i = messages.size() - std::min<std::size_t>(messages.size(), mirrored_messages); i < messages.size(); ++i) {
        const ChatMessage& m = messages[i];
        const std::string said = m.photo ? tr("photo.in_log") + (m.text.empty() ? "" : ": " + m.text) : m.text;
        items.emplace_back(m.id, m.name + ": " + said + " \xC2\xB7 " + clock_time(m.ts_ms));
    }
    mirror().log("messages", tr("messages.log"), items);

    if (messages.size() > seen_count_) {
        const bool own_new = !messages.empty() && messages.back().from == self;
        if (stick_to_bottom_ || at_bottom || own_new) {
            stick_to_bottom_ = true;
        } else {
            unread_ += messages.size() - seen_count_;
        }
        seen_count_ = messages.size();
    }
    if (stick_to_bottom_) {
        ImGui::SetScrollHereY(1.0f);
        stick_to_bottom_ = false;
    }
    ImGui::EndChild();
}

// "New": a line across the list above the first unread message, drawn in the gap reserved for it.
void RoomScreen::draw_unread_marker(float y, float h) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImU32 colour = ImGui::GetColorU32(palette().accent_text);
    const ImVec2 top_left(ImGui::GetWindowPos().x + ImGui::GetStyle().WindowPadding.x,
                          ImGui::GetWindowPos().y - ImGui::GetScrollY() + y);
    const float w = ImGui::GetContentRegionAvail().x;
    const std::string text = visual(tr("messages.new"));
    const char* label = text.c_str();
    const float label_w = ImGui::CalcTextSize(label).x, mid = top_left.y + h * 0.5f;
    const float label_x = top_left.x + (w - label_w) * 0.5f, margin = em(0.5f);
    dl->AddLine(ImVec2(top_left.x, mid), ImVec2(label_x - margin, mid), colour, 1.5f);
    dl->AddLine(ImVec2(label_x + label_w + margin, mid), ImVec2(top_left.x + w, mid), colour, 1.5f);
    dl->AddText(ImVec2(label_x, mid - ImGui::GetFontSize() * 0.5f), colour, label);
}

void RoomScreen::draw_composer(ChatSession& session) {
    const std::string send = visual(tr("messages.send"));
    const float send_w = ImGui::CalcTextSize(send.c_str()).x + 2 * ImGui::GetStyle().FramePadding.x + em(0.8f);
    // The field, then Send on the trailing side (before it when the UI is right to left).
    const bool rtl = ui_rtl();
    bool clicked = false;
    const auto send_button = [&] {
        ImGui::PushStyleColor(ImGuiCol_Text, palette().on_accent);
        clicked = mirror().button("send", tr("messages.send"), ImGui::Button((send + "###send").c_str(), ImVec2(send_w, 0)));
        ImGui::PopStyleColor();
    };
    const std::string photo = visual(tr("photo.button"));
    const float photo_w = ImGui::CalcTextSize(photo.c_str()).x + 2 * ImGui::GetStyle().FramePadding.x;
    const auto photo_button = [&] {
        if (quiet_button((photo + "###photo").c_str(), ImVec2(photo_w, 0))) ImGui::OpenPopup("##photo-menu");
        if (ImGui::BeginPopup("##photo-menu")) {
            if (ImGui::MenuItem(visual(tr("photo.choose")).c_str())) session.photos().pick(platform::PhotoSource::gallery);
            if (ImGui::MenuItem(visual(tr("photo.take")).c_str())) session.photos().pick(platform::PhotoSource::camera);
            ImGui::EndPopup();
        }
        // The mirror offers both choices as buttons of their own (a popup has no DOM twin).
        if (mirror().button("photo-choose", tr("photo.choose"), false)) session.photos().pick(platform::PhotoSource::gallery);
        if (mirror().button("photo-take", tr("photo.take"), false)) session.photos().pick(platform::PhotoSource::camera);
    };
    const float spacing = ImGui::GetStyle().ItemSpacing.x;
    if (rtl) {
        send_button();
        ImGui::SameLine();
    } else {
        photo_button();
        ImGui::SameLine();
    }
    ImGui::PushItemWidth(ImGui::GetContentRegionAvail().x - (rtl ? photo_w + spacing : send_w + spacing));
    // Twice the limit fits in the field, so an over-long paste is seen and refused, not cut.
    const bool typed_enter = text_field("##composer", visual(tr("messages.hint")).c_str(), draft_, 2 * max_text_bytes,
                                        ImGuiInputTextFlags_EnterReturnsTrue);
    const bool mirror_enter = mirror().textbox("composer", tr("messages.hint"), draft_).submitted;
    const bool entered = typed_enter || mirror_enter;
    ImGui::PopItemWidth();
    if (refocus_composer_) {
        ImGui::SetKeyboardFocusHere(-1); // Enter ends the edit; keep typing (and the phone keyboard)
        refocus_composer_ = false;
    }
    ImGui::SameLine();
    if (rtl) photo_button();
    else send_button();
    if ((entered || clicked) && !draft_.empty()) {
        const SendResult result = session.send(draft_);
        if (result.ok()) {
            draft_.clear();
            notice_.clear();
            stick_to_bottom_ = true;
        } else {
            notice_ = tr(result.error);
        }
        refocus_composer_ = typed_enter;
    }
    if (draft_.size() > max_text_bytes - 512) {
        const bool over = draft_.size() > max_text_bytes;
        const std::string count =
            tr("messages.bytes", {{"used", std::to_string(draft_.size())}, {"max", std::to_string(max_text_bytes)}});
        ImGui::TextColored(over ? palette().error_text : ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled), "%s",
                           visual(count).c_str());
    } else if (!notice_.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, palette().error_text);
        literal_text(notice_);
        ImGui::PopStyleColor();
        mirror().alert("notice", notice_);
    }
    Photos& photos = session.photos();
    if (photos.busy()) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
        literal_text(tr("photo.preparing"));
        ImGui::PopStyleColor();
    } else if (!photos.notice().empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, palette().error_text);
        literal_text(photos.notice());
        ImGui::PopStyleColor();
        mirror().alert("photo-notice", photos.notice());
    }
}

} // namespace peddlenet::app
