// storage.hpp: the browser's storage for C++ (web/storage.js).
// Needs: the JS half; localStorage and IndexedDB may be refused (private mode): both degrade to
// "nothing stored" rather than failing the app.
//  [X] local_get/local_set: small synchronous settings (peer id, name, current room)
//  [X] history_put/history_get: one text document per room in IndexedDB, asynchronous
//  [X] photo_put/photo_get/photo_keys: photos' bytes by hash in IndexedDB, asynchronous
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace peddlenet::platform {

std::optional<std::string> local_get(const std::string& key);
bool local_set(const std::string& key, const std::string& value);
void local_remove(const std::string& key);

// Stores `value` under `key`; `done(ok, error)` runs later, exactly once.
void history_put(const std::string& key, const std::string& value,
                 std::function<void(bool ok, const std::string& error)> done = {});
// Reads `key`; `done(value)` runs later, exactly once, with nullopt when absent or unreadable.
void history_get(const std::string& key, std::function<void(std::optional<std::string> value)> done);

// Stores a photo's bytes under its hash; `done(ok, error)` with the browser's "Name: message" on
// failure ("QuotaExceededError: ..." when the device's storage is full).
void photo_put(const std::string& hash, const std::string& bytes,
               std::function<void(bool ok, const std::string& error)> done);
// Reads a photo's bytes; nullopt when absent or unreadable.
void photo_get(const std::string& hash, std::function<void(std::optional<std::string> bytes)> done);
// Every stored photo's hash (empty when storage is refused).
void photo_keys(std::function<void(std::vector<std::string> hashes)> done);

} // namespace peddlenet::platform
