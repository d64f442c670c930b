// network.cpp: see network.hpp. The JS half is web/network.js.
#include "platform/network.hpp"

#include <emscripten/emscripten.h>

extern "C" {
void pn_network_listen(void); // web/network.js
}

namespace peddlenet::platform {
namespace {
std::function<void()>& network_callback() {
    static std::function<void()> fn;
    return fn;
}
} // namespace

void on_network_change(std::function<void()> fn) {
    network_callback() = std::move(fn);
    pn_network_listen();
}

} // namespace peddlenet::platform

extern "C" EMSCRIPTEN_KEEPALIVE void pn_network_changed() {
    if (auto& fn = peddlenet::platform::network_callback()) fn();
}
