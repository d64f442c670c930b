// connection_health.hpp: how reliably and how fast links form, on the original PeddleNet's
// formula: a score of 0-100, 70 points for the share of the last 100 attempts that opened and 30
// for speed, (5000 ms - mean time to connect) / 5000, never below 0.
// Needs: nothing.
//  [X] the outcomes of finished attempts, the last `window` of them: opened (and how fast) or failed
//  [X] attempts, successes, mean time to connect, score; no score before the first outcome
#pragma once

#include <cstddef>
#include <deque>
#include <optional>

namespace peddlenet {

class ConnectionHealth {
public:
    static constexpr std::size_t window = 100;
    // A link that takes this long to open earns no speed points.
    static constexpr double slow_ms = 5000.0;

    void opened(double connect_ms);
    void failed();

    std::size_t attempts() const { return outcomes_.size(); }
    std::size_t successes() const;
    // Over the attempts that opened; none when none did.
    std::optional<double> mean_connect_ms() const;
    std::optional<int> score() const;

private:
    struct Outcome {
        bool opened;
        double connect_ms;
    };
    void add(Outcome outcome);
    std::deque<Outcome> outcomes_;
};

} // namespace peddlenet
