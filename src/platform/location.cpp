// location.cpp: see location.hpp.
#include "platform/location.hpp"

#include "platform/main_loop.hpp"

#include <emscripten/emscripten.h>

#include <cstdlib>

extern "C" {
// Implemented in web/location.js.
char* pn_location_href();
void pn_location_listen();
void pn_location_clear_fragment();
void pn_location_open(const char* url);
}

namespace peddlenet::platform {
namespace {

std::function<void(const std::string&)>& fragment_handler() {
    static std::function<void(const std::string&)> handler;
    return handler;
}

} // namespace

std::string page_url() {
    char* href = pn_location_href(); // malloc'd by location.js, freed here
    std::string url = href ? href : "";
    std::free(href);
    return url;
}

void on_fragment_change(std::function<void(const std::string& url)> fn) {
    fragment_handler() = std::move(fn);
    pn_location_listen();
}

void clear_fragment() {
    pn_location_clear_fragment();
}

void open_url(const std::string& url) {
    pn_location_open(url.c_str());
}

} // namespace peddlenet::platform

// `url` is owned by location.js and valid during this call only.
extern "C" EMSCRIPTEN_KEEPALIVE void pn_location_fragment_changed(const char* url) {
    if (auto& handler = peddlenet::platform::fragment_handler()) handler(url ? url : "");
    peddlenet::platform::wake();
}
