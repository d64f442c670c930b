// automation.hpp: `window.peddlenet`, the documented automation API that tests and assistive
// tools use instead of reading the canvas (see README "Automation API").
// Needs: web/automation.js, nlohmann/json.
//  [X] named methods with JSON arguments and results, registered by the app
//  [X] synchronous results, thrown Errors with clear messages, and Promises settled later
//  [X] `ready`: a Promise resolved once the app has drawn its first frame
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>

namespace peddlenet::platform {

struct AutomationResult {
    bool ok = true;
    nlohmann::json value;  // returned (or resolved) when ok
    std::string error;     // thrown (or rejected) as an Error when !ok

    static AutomationResult success(nlohmann::json v = nullptr) { return {true, std::move(v), {}}; }
    static AutomationResult failure(std::string message) { return {false, nullptr, std::move(message)}; }
};

// A method settles exactly once through `settle`, now or later (a Promise in JS either way
// for methods marked async in web/automation.js).
using AutomationSettle = std::function<void(AutomationResult)>;
using AutomationMethod = std::function<void(const nlohmann::json& args, AutomationSettle settle)>;

// `read_only`: the method only reads, so calling it does not wake the render loop (tests poll
// state() while measuring that an idle app draws nothing).
void register_automation_method(const std::string& name, AutomationMethod method,
                                bool read_only = false);

// Defines window.peddlenet (methods become callable at once, `ready` stays pending).
void install_automation();

// Resolves window.peddlenet.ready; call after the first frame is on screen.
void signal_automation_ready();

} // namespace peddlenet::platform
