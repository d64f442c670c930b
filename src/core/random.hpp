// random.hpp: the one shape of randomness that core code accepts, so tests can be deterministic.
// Needs: nothing. The browser passes a function over crypto.getRandomValues; tests pass a seeded PRNG.
#pragma once

#include <cstdint>
#include <functional>

namespace peddlenet {

// Returns uniformly distributed 32-bit values. Core code never seeds or reads a global generator.
using RandomSource = std::function<std::uint32_t()>;

} // namespace peddlenet
