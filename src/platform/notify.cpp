// notify.cpp: see notify.hpp.
#include "platform/notify.hpp"

#include "platform/main_loop.hpp"

#include <emscripten/emscripten.h>

#include <map>

extern "C" {
// Implemented in web/notify.js.
int pn_notify_permission();
void pn_notify_request(int id);
void pn_notify_show(const char* title, const char* body, const char* tag, int renotify);
void pn_notify_close_all();
}

namespace peddlenet::platform {
namespace {

using Done = std::function<void(NotifyPermission)>;

std::map<int, Done>& requests() {
    static std::map<int, Done> table; // request id -> completion
    return table;
}

int next_id = 1;

} // namespace

NotifyPermission notify_permission() {
    return static_cast<NotifyPermission>(pn_notify_permission());
}

void request_notify_permission(Done done) {
    const int id = next_id++;
    requests()[id] = std::move(done);
    pn_notify_request(id);
}

void show_notification(const std::string& title, const std::string& body, const std::string& tag,
                       bool renotify) {
    pn_notify_show(title.c_str(), body.c_str(), tag.c_str(), renotify ? 1 : 0);
}

void close_notifications() {
    pn_notify_close_all();
}

} // namespace peddlenet::platform

extern "C" EMSCRIPTEN_KEEPALIVE void pn_notify_permission_done(int id, int permission) {
    auto& table = peddlenet::platform::requests();
    const auto it = table.find(id);
    if (it == table.end()) return;
    auto done = std::move(it->second);
    table.erase(it);
    if (done) done(static_cast<peddlenet::platform::NotifyPermission>(permission));
    peddlenet::platform::wake();
}
