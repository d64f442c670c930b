// gossip_relay.cpp: see gossip_relay.hpp.
#include "core/gossip_relay.hpp"

#include "core/peer_protocol.hpp"

#include <algorithm>

namespace peddlenet {
namespace {

// Sends `ids` in frames of at most max_ack_ids, built by `build`.
template <class Build>
void send_in_parts(const std::vector<std::string>& ids, Build build,
                   const std::function<void(const std::string&)>& send) {
    for (std::size_t at = 0; at < ids.size(); at += max_ack_ids) {
        const auto first = ids.begin() + static_cast<std::ptrdiff_t>(at);
        const auto last = ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), at + max_ack_ids));
        send(build(std::vector<std::string>(first, last)));
    }
}

} // namespace

void GossipRelay::clear() {
    seen_.clear();
    fetch_.clear();
    links_.clear();
}

void GossipRelay::link_gone(const std::string& peer) {
    links_.erase(peer);
    fetch_.link_gone(peer);
}

void GossipRelay::arrived(const ChatMessage& m, unsigned hops, const std::string& upstream,
                          double now, bool forward, const std::vector<std::string>& links,
                          std::size_t eager_fanout, bool lazy_only, bool wide_first_hop) {
    fetch_.arrived(m.id);
    seen_.insert(m.id, hops, upstream, now);
    if (!forward || hops >= max_relay_hops) return;
    const SeenCache::Entry* entry = seen_.find(m.id);
    std::vector<std::string> targets;
    for (const std::string& peer : links)
        if (peer != upstream && peer != m.from && !(entry && seen_.holds(*entry, peer)))
            targets.push_back(peer);
    // In a very big room the author's own links pass it to all of theirs: the first hops fan
    // out widest, which keeps paths short where the hop limit would bind, for about degree^2
    // extra copies in the whole room (+0.06 per peer at 1000 peers, but +0.6 at 100).
    const std::size_t fanout = hops == 1 && wide_first_hop ? targets.size() : eager_fanout;
    const std::size_t eager = lazy_only ? 0 : std::min(fanout, targets.size());
    for (std::size_t i = 0; i < eager; ++i) {
        const std::size_t j = i + random_() % (targets.size() - i);
        std::swap(targets[i], targets[j]);
    }
    const std::string frame = build_chat_frame(m, false, hops);
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (i < eager) {
            if (send_(targets[i], frame)) ++stats_.relayed;
        } else {
            links_[targets[i]].ihave.push_back(m.id);
        }
    }
}

void GossipRelay::on_ihave(const std::string& peer, const std::vector<std::string>& ids, double now,
                           const std::function<bool(const std::string&)>& known) {
    for (const std::string& id : ids) {
        if (seen_.find(id)) seen_.add_holder(id, peer);
        else if (!known(id)) fetch_.announced(id, peer, now);
    }
}

void GossipRelay::on_iwant(const std::string& peer, const std::vector<std::string>& ids,
                           const ChatLog& log, const std::string& self) {
    std::unordered_set<std::string>& fetched = links_[peer].fetched;
    for (const std::string& id : ids) {
        const ChatMessage* m = log.find(id);
        if (!m || m->sig.empty() || m->from == peer || fetched.size() >= max_sync_messages * 8 ||
            !fetched.insert(id).second)
            continue;
        // As far as it travelled to us: 0 only for our own (a relayed 0 would look forged).
        const SeenCache::Entry* e = seen_.find(id);
        const unsigned hops =
            m->from == self ? 0 : std::clamp(e ? e->hops : max_relay_hops - 1, 1u, max_relay_hops - 1);
        if (send_(peer, build_chat_frame(*m, false, hops))) ++stats_.fetched;
    }
}

void GossipRelay::pass_receipts(const std::string& id, std::uint32_t n, const std::string& peer,
                                std::uint32_t cap, const Proven& proven) {
    const SeenCache::Entry* e = seen_.find(id);
    if (!e || e->upstream.empty() || e->upstream == peer || !proven(e->upstream)) return;
    std::uint32_t& pending = links_[e->upstream].receipts[id];
    pending = static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t{pending} + n, cap));
}

void GossipRelay::flush(double now, const Proven& proven) {
    seen_.expire(now);
    for (auto it = links_.begin(); it != links_.end(); ++it) {
        const std::string& peer = it->first;
        Batches& b = it->second;
        if (!proven(peer)) {
            b.ihave.clear();
            b.receipts.clear();
            continue;
        }
        const auto send = [this, &peer](const std::string& frame) { send_(peer, frame); };
        stats_.announced += b.ihave.size();
        send_in_parts(b.ihave, build_ihave_frame, send);
        b.ihave.clear();
        std::vector<std::string> ids;
        std::vector<std::uint32_t> counts;
        for (const auto& [id, n] : b.receipts) {
            ids.push_back(id);
            counts.push_back(n);
            if (ids.size() == max_ack_ids) {
                send(build_ack_frame(ids, counts));
                ids.clear();
                counts.clear();
            }
        }
        if (!ids.empty()) send(build_ack_frame(ids, counts));
        b.receipts.clear();
    }
    for (const auto& ask : fetch_.due(now)) {
        const std::string& peer = ask.first; // a named variable: lambdas cannot capture bindings
        if (!proven(peer)) continue;
        send_in_parts(ask.second, build_iwant_frame,
                      [this, &peer](const std::string& frame) { send_(peer, frame); });
    }
}

bool GossipRelay::pending() const {
    if (fetch_.size() > 0) return true;
    for (const auto& [peer, b] : links_)
        if (!b.ihave.empty() || !b.receipts.empty()) return true;
    return false;
}

} // namespace peddlenet
