// gossip.hpp: the bookkeeping of relaying messages over a partial mesh: which message ids this
// peer has handled (and how, so receipts find their way back), and which ids neighbours have
// announced that we still lack. Platform-free and passive: the room engine asks, it decides.
// Needs: nothing but the standard library.
//  [X] seen cache: bounded by count and by age; per id the hops it travelled, the link it came
//      from (receipts go back that way) and the links known to hold it (never sent it again)
//  [X] lazy fetch: ids announced by ihave that have not arrived, whom to ask (iwant) and when;
//      the next announcer is asked when one does not answer in time
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace peddlenet {

class SeenCache {
public:
    struct Entry {
        unsigned hops = 0;                // links it crossed to reach us (0: our own)
        std::string upstream;             // the link it first came from ("" for our own)
        std::vector<std::string> holders; // links known to hold it (bounded)
        double at = 0.0;                  // when it was first seen (monotonic ms)
    };
    // Links remembered per id as holders; beyond that a relay may send a copy it could have saved.
    static constexpr std::size_t max_holders = 16;

    SeenCache(std::size_t capacity, double max_age_ms) : capacity_(capacity), max_age_ms_(max_age_ms) {}

    // Records a first sighting; false (changing nothing) when the id is already there.
    bool insert(const std::string& id, unsigned hops, std::string upstream, double now);
    const Entry* find(std::string_view id) const;
    // Notes that `peer` holds `id` (it sent us a copy, announced it or acknowledged it).
    void add_holder(std::string_view id, const std::string& peer);
    bool holds(const Entry& e, std::string_view peer) const;
    // Forgets entries older than the age bound.
    void expire(double now);
    void clear();
    std::size_t size() const { return entries_.size(); }

private:
    std::size_t capacity_;
    double max_age_ms_;
    std::unordered_map<std::string, Entry> entries_;
    std::deque<std::string> order_; // insertion order: the oldest is evicted first
};

class LazyFetch {
public:
    // Ids waited for at once; announcements beyond it are ignored (a flood of ihave).
    static constexpr std::size_t max_pending = 2048;
    // Announcers remembered per id.
    static constexpr std::size_t max_announcers = 8;

    // `delay_ms`: how long an eager copy may still arrive before we ask; `timeout_ms`: how long
    // one announcer has to answer before the next is asked.
    LazyFetch(double delay_ms, double timeout_ms) : delay_ms_(delay_ms), timeout_ms_(timeout_ms) {}

    // `peer` announced `id`, which we lack.
    void announced(const std::string& id, const std::string& peer, double now);
    // The message arrived (by any path): stop waiting for it.
    void arrived(std::string_view id);
    // The link is gone: it will answer nothing.
    void link_gone(std::string_view peer);
    // What to ask for now: (peer, ids) pairs. Each call moves every due id to its next announcer;
    // an id whose announcers all failed is dropped (reconciliation will still bring it).
    std::vector<std::pair<std::string, std::vector<std::string>>> due(double now);
    bool waiting_for(std::string_view id) const { return pending_.count(std::string(id)) != 0; }
    std::size_t size() const { return pending_.size(); }
    void clear() { pending_.clear(); }

private:
    struct Wait {
        std::vector<std::string> announcers;
        std::size_t asked = 0; // announcers asked so far
        double due_at = 0.0;
    };
    double delay_ms_;
    double timeout_ms_;
    std::unordered_map<std::string, Wait> pending_;
};

} // namespace peddlenet
