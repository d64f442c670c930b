// connection_health.cpp: see connection_health.hpp.
#include "core/connection_health.hpp"

#include <algorithm>
#include <cmath>

namespace peddlenet {

void ConnectionHealth::opened(double connect_ms) { add({true, std::max(0.0, connect_ms)}); }

void ConnectionHealth::failed() { add({false, 0.0}); }

void ConnectionHealth::add(Outcome outcome) {
    outcomes_.push_back(outcome);
    if (outcomes_.size() > window) outcomes_.pop_front();
}

std::size_t ConnectionHealth::successes() const {
    return static_cast<std::size_t>(
        std::count_if(outcomes_.begin(), outcomes_.end(), [](const Outcome& o) { return o.opened; }));
}

std::optional<double> ConnectionHealth::mean_connect_ms() const {
    double sum = 0.0;
    std::size_t n = 0;
    for (const Outcome& o : outcomes_)
        if (o.opened) {
            sum += o.connect_ms;
            ++n;
        }
    if (n == 0) return std::nullopt;
    return sum / static_cast<double>(n);
}

std::optional<int> ConnectionHealth::score() const {
    if (outcomes_.empty()) return std::nullopt;
    const double success_rate = static_cast<double>(successes()) / static_cast<double>(attempts());
    const std::optional<double> mean = mean_connect_ms();
    const double speed = mean ? std::clamp((slow_ms - *mean) / slow_ms, 0.0, 1.0) : 0.0;
    return static_cast<int>(std::lround(70.0 * success_rate + 30.0 * speed));
}

} // namespace peddlenet
