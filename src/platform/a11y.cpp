// a11y.cpp: see a11y.hpp.
#include "platform/a11y.hpp"

#include "platform/main_loop.hpp"

#include <emscripten/emscripten.h>

extern "C" {
// Implemented in web/a11y.js.
void pn_a11y_publish(const char* screen_json);
}

namespace peddlenet::platform {
namespace {

std::function<void(const A11yEvent&)>& handler() {
    static std::function<void(const A11yEvent&)> fn;
    return fn;
}

} // namespace

void publish_a11y(const std::string& screen_json) { pn_a11y_publish(screen_json.c_str()); }

void on_a11y_event(std::function<void(const A11yEvent&)> h) { handler() = std::move(h); }

} // namespace peddlenet::platform

extern "C" EMSCRIPTEN_KEEPALIVE void pn_a11y_event(int kind, const char* id, const char* value) {
    using namespace peddlenet::platform;
    if (kind < 0 || kind > static_cast<int>(A11yEventKind::blur)) return;
    if (auto& fn = handler()) fn(A11yEvent{static_cast<A11yEventKind>(kind), id ? id : "", value ? value : ""});
    wake();
}
