// storage.cpp: see storage.hpp.
#include "platform/storage.hpp"


#include <emscripten/emscripten.h>

#include <cstdlib>
#include <algorithm>
#include <map>

extern "C" {
// Implemented in web/storage.js.
char* pn_local_get(const char* key);
int pn_local_set(const char* key, const char* value);
void pn_local_remove(const char* key);
void pn_idb_put(int id, const char* key, const char* value, int length);
void pn_idb_get(int id, const char* key);
void pn_idb_photo_put(int id, const char* key, const char* value, int length);
void pn_idb_photo_get(int id, const char* key);
void pn_idb_photo_keys(int id);
}

namespace peddlenet::platform {
namespace {

using Completion = std::function<void(bool ok, const std::string& text)>;

struct Requests {
    int next_id = 1;
    std::map<int, Completion> pending;
};

Requests& requests() {
    static Requests r;
    return r;
}

int start(Completion done) {
    Requests& r = requests();
    const int id = r.next_id++;
    r.pending.emplace(id, std::move(done));
    return id;
}

} // namespace

std::optional<std::string> local_get(const std::string& key) {
    char* value = pn_local_get(key.c_str());
    if (value == nullptr) return std::nullopt;
    std::string copy(value);
    std::free(value); // malloc'd by storage.js
    return copy;
}

bool local_set(const std::string& key, const std::string& value) {
    return pn_local_set(key.c_str(), value.c_str()) != 0;
}

void local_remove(const std::string& key) {
    pn_local_remove(key.c_str());
}

void history_put(const std::string& key, const std::string& value,
                 std::function<void(bool, const std::string&)> done) {
    const int id = start([done = std::move(done)](bool ok, const std::string& error) {
        if (done) done(ok, error);
    });
    pn_idb_put(id, key.c_str(), value.data(), static_cast<int>(value.size()));
}

void history_get(const std::string& key, std::function<void(std::optional<std::string>)> done) {
    const int id = start([done = std::move(done)](bool ok, const std::string& text) {
        done(ok ? std::optional<std::string>(text) : std::nullopt);
    });
    pn_idb_get(id, key.c_str());
}

void photo_put(const std::string& hash, const std::string& bytes,
               std::function<void(bool, const std::string&)> done) {
    const int id = start(std::move(done));
    pn_idb_photo_put(id, hash.c_str(), bytes.data(), static_cast<int>(bytes.size()));
}

void photo_get(const std::string& hash, std::function<void(std::optional<std::string>)> done) {
    const int id = start([done = std::move(done)](bool ok, const std::string& bytes) {
        done(ok ? std::optional<std::string>(bytes) : std::nullopt);
    });
    pn_idb_photo_get(id, hash.c_str());
}

void photo_keys(std::function<void(std::vector<std::string>)> done) {
    const int id = start([done = std::move(done)](bool ok, const std::string& text) {
        std::vector<std::string> keys;
        for (std::size_t at = 0; ok && at < text.size();) {
            const std::size_t end = std::min(text.find('\n', at), text.size());
            if (end > at) keys.push_back(text.substr(at, end - at));
            at = end + 1;
        }
        done(std::move(keys));
    });
    pn_idb_photo_keys(id);
}

} // namespace peddlenet::platform

// `text` is owned by storage.js and valid during this call only.
extern "C" EMSCRIPTEN_KEEPALIVE void pn_storage_done(int id, int ok, const char* text, int length) {
    auto& pending = peddlenet::platform::requests().pending;
    const auto it = pending.find(id);
    if (it == pending.end()) return;
    auto done = std::move(it->second);
    pending.erase(it);
    done(ok != 0, std::string(text, static_cast<std::size_t>(length))); // redraws if it changes the screen
}
