// backoff.hpp: when to retry the signaling WebSocket after it drops or fails to connect.
// Needs: core/random.hpp (injected randomness for jitter). Pure: it never reads a clock or sleeps;
// the app asks for the next delay and schedules the retry itself.
//  [X] capped exponential growth: base, 2x base, 4x base, ... up to a cap
//  [X] "equal jitter": each delay is drawn from [d/2, d], so a crowd whose server restarted does
//      not reconnect in lockstep, while no delay falls below half its nominal value
//  [X] reset after a successful connection
#pragma once

#include "core/random.hpp"

#include <cstdint>

namespace peddlenet {

struct BackoffParams {
    // base_ms: double, default = 500. First retry delay before jitter: quick enough that a server
    // restart is barely noticed, slow enough not to hammer a server that refuses us.
    double base_ms = 500.0;
    // cap_ms: double, default = 15000. Longest delay before jitter: a phone that lost the server
    // for minutes still retries within ~15 s of it coming back.
    double cap_ms = 15000.0;
    // factor: double, default = 2. Growth per failed attempt.
    double factor = 2.0;
};

class Backoff {
public:
    explicit Backoff(RandomSource random, BackoffParams params = {});

    // Delay before the next connection attempt, in ms, and counts the attempt.
    // Attempt k (from 0) waits a uniform value in [n/2, n] with n = min(cap, base * factor^k).
    double next_delay_ms();
    // Call once the socket is open (and the room re-joined): the next failure starts from base.
    void reset() { attempt_ = 0; }
    // Failed attempts since the last reset.
    std::uint32_t attempt() const { return attempt_; }

private:
    RandomSource random_;
    BackoffParams params_;
    std::uint32_t attempt_ = 0;
};

} // namespace peddlenet
