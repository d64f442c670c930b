// font_loader.cpp: see font_loader.hpp.
#include "platform/font_loader.hpp"

#include <emscripten/emscripten.h>

#include <map>

extern "C" {
// Implemented in web/font_loader.js.
void pn_font_fetch(int id, const char* name);
}

namespace peddlenet::platform {
namespace {

using Done = std::function<void(const FontFile&)>;

std::map<int, Done>& requests() {
    static std::map<int, Done> table; // request id -> completion
    return table;
}

int next_id = 1;

} // namespace

void fetch_font(const std::string& name, Done done) {
    const int id = next_id++;
    requests()[id] = std::move(done);
    pn_font_fetch(id, name.c_str());
}

} // namespace peddlenet::platform

// `data` and `error` are owned by font_loader.js and valid during this call only.
extern "C" EMSCRIPTEN_KEEPALIVE void pn_font_done(int id, const unsigned char* data, int size,
                                                  const char* error) {
    auto& table = peddlenet::platform::requests();
    const auto it = table.find(id);
    if (it == table.end()) return;
    auto done = std::move(it->second);
    table.erase(it);
    peddlenet::platform::FontFile file;
    if (error != nullptr && *error != '\0') {
        file.error = error;
    } else {
        file.data = data;
        file.size = static_cast<std::size_t>(size);
    }
    if (done) done(file);
}
