// crypto_bench.cpp: see crypto_bench.hpp.
#include "app/crypto_bench.hpp"

#include "core/chat_log.hpp"
#include "core/trust.hpp"

#include <emscripten/emscripten.h>

#include <memory>
#include <vector>

namespace peddlenet::app {
namespace {

struct Run {
    Crypto& crypto;
    std::string public_key;
    std::vector<std::string> payloads;
    std::vector<std::string> signatures;
    std::vector<double> sign_ms, verify_ms;
    double burst_started = 0;
    double burst_ms = 0;
    std::size_t burst_left = 0;
    int failures = 0;
    std::function<void(nlohmann::json)> done;
};

// A message of a busy chat: a sentence of text, real-looking ids, the room's id.
std::string typical_payload(const std::string& self_id, int i) {
    ChatMessage m;
    m.id = "m" + std::to_string(1000000 + i) + "abcdefgh";
    m.from = self_id;
    m.name = "Sam";
    m.text = "Meet at the big tree left of the main stage after this set? #" + std::to_string(i);
    m.ts_ms = 1796000000000 + i;
    m.lamport = static_cast<std::uint64_t>(i + 1);
    return message_signing_payload("fzB8mQvP0b6tQd3kKc1sXw7iYw2hA5eR9uN4oL3jZ1E", m);
}

void finish(const std::shared_ptr<Run>& run) {
    run->done({{"signMs", run->sign_ms},
               {"verifyMs", run->verify_ms},
               {"burstVerifyMs", run->burst_ms},
               {"burstCount", run->payloads.size()},
               {"failures", run->failures}});
}

void burst(const std::shared_ptr<Run>& run) {
    run->burst_left = run->payloads.size();
    run->burst_started = emscripten_get_now();
    for (std::size_t i = 0; i < run->payloads.size(); ++i) {
        run->crypto.verify(run->public_key, run->payloads[i], run->signatures[i], [run](bool valid) {
            if (!valid) ++run->failures;
            if (--run->burst_left == 0) {
                run->burst_ms = emscripten_get_now() - run->burst_started;
                finish(run);
            }
        });
    }
}

void verify_next(const std::shared_ptr<Run>& run, std::size_t i) {
    if (i == run->payloads.size()) return burst(run);
    const double started = emscripten_get_now();
    run->crypto.verify(run->public_key, run->payloads[i], run->signatures[i], [run, i, started](bool valid) {
        run->verify_ms.push_back(emscripten_get_now() - started);
        if (!valid) ++run->failures;
        verify_next(run, i + 1);
    });
}

void sign_next(const std::shared_ptr<Run>& run, std::size_t i) {
    if (i == run->payloads.size()) return verify_next(run, 0);
    const double started = emscripten_get_now();
    run->crypto.sign(run->payloads[i], [run, i, started](std::optional<std::string> sig) {
        run->sign_ms.push_back(emscripten_get_now() - started);
        if (!sig) ++run->failures;
        run->signatures.push_back(sig.value_or(std::string()));
        sign_next(run, i + 1);
    });
}

} // namespace

void measure_crypto(Crypto& crypto, const std::string& self_id, int count,
                    std::function<void(nlohmann::json)> done) {
    auto run = std::make_shared<Run>(Run{crypto, peer_public_key(self_id).value_or(std::string()), {}, {}, {}, {}, 0, 0, 0, 0,
                                         std::move(done)});
    for (int i = 0; i < count; ++i) run->payloads.push_back(typical_payload(self_id, i));
    sign_next(run, 0);
}

} // namespace peddlenet::app
