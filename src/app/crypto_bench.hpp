// crypto_bench.hpp: what signing and verifying cost a chat message in this app, through the same
// path the room engine uses (core/trust.hpp payloads, the Crypto provider, web/crypto.js), for
// the automation API's measureCrypto() and scripts/bench/crypto.js.
// Needs: core/crypto.hpp, core/trust.hpp, emscripten_get_now.
//  [X] per-operation sign and verify times, awaited one at a time
//  [X] the wall time of a burst of verifies issued all at once (messages per second)
#pragma once

#include "core/crypto.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>

namespace peddlenet::app {

// Signs `count` typical messages as `self_id` (the provider's own key), verifies each, then
// verifies all of them at once. `done` gets {signMs: [..], verifyMs: [..], burstVerifyMs,
// burstCount, failures}.
void measure_crypto(Crypto& crypto, const std::string& self_id, int count,
                    std::function<void(nlohmann::json)> done);

} // namespace peddlenet::app
