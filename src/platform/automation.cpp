// automation.cpp: see automation.hpp.
#include "platform/automation.hpp"

#include "platform/main_loop.hpp"

#include <emscripten/emscripten.h>

#include <map>
#include <memory>

extern "C" {
// Implemented in web/automation.js.
void pn_automation_install();
void pn_automation_ready();
void pn_automation_settle(int call_id, const char* result_json);
}

namespace peddlenet::platform {
namespace {

struct Method {
    AutomationMethod run;
    bool read_only;
};

std::map<std::string, Method>& methods() {
    static std::map<std::string, Method> table;
    return table;
}

nlohmann::json to_json(const AutomationResult& r) {
    if (r.ok) return {{"ok", true}, {"value", r.value}};
    return {{"ok", false}, {"error", r.error}};
}

} // namespace

void register_automation_method(const std::string& name, AutomationMethod method, bool read_only) {
    methods()[name] = Method{std::move(method), read_only};
}

void install_automation() {
    pn_automation_install();
}

void signal_automation_ready() {
    pn_automation_ready();
}

} // namespace peddlenet::platform

using namespace peddlenet::platform;

extern "C" {

// Runs a method for JS. Returns the result as JSON when it settled synchronously, or
// {"pending":true} when it settles later through pn_automation_settle(call_id, ...).
// The returned string is owned here and valid until the next call (JS copies it at once).
EMSCRIPTEN_KEEPALIVE const char* pn_automation_call(const char* method, const char* args_json,
                                                   int call_id) {
    static std::string reply;
    const auto it = methods().find(method);
    if (it == methods().end()) {
        reply = to_json(AutomationResult::failure(std::string("unknown method: ") + method)).dump();
        return reply.c_str();
    }
    nlohmann::json args = nlohmann::json::parse(args_json, nullptr, false);
    if (args.is_discarded() || !args.is_array()) {
        reply = to_json(AutomationResult::failure("arguments must be a JSON array")).dump();
        return reply.c_str();
    }
    // Shared so that a method may settle later; `settled_now` tells a synchronous answer apart.
    auto sync_result = std::make_shared<std::unique_ptr<AutomationResult>>();
    auto in_call = std::make_shared<bool>(true);
    it->second.run(args, [sync_result, in_call, call_id](AutomationResult r) {
        if (*in_call) {
            *sync_result = std::make_unique<AutomationResult>(std::move(r));
        } else {
            // error_handler_t::replace: a method may return user text that is not valid UTF-8.
            const std::string json = to_json(r).dump(-1, ' ', false,
                                                      nlohmann::json::error_handler_t::replace);
            pn_automation_settle(call_id, json.c_str());
        }
    });
    *in_call = false;
    // A change of state is drawn like one from the network: at once, bursts (a script sending
    // a hundred messages) a few times a second.
    if (!it->second.read_only) refresh();
    reply = *sync_result ? to_json(**sync_result).dump(-1, ' ', false,
                                                       nlohmann::json::error_handler_t::replace)
                         : R"({"pending":true})";
    return reply.c_str();
}

} // extern "C"
