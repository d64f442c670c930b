// event_queue.hpp: the discrete-event core of the mesh simulator (mesh_sim.cpp): simulated time,
// tasks ordered by (due time, sequence number), and the run's seeded random generator.
// Needs: nothing but the standard library.
//  [X] tasks due at the same instant run in the order they were posted, so a run is a pure
//      function of its seed (no wall clock, no addresses, no hash order decides anything)
//  [X] the heap moves 24-byte entries; the tasks themselves stay in a slab with a free list
//  [X] SplitMix64 (Sebastiano Vigna): one stream per run, child seeds for the engines
#pragma once

#include "unit/split_mix.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace peddlenet::sim {

// SplitMix64: tiny state, fast, and good enough for latencies, choices and seeds.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}

    std::uint64_t next() {
        return testing::split_mix_next(state_);
    }
    // Uniform in [0, 1), 53 random bits.
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    // Uniform in [0, n) for n > 0 (Lemire's multiply-high; the bias is far below 2^-32).
    std::size_t below(std::size_t n) {
        return static_cast<std::size_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
    }
    bool chance(double p) { return uniform() < p; }

private:
    std::uint64_t state_;
};

class EventQueue {
public:
    using Task = std::function<void()>;

    // Simulated milliseconds since the start of the run.
    double now() const { return now_; }
    // Runs `task` at time `t` (never earlier than now: the past is the present).
    void at(double t, Task task) {
        std::uint32_t slot;
        if (free_.empty()) {
            slot = static_cast<std::uint32_t>(tasks_.size());
            tasks_.push_back(std::move(task));
        } else {
            slot = free_.back();
            free_.pop_back();
            tasks_[slot] = std::move(task);
        }
        heap_.push_back(Entry{std::max(t, now_), seq_++, slot});
        std::push_heap(heap_.begin(), heap_.end(), later);
    }
    void after(double delay_ms, Task task) { at(now_ + delay_ms, std::move(task)); }

    // Runs every task due at or before `t` (including those they post), then sets the clock to t.
    void run_until(double t) {
        while (!heap_.empty() && heap_.front().t <= t) {
            std::pop_heap(heap_.begin(), heap_.end(), later);
            const Entry e = heap_.back();
            heap_.pop_back();
            now_ = e.t;
            // Moved out first: the task may post others, which can reallocate the slab.
            Task task = std::move(tasks_[e.slot]);
            tasks_[e.slot] = nullptr;
            free_.push_back(e.slot);
            ++executed_;
            task();
        }
        now_ = std::max(now_, t);
    }

    std::uint64_t executed() const { return executed_; }

private:
    struct Entry {
        double t;
        std::uint64_t seq;
        std::uint32_t slot;
    };
    // Heap order: the top is the earliest time, and of equal times the first posted.
    static bool later(const Entry& a, const Entry& b) {
        return a.t != b.t ? a.t > b.t : a.seq > b.seq;
    }

    double now_ = 0.0;
    std::uint64_t seq_ = 0;
    std::uint64_t executed_ = 0;
    std::vector<Entry> heap_;
    std::vector<Task> tasks_;
    std::vector<std::uint32_t> free_;
};

} // namespace peddlenet::sim
