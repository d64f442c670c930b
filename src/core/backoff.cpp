// backoff.cpp: see backoff.hpp.
#include "core/backoff.hpp"

#include <algorithm>
#include <utility>

namespace peddlenet {

Backoff::Backoff(RandomSource random, BackoffParams params)
    : random_(std::move(random)), params_(params) {}

double Backoff::next_delay_ms() {
    double nominal = params_.base_ms;
    // Multiply step by step and stop at the cap, so a long outage never overflows to infinity.
    for (std::uint32_t i = 0; i < attempt_ && nominal < params_.cap_ms; ++i) nominal *= params_.factor;
    nominal = std::min(nominal, params_.cap_ms);
    if (attempt_ < UINT32_MAX) ++attempt_;
    const double unit = static_cast<double>(random_()) / 4294967295.0; // [0, 1]
    return nominal / 2.0 + unit * nominal / 2.0;
}

} // namespace peddlenet
