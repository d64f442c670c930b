// mirror.hpp: what the screens tell the DOM mirror (platform/a11y.hpp) while they draw: the same
// controls under the same names, and what was done with them there since the last frame. The
// element with focus in the mirror gets a focus ring on the canvas.
// Needs: platform/a11y.hpp, ImGui (the rectangle of the item just drawn).
//  [X] headings, texts, buttons, text boxes, checkboxes, choices, the message log, lists
//  [X] activations and edits in the mirror act as taps and typing on the canvas
//  [X] the focused element's canvas item outlined, and scrolled into view when it is not
//  [X] screens over the room or home (invite, scanner, settings, a photo) are dialogs: Escape
//      is their Back
//  [X] a canvas tap on a button moves the mirror's focus to its twin, so Tab goes on from there;
//      a new screen takes the focus to its heading (web/a11y.js)
#pragma once

#include "platform/a11y.hpp"

#include <imgui.h>
#include <nlohmann/json.hpp>

#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace peddlenet::app {

class Mirror {
public:
    struct Edit {
        bool changed = false;   // the text box's text changed in the mirror
        bool submitted = false; // Enter was pressed in it
    };
    using Items = std::vector<std::pair<std::string, std::string>>; // (id, text)

    // Starts listening to the mirror's events.
    void start();

    void begin_frame();
    // Publishes the frame's nodes when they changed; outlines the focused item.
    void end_frame();

    // Which screen this frame draws ("home", "settings", ...): a new one takes the focus to its
    // heading; a new language on the same screen does not.
    void set_screen(std::string_view screen) { screen_ = screen; }
    // This frame's screen is a dialog named `name` (its Back button has id "back").
    void dialog(const std::string& name);
    void heading(std::string_view id, const std::string& text);
    void text(std::string_view id, const std::string& text);
    // A problem to announce at once (role alert).
    void alert(std::string_view id, const std::string& text);
    // Call with the canvas widget's own result, right after drawing it: true when it was
    // pressed there or activated in the mirror.
    bool button(std::string_view id, const std::string& name, bool pressed_on_canvas);
    // Applies the mirror's edits to `value`; call right after the canvas field.
    // `multiline`: several lines (a textarea; Enter starts a line instead of submitting).
    Edit textbox(std::string_view id, const std::string& name, std::string& value, const std::string& hint = {},
                 bool multiline = false);
    // A checkbox: a toggle in the mirror flips `on`. Call with the canvas checkbox's result.
    bool checkbox(std::string_view id, const std::string& name, bool& on, bool tapped_on_canvas);
    // A choice among `options`: returns the index picked in the mirror, or -1.
    int choice(std::string_view id, const std::string& name, const std::vector<std::string>& options, int selected);
    // A polite live region: items added later are announced.
    void log(std::string_view id, const std::string& name, const Items& items);
    void list(std::string_view id, const std::string& name, const Items& items);

private:
    void node(std::string_view role, std::string_view id, nlohmann::json fields);
    // Removes and returns the pending events of `kind` for `id`.
    std::vector<platform::A11yEvent> take(std::string_view id, platform::A11yEventKind kind);
    static nlohmann::json item_list(const Items& items);
    void note_focus_rect(std::string_view id);

    std::deque<platform::A11yEvent> events_; // not yet consumed by a frame
    nlohmann::json nodes_ = nlohmann::json::array();
    std::string published_;
    std::string focused_; // id of the element with focus in the mirror
    std::string dialog_;  // this frame's dialog name, empty when the screen is not one
    std::string screen_;  // this frame's screen
    std::string focus_request_; // a button tapped on the canvas: its twin takes the focus
    bool focus_drawn_ = false;
    ImVec2 focus_min_, focus_max_;
};

Mirror& mirror();

} // namespace peddlenet::app
