// font_loader.hpp: fetches a font file of the web root on demand (fetch(), web/font_loader.js),
// for fonts too big for the first load. The service worker keeps it once fetched (web/sw.js).
// Needs: web/font_loader.js; the page's BUILD.onDemand table (shell/index.html) maps a font's
// name to its content-hashed file.
//  [X] one completion per request: the bytes, or the reason it failed (offline, HTTP status)
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace peddlenet::platform {

struct FontFile {
    const unsigned char* data = nullptr; // valid during the callback only; null on failure
    std::size_t size = 0;
    std::string error; // empty on success
};

// Fetches `name` (as listed in assets/fonts.json, e.g. "cjk.ttf"); `done` runs exactly once.
void fetch_font(const std::string& name, std::function<void(const FontFile&)> done);

} // namespace peddlenet::platform
