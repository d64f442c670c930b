// room_screen.hpp: the chat room: header, message list, composer and the people panel.
// Needs: app/session.hpp (the room's state), app/widgets.hpp; draws with Dear ImGui.
//  [X] header: room name, member count, server status; leave; invite; people panel toggle
//  [X] messages: sender names and times, own messages distinct (right, accent), long lines wrap,
//      delivery state on own messages (queued / sent / delivered N of M)
//  [X] auto-scroll unless the person scrolled up; then a "new messages" pill jumps back down
//  [X] composer: Enter or the button sends; over-long text refused with a clear line
//  [X] header: private or open room, and for an open room that anyone who knows its name can read it
//  [X] people: each peer's link state (or why the link was refused) and round-trip time, safety
//      code, verified mark, a warning when a verified name comes with another key; My code and
//      Scan a code; edit own name
//  [X] long press (or right click) on a message: copy its text
//  [X] photos: Photo (choose or take) beside the field; thumbnails in the list with each one's
//      progress (app/photo_view.hpp); a tap opens it full screen
//  [X] every user string drawn literally (never a format string, never a label id), with
//      right-to-left runs in display order and Arabic shaped
#pragma once

#include "app/session.hpp"

#include <imgui.h>

#include <string>
#include <unordered_map>
#include <vector>

namespace peddlenet::app {

class RoomScreen {
public:
    enum class Action { none, leave, invite, my_code, scan, pair };

    Action draw(ChatSession& session);
    // Clears per-room view state (composer text stays: a draft survives a room switch).
    void reset();

private:
    void draw_header(ChatSession& session, Action& action);
    void draw_people(ChatSession& session, Action& action);
    void draw_messages(ChatSession& session, float height);
    void draw_composer(ChatSession& session);
    void draw_unread_marker(float y, float h);

    struct TextLayout {
        std::string visual;      // display order (core/bidi.hpp), wrapped already when rtl
        std::string visual_name; // the sender's name, in display order too
        bool rtl = false;        // a right-to-left paragraph: its lines are right-aligned
        float font_size = 0;
        float wrap = 0;
        unsigned fonts = 0;      // font_generation() when measured: a merged font changes widths
        ImVec2 size;
    };
    std::unordered_map<std::string, TextLayout> layouts_; // message id -> measured text
    // The DOM mirror's log holds the latest messages only (older ones are in the history).
    static constexpr std::size_t mirrored_messages = 100;
    struct Row {
        float top = 0;    // from the list's top, in pixels
        float height = 0; // of the bubble
        bool show_name = false;
        bool marker = false; // the unread marker sits in the gap above
        const TextLayout* layout = nullptr;
    };
    std::vector<Row> rows_; // this frame's list layout (kept to reuse its memory)

    std::string draft_;
    std::string viewing_;         // the message whose photo is open full screen
    std::string notice_;          // refusal of the last send, or of a name edit
    std::string name_edit_;
    bool people_open_ = false;
    bool editing_name_ = false;
    std::size_t seen_count_ = 0;  // messages the person has seen at the bottom
    std::size_t unread_ = 0;
    bool stick_to_bottom_ = true;
    bool refocus_composer_ = false;
};

} // namespace peddlenet::app
