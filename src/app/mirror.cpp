// mirror.cpp: see mirror.hpp.
#include "app/mirror.hpp"

#include "app/theme.hpp"
#include "app/widgets.hpp"

#include <algorithm>
#include <cstdlib>

namespace peddlenet::app {

Mirror& mirror() {
    static Mirror m;
    return m;
}

void Mirror::start() {
    platform::on_a11y_event([this](const platform::A11yEvent& e) {
        switch (e.kind) {
        case platform::A11yEventKind::focus: focused_ = e.id; break;
        case platform::A11yEventKind::blur:
            if (focused_ == e.id) focused_.clear();
            break;
        default: events_.push_back(e);
        }
    });
}

void Mirror::begin_frame() {
    nodes_ = nlohmann::json::array();
    dialog_.clear();
    focus_request_.clear();
    focus_drawn_ = false;
}

void Mirror::end_frame() {
    // Events for controls this frame did not show are stale (the screen changed meanwhile).
    events_.erase(std::remove_if(events_.begin(), events_.end(),
                                 [this](const platform::A11yEvent& e) {
                                     return std::none_of(nodes_.begin(), nodes_.end(), [&](const nlohmann::json& n) {
                                         return n["id"] == e.id;
                                     });
                                 }),
                  events_.end());
    nlohmann::json screen{{"nodes", nodes_}, {"screen", screen_}};
    if (!dialog_.empty()) screen["dialog"] = dialog_;
    if (!focus_request_.empty() && focus_request_ != focused_) screen["focus"] = focus_request_;
    std::string json = screen.dump();
    if (json != published_) {
        platform::publish_a11y(json);
        published_ = std::move(json);
    }
    if (focus_drawn_) {
        // The keyboard's place, visible on the canvas.
        const float r = em(0.3f);
        ImGui::GetForegroundDrawList()->AddRect(ImVec2(focus_min_.x - 2, focus_min_.y - 2),
                                                ImVec2(focus_max_.x + 2, focus_max_.y + 2),
                                                ImGui::GetColorU32(palette().accent_text), r, 0, 2.5f);
    }
}

void Mirror::node(std::string_view role, std::string_view id, nlohmann::json fields) {
    fields["role"] = role;
    fields["id"] = id;
    nodes_.push_back(std::move(fields));
}

void Mirror::dialog(const std::string& name) { dialog_ = name; }

void Mirror::note_focus_rect(std::string_view id) {
    if (focused_ != id) return;
    // Tab reached a control scrolled out of sight: bring it into view.
    if (!ImGui::IsItemVisible()) ImGui::SetScrollHereY(0.5f);
    focus_drawn_ = true;
    focus_min_ = ImGui::GetItemRectMin();
    focus_max_ = ImGui::GetItemRectMax();
}

void Mirror::heading(std::string_view id, const std::string& text) { node("heading", id, {{"name", text}}); }

void Mirror::text(std::string_view id, const std::string& text) { node("text", id, {{"name", text}}); }

void Mirror::alert(std::string_view id, const std::string& text) { node("alert", id, {{"name", text}}); }

std::vector<platform::A11yEvent> Mirror::take(std::string_view id, platform::A11yEventKind kind) {
    std::vector<platform::A11yEvent> taken;
    for (auto it = events_.begin(); it != events_.end();) {
        if (it->id == id && it->kind == kind) {
            taken.push_back(std::move(*it));
            it = events_.erase(it);
        } else {
            ++it;
        }
    }
    return taken;
}

nlohmann::json Mirror::item_list(const Items& items) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [item_id, text] : items) list.push_back({{"id", item_id}, {"text", text}});
    return list;
}

bool Mirror::button(std::string_view id, const std::string& name, bool pressed_on_canvas) {
    node("button", id, {{"name", name}});
    note_focus_rect(id);
    const bool activated = !take(id, platform::A11yEventKind::activate).empty();
    if (pressed_on_canvas) focus_request_ = id;
    return pressed_on_canvas || activated;
}

Mirror::Edit Mirror::textbox(std::string_view id, const std::string& name, std::string& value, const std::string& hint,
                             bool multiline) {
    Edit edit;
    for (const platform::A11yEvent& e : take(id, platform::A11yEventKind::input)) {
        edit.changed = edit.changed || e.value != value;
        value = e.value;
    }
    edit.submitted = !take(id, platform::A11yEventKind::submit).empty();
    node("textbox", id, {{"name", name}, {"value", value}, {"hint", hint}, {"multiline", multiline}});
    note_focus_rect(id);
    return edit;
}

bool Mirror::checkbox(std::string_view id, const std::string& name, bool& on, bool tapped_on_canvas) {
    // Each activation flips it: an even number leaves it as it was.
    const bool toggled = take(id, platform::A11yEventKind::activate).size() % 2 == 1;
    if (toggled) on = !on;
    node("checkbox", id, {{"name", name}, {"checked", on}});
    note_focus_rect(id);
    return tapped_on_canvas || toggled;
}

int Mirror::choice(std::string_view id, const std::string& name, const std::vector<std::string>& options, int selected) {
    int picked = -1;
    for (const platform::A11yEvent& e : take(id, platform::A11yEventKind::input)) {
        const int index = std::atoi(e.value.c_str());
        if (index >= 0 && index < static_cast<int>(options.size())) picked = index;
    }
    node("select", id, {{"name", name}, {"options", options}, {"selected", picked >= 0 ? picked : selected}});
    note_focus_rect(id);
    return picked;
}

void Mirror::log(std::string_view id, const std::string& name, const Items& items) {
    node("log", id, {{"name", name}, {"items", item_list(items)}});
}

void Mirror::list(std::string_view id, const std::string& name, const Items& items) {
    node("list", id, {{"name", name}, {"items", item_list(items)}});
}

} // namespace peddlenet::app
