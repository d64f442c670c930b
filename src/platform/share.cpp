// share.cpp: see share.hpp.
#include "platform/share.hpp"

#include "platform/main_loop.hpp"

#include <emscripten/emscripten.h>

#include <map>

extern "C" {
// Implemented in web/share.js.
int pn_share_available();
void pn_share(int id, const char* title, const char* text, const char* url);
}

namespace peddlenet::platform {
namespace {

using Done = std::function<void(ShareOutcome, const std::string&)>;

std::map<int, Done>& requests() {
    static std::map<int, Done> table; // request id -> completion
    return table;
}

int next_id = 1;

} // namespace

bool can_share() {
    return pn_share_available() != 0;
}

void share(const std::string& title, const std::string& text, const std::string& url, Done done) {
    const int id = next_id++;
    requests()[id] = std::move(done);
    pn_share(id, title.c_str(), text.c_str(), url.c_str());
}

} // namespace peddlenet::platform

// `detail` is owned by share.js and valid during this call only.
extern "C" EMSCRIPTEN_KEEPALIVE void pn_share_done(int id, int outcome, const char* detail) {
    auto& table = peddlenet::platform::requests();
    const auto it = table.find(id);
    if (it == table.end()) return;
    auto done = std::move(it->second);
    table.erase(it);
    if (done) done(static_cast<peddlenet::platform::ShareOutcome>(outcome), detail ? detail : "");
    peddlenet::platform::wake();
}
