// gossip.cpp: see gossip.hpp.
#include "core/gossip.hpp"

#include <algorithm>
#include <map>

namespace peddlenet {

bool SeenCache::insert(const std::string& id, unsigned hops, std::string upstream, double now) {
    if (entries_.count(id)) return false;
    while (entries_.size() >= capacity_ && !order_.empty()) {
        entries_.erase(order_.front());
        order_.pop_front();
    }
    entries_.emplace(id, Entry{hops, std::move(upstream), {}, now});
    order_.push_back(id);
    return true;
}

const SeenCache::Entry* SeenCache::find(std::string_view id) const {
    const auto it = entries_.find(std::string(id));
    return it == entries_.end() ? nullptr : &it->second;
}

void SeenCache::add_holder(std::string_view id, const std::string& peer) {
    const auto it = entries_.find(std::string(id));
    if (it == entries_.end()) return;
    std::vector<std::string>& holders = it->second.holders;
    if (holders.size() >= max_holders || holds(it->second, peer)) return;
    holders.push_back(peer);
}

bool SeenCache::holds(const Entry& e, std::string_view peer) const {
    return e.upstream == peer || std::find(e.holders.begin(), e.holders.end(), peer) != e.holders.end();
}

void SeenCache::expire(double now) {
    while (!order_.empty()) {
        const auto it = entries_.find(order_.front());
        if (it != entries_.end() && now - it->second.at < max_age_ms_) break;
        if (it != entries_.end()) entries_.erase(it);
        order_.pop_front();
    }
}

void SeenCache::clear() {
    entries_.clear();
    order_.clear();
}

void LazyFetch::announced(const std::string& id, const std::string& peer, double now) {
    auto it = pending_.find(id);
    if (it == pending_.end()) {
        if (pending_.size() >= max_pending) return;
        it = pending_.emplace(id, Wait{{}, 0, now + delay_ms_}).first;
    }
    std::vector<std::string>& from = it->second.announcers;
    if (from.size() < max_announcers && std::find(from.begin(), from.end(), peer) == from.end())
        from.push_back(peer);
}

void LazyFetch::arrived(std::string_view id) { pending_.erase(std::string(id)); }

void LazyFetch::link_gone(std::string_view peer) {
    for (auto& [id, wait] : pending_) {
        auto& from = wait.announcers;
        const auto it = std::find(from.begin(), from.end(), peer);
        if (it == from.end()) continue;
        const auto index = static_cast<std::size_t>(it - from.begin());
        from.erase(it);
        if (index < wait.asked) --wait.asked; // asked already: nothing more to expect from it
    }
}

std::vector<std::pair<std::string, std::vector<std::string>>> LazyFetch::due(double now) {
    std::map<std::string, std::vector<std::string>> asks; // sorted: deterministic output
    for (auto it = pending_.begin(); it != pending_.end();) {
        Wait& wait = it->second;
        if (wait.due_at > now) {
            ++it;
            continue;
        }
        if (wait.asked >= wait.announcers.size()) {
            it = pending_.erase(it);
            continue;
        }
        asks[wait.announcers[wait.asked]].push_back(it->first);
        ++wait.asked;
        wait.due_at = now + timeout_ms_;
        ++it;
    }
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    for (auto& [peer, ids] : asks) {
        std::sort(ids.begin(), ids.end());
        out.emplace_back(peer, std::move(ids));
    }
    return out;
}

} // namespace peddlenet
