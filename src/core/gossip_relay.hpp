// gossip_relay.hpp: passing messages on over a partial mesh, and receipts back the way each
// message came. gossipsub's two kinds of push: a new message goes in full to a few links that
// may lack it (eager) and as an id to the rest (ihave), who fetch it (iwant) if no full copy
// reaches them first. The room engine tells it what arrived and which links are proven, and
// gives it a way to send; it decides who gets what, and when.
// Needs: core/gossip.hpp (seen cache, lazy fetch), core/chat_log.hpp, core/peer_protocol.hpp,
// core/random.hpp, core/room_stats.hpp.
//  [X] eager push to `eager_fanout` random links, never back to where it came from, to its
//      author, or to a link known to hold it; a lazy announcement to the others
//  [X] hop limit: a message that crossed max_relay_hops links is kept but not passed on
//  [X] iwant answered from the log, each id once per link (no amplification)
//  [X] receipts of someone else's message added up per link and passed toward its author
//  [X] announcements, receipts and fetches leave in batches, once per flush()
#pragma once

#include "core/chat_log.hpp"
#include "core/gossip.hpp"
#include "core/random.hpp"
#include "core/room_stats.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

namespace peddlenet {

class GossipRelay {
public:
    // Sends one frame on a link's data channel; false when it could not.
    using Send = std::function<bool(const std::string& peer, const std::string& frame)>;
    using Proven = std::function<bool(const std::string& peer)>;

    GossipRelay(RandomSource& random, RoomStats& stats, Send send)
        : random_(random), stats_(stats), send_(std::move(send)) {}

    void clear();
    // The link closed: its batches go, and it will answer no fetch.
    void link_gone(const std::string& peer);

    // Whether the id was handled recently (stored, or passed on).
    bool seen(std::string_view id) const { return seen_.find(id) != nullptr; }
    // `peer` holds the id (it sent a copy, announced or acknowledged it): never sent it again.
    void note_holder(std::string_view id, const std::string& peer) { seen_.add_holder(id, peer); }
    // One of our own messages went out on every link.
    void sent_own(const std::string& id, double now) { seen_.insert(id, 0, {}, now); }
    // A message from the network entered the log, `hops` links from its author, first from
    // `upstream`. With `forward` it is passed on to `links` (the proven ones), eagerly to
    // `eager_fanout` of them at random; `lazy_only` announces it to all instead (history that
    // came by reconciliation: most neighbours hold it already). `wide_first_hop`: a message
    // straight from its author goes eagerly to every link (very big rooms, see the .cpp).
    void arrived(const ChatMessage& m, unsigned hops, const std::string& upstream, double now,
                 bool forward, const std::vector<std::string>& links, std::size_t eager_fanout,
                 bool lazy_only, bool wide_first_hop);
    // `peer` announced ids; `known` says which we hold or are checking already.
    void on_ihave(const std::string& peer, const std::vector<std::string>& ids, double now,
                  const std::function<bool(const std::string&)>& known);
    // `peer` asks for ids: sent from `log` (never its own, never unsigned ones).
    void on_iwant(const std::string& peer, const std::vector<std::string>& ids, const ChatLog& log,
                  const std::string& self);
    // `n` receipts from `peer` for someone else's message: queued toward its author, on the link
    // it came to us by, if that link is still proven. Each entry is capped at `cap`.
    void pass_receipts(const std::string& id, std::uint32_t n, const std::string& peer,
                       std::uint32_t cap, const Proven& proven);
    // Sends the batches (announcements, receipts) and the fetches that are due.
    void flush(double now, const Proven& proven);
    // Whether flush() has anything to do soon.
    bool pending() const;

private:
    struct Batches {
        std::vector<std::string> ihave;                   // ids to announce
        std::map<std::string, std::uint32_t> receipts;    // id -> receipts to pass upstream
        std::unordered_set<std::string> fetched;          // ids sent for its iwant (once each)
    };
    RandomSource& random_;
    RoomStats& stats_;
    Send send_;
    SeenCache seen_{8192, 10 * 60 * 1000.0};
    LazyFetch fetch_{150.0, 1000.0};
    std::map<std::string, Batches> links_;
};

} // namespace peddlenet
