// a11y.hpp: the DOM mirror of the canvas UI (web/a11y.js): real, focusable elements with roles
// and names that assistive technology reads and keyboards reach, and what people do with them.
// Needs: web/a11y.js.
//  [X] a screen published as JSON nodes {id, role, name, value?, hint?, items?}; roles heading,
//      text, button, textbox, log (a polite live region), list
//  [X] events back: a button activated, a text box edited or submitted (Enter), focus moved
#pragma once

#include <functional>
#include <string>

namespace peddlenet::platform {

enum class A11yEventKind { activate = 0, input = 1, submit = 2, focus = 3, blur = 4 };

struct A11yEvent {
    A11yEventKind kind;
    std::string id;    // the node's id
    std::string value; // input: the text box's new text
};

// Replaces the mirror's nodes with `screen_json` ({"nodes": [...]}); elements are kept by id.
void publish_a11y(const std::string& screen_json);

// `handler` runs for every event; the loop is woken after it returns.
void on_a11y_event(std::function<void(const A11yEvent&)> handler);

} // namespace peddlenet::platform
