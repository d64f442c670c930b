// photo.cpp: see photo.hpp. The JS half is web/photo.js.
#include "platform/photo.hpp"

#include <emscripten/emscripten.h>

#include <map>
#include <utility>

extern "C" {
// Implemented in web/photo.js.
void pn_photo_init();
void pn_photo_pick(int camera);
void pn_photo_prepare(int handle, int id, int max_side, int target_bytes);
void pn_photo_drop(int handle);
void pn_photo_decode(int id, const char* bytes, int length, const char* type, int width, int height,
                     unsigned texture);
}

namespace peddlenet::platform {
namespace {

struct Pending {
    std::function<void(PickedPhoto)> picked;
    int next_id = 1;
    std::map<int, std::function<void(PreparedPhoto)>> prepares;
    std::map<int, std::function<void(bool)>> decodes;
};

Pending& pending() {
    static Pending p;
    return p;
}

// Takes the completion of request `id` out of `table` (empty if unknown).
template <typename Fn>
Fn take(std::map<int, Fn>& table, int id) {
    const auto it = table.find(id);
    if (it == table.end()) return {};
    Fn fn = std::move(it->second);
    table.erase(it);
    return fn;
}

} // namespace

void photo_init(std::function<void(PickedPhoto)> picked) {
    pending().picked = std::move(picked);
    pn_photo_init();
}

void pick_photo(PhotoSource source) {
    pn_photo_pick(source == PhotoSource::camera ? 1 : 0);
}

void prepare_photo(int handle, int max_side, int target_bytes, std::function<void(PreparedPhoto)> done) {
    const int id = pending().next_id++;
    pending().prepares.emplace(id, std::move(done));
    pn_photo_prepare(handle, id, max_side, target_bytes);
}

void drop_photo(int handle) {
    pn_photo_drop(handle);
}

void decode_photo(const std::string& bytes, const std::string& type, int width, int height,
                  unsigned texture, std::function<void(bool)> done) {
    const int id = pending().next_id++;
    pending().decodes.emplace(id, std::move(done));
    pn_photo_decode(id, bytes.data(), static_cast<int>(bytes.size()), type.c_str(), width, height, texture);
}

} // namespace peddlenet::platform

using peddlenet::platform::pending;
using peddlenet::platform::take;

// The buffers are owned by photo.js and valid during the call only.
extern "C" EMSCRIPTEN_KEEPALIVE void pn_photo_picked(int handle, const char* head, int length, double size) {
    if (!pending().picked) return;
    pending().picked({handle, std::string(head ? head : "", head ? static_cast<std::size_t>(length) : 0), size});
}

extern "C" EMSCRIPTEN_KEEPALIVE void pn_photo_prepared(int id, int ok, const char* bytes, int length,
                                                       const char* text, int width, int height, double ms) {
    auto done = take(pending().prepares, id);
    if (!done) return;
    peddlenet::platform::PreparedPhoto p;
    p.ok = ok != 0;
    if (p.ok) p.bytes.assign(bytes, static_cast<std::size_t>(length));
    p.type = text;
    p.width = width;
    p.height = height;
    p.worker_ms = ms;
    done(std::move(p));
}

extern "C" EMSCRIPTEN_KEEPALIVE void pn_photo_decoded(int id, int ok) {
    if (auto done = take(pending().decodes, id)) done(ok != 0);
}
