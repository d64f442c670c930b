// rate_limiter.hpp: per-connection token bucket for incoming messages.
// Needs: nothing but the standard library; time is passed in, so tests need no sleeping.
//  [X] sustained rate plus burst; starts full so a fresh connection can join and negotiate
#pragma once

#include <algorithm>
#include <chrono>

namespace peddlenet::server {

class TokenBucket {
public:
    using Clock = std::chrono::steady_clock;

    TokenBucket(double burst, Clock::time_point now) : tokens_(burst), last_(now) {}

    // Spends one token if there is one. `rate` tokens per second refill up to `burst`; both are
    // passed per call so that 20k connections do not each store a copy of the limits.
    bool take(double rate, double burst, Clock::time_point now) {
        const double elapsed = std::chrono::duration<double>(now - last_).count();
        last_ = now;
        tokens_ = std::min(burst, tokens_ + elapsed * rate);
        if (tokens_ < 1.0) return false;
        tokens_ -= 1.0;
        return true;
    }

private:
    double tokens_;
    Clock::time_point last_;
};

} // namespace peddlenet::server
