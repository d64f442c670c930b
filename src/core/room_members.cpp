// room_members.cpp: see room_members.hpp.
#include "core/room_members.hpp"

#include <algorithm>

namespace peddlenet {

void RoomMembers::clear() {
    members_.clear();
    server_size_ = 0;
}

void RoomMembers::add_from_server(const std::string& peer, const std::string& name,
                                  const std::string& session) {
    if (!members_.count(peer) && members_.size() >= max_members) return;
    // A new connection of it (join or rejoin): worth a try at once.
    members_[peer] = Member{name, session, true, 0.0, {}};
}

void RoomMembers::add_from_neighbor(const std::string& peer, const std::string& name,
                                    const std::string& session, const std::string& reporter) {
    auto it = members_.find(peer);
    if (it == members_.end()) {
        if (members_.size() >= max_members) return;
        it = members_.emplace(peer, Member{name, session, false, 0.0, {}}).first;
    } else if (it->second.from_server) {
        return;
    } else {
        it->second.session = session;
        if (!name.empty()) it->second.name = name;
    }
    std::vector<std::string>& by = it->second.reporters;
    if (by.size() < 4 && std::find(by.begin(), by.end(), reporter) == by.end()) by.push_back(reporter);
}

void RoomMembers::remove(const std::string& peer) { members_.erase(peer); }

const RoomMembers::Member* RoomMembers::find(const std::string& peer) const {
    const auto it = members_.find(peer);
    return it == members_.end() ? nullptr : &it->second;
}

void RoomMembers::retry_after(const std::string& peer, double at) {
    const auto it = members_.find(peer);
    if (it != members_.end()) it->second.retry_at = at;
}

std::size_t RoomMembers::room_size() const { return std::max(server_size_, members_.size() + 1); }

namespace {

// Moves up to k uniformly chosen items of `pool` to `out` (partial Fisher–Yates).
void take_random(std::vector<std::string>& pool, std::size_t k, RandomSource& random,
                 std::vector<std::string>& out) {
    const std::size_t n = std::min(k, pool.size());
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t j = i + random() % (pool.size() - i);
        std::swap(pool[i], pool[j]);
        out.push_back(std::move(pool[i]));
    }
}

} // namespace

std::vector<std::string> RoomMembers::pick(std::size_t k, double now, RandomSource& random,
                                           bool server_only,
                                           const std::function<bool(const std::string&)>& eligible) const {
    std::vector<std::string> vouched, hearsay;
    for (const auto& [peer, m] : members_) {
        if (m.retry_at > now || (server_only && !m.from_server) || !eligible(peer)) continue;
        (m.from_server || m.reporters.size() >= 2 ? vouched : hearsay).push_back(peer);
    }
    std::vector<std::string> out;
    take_random(vouched, k, random, out);
    take_random(hearsay, k - out.size(), random, out);
    return out;
}

} // namespace peddlenet
