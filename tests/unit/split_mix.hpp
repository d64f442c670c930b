// split_mix.hpp: SplitMix64 (Steele, Lea, Flood 2014; Vigna's constants), the one seeded
// generator step that test worlds, QR test data and the mesh simulator build on: tiny, and
// unlike <random>'s distributions it gives the same numbers with libstdc++ and libc++.
// Needs: nothing but the standard library.
#pragma once

#include <cstdint>

namespace peddlenet::testing {

// Advances `state` and returns the next 64-bit output.
inline std::uint64_t split_mix_next(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

} // namespace peddlenet::testing
