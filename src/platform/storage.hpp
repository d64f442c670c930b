// storage.hpp: the browser's storage for C++ (web/storage.js).
// Needs: the JS half; localStorage and IndexedDB may be refused (private mode): both degrade to
// "nothing stored" rather than failing the app.
//  [X] local_get/local_set: small synchronous settings (peer id, name, current room)
//  [X] history_put/history_get: one text document per room in IndexedDB, asynchronous
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace peddlenet::platform {

std::optional<std::string> local_get(const std::string& key);
bool local_set(const std::string& key, const std::string& value);
void local_remove(const std::string& key);

// Stores `value` under `key`; `done(ok, error)` runs later, exactly once.
void history_put(const std::string& key, const std::string& value,
                 std::function<void(bool ok, const std::string& error)> done = {});
// Reads `key`; `done(value)` runs later, exactly once, with nullopt when absent or unreadable.
void history_get(const std::string& key, std::function<void(std::optional<std::string> value)> done);

} // namespace peddlenet::platform
