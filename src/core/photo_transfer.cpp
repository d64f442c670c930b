// photo_transfer.cpp: see photo_transfer.hpp.
#include "core/photo_transfer.hpp"

#include "core/base64url.hpp"
#include "core/peer_protocol.hpp"

#include <algorithm>
#include <utility>

namespace peddlenet {
namespace {

// Bytes the upload bound lets out at once after a quiet spell: four chunks.
constexpr double upload_burst_bytes = 4.0 * photo_chunk_bytes;

} // namespace

void PhotoTransfers::clear() {
    alive_ = std::make_shared<int>(0);
    fetches_.clear();
    uploads_.clear();
    loading_.clear();
    held_.clear();
    held_order_.clear();
    sent_.clear();
}

void PhotoTransfers::set_stored(std::set<std::string> hashes) {
    stored_ = std::move(hashes);
    std::erase_if(fetches_, [this](const auto& entry) { return stored_.count(entry.first) && !entry.second.checking; });
}

void PhotoTransfers::want(const PhotoRef& ref, const std::string& source) {
    if (held_.count(ref.hash) || stored_.count(ref.hash)) return;
    auto [it, added] = fetches_.try_emplace(ref.hash);
    if (added) it->second.ref = ref;
    if (it->second.hint.empty()) it->second.hint = source;
}

void PhotoTransfers::provide(const std::string& hash, std::shared_ptr<const std::string> bytes) {
    if (!bytes) return;
    hold(hash, bytes);
    fetches_.erase(hash);
    const auto waiting = loading_.find(hash);
    if (waiting == loading_.end()) return;
    for (const Upload& u : waiting->second) {
        // A link asks once per photo: an upload it got meanwhile is replaced, not doubled.
        std::erase_if(uploads_, [&](const Upload& x) { return x.peer == u.peer && x.hash == u.hash; });
        uploads_.push_back(u);
    }
    loading_.erase(waiting);
}

void PhotoTransfers::absent(const std::string& hash) {
    stored_.erase(hash);
    const auto waiting = loading_.find(hash);
    if (waiting == loading_.end()) return;
    for (const Upload& u : waiting->second) hooks_.send_text(u.peer, build_photo_none_frame(hash));
    loading_.erase(waiting);
}

std::shared_ptr<const std::string> PhotoTransfers::held(const std::string& hash) const {
    const auto it = held_.find(hash);
    return it == held_.end() ? nullptr : it->second;
}

void PhotoTransfers::hold(const std::string& hash, std::shared_ptr<const std::string> bytes) {
    if (!held_.count(hash)) held_order_.push_back(hash);
    held_[hash] = std::move(bytes);
    while (held_order_.size() > params_.held_limit) {
        held_.erase(held_order_.front());
        held_order_.pop_front();
    }
}

void PhotoTransfers::on_get(const std::string& peer, const std::string& hash, std::uint32_t offset) {
    // One upload per link and photo: a repeated request restarts it where the peer now stands.
    std::erase_if(uploads_, [&](const Upload& u) { return u.peer == peer && u.hash == hash; });
    if (const auto waiting = loading_.find(hash); waiting != loading_.end())
        std::erase_if(waiting->second, [&](const Upload& u) { return u.peer == peer; });
    if (held_.count(hash)) {
        uploads_.push_back({peer, hash, offset});
        sent_[hash].try_emplace(peer, Progress{offset, false});
        return;
    }
    if (!stored_.count(hash)) {
        hooks_.send_text(peer, build_photo_none_frame(hash));
        return;
    }
    auto [it, first] = loading_.try_emplace(hash);
    std::erase_if(it->second, [&](const Upload& u) { return u.peer == peer; });
    it->second.push_back({peer, hash, offset});
    sent_[hash].try_emplace(peer, Progress{offset, false});
    if (first && hooks_.load) hooks_.load(hash);
}

void PhotoTransfers::on_none(const std::string& peer, const std::string& hash) {
    const auto it = fetches_.find(hash);
    if (it == fetches_.end() || it->second.source != peer) return;
    Fetch& f = it->second;
    if (f.said_none.empty()) f.none_since = now_;
    f.said_none.insert(peer);
    f.source.clear();
}

void PhotoTransfers::on_got(const std::string& peer, const std::string& hash) {
    const auto it = sent_.find(hash);
    if (it == sent_.end()) return;
    const auto row = it->second.find(peer);
    if (row != it->second.end()) row->second.whole = true;
}

void PhotoTransfers::on_chunk(const std::string& peer, const PhotoChunk& chunk) {
    const auto it = fetches_.find(chunk.hash);
    // Late chunks of a fetch that moved on, or of a photo we hold: harmless, dropped.
    if (it == fetches_.end() || it->second.source != peer || it->second.checking) return;
    Fetch& f = it->second;
    if (chunk.offset != f.bytes.size() || f.bytes.size() + chunk.data.size() > f.ref.bytes) {
        blame(f, peer, "photo chunks that do not add up");
        return;
    }
    f.bytes += chunk.data;
    f.asked_at = now_;
    ++counters_.chunks_received;
    counters_.bytes_received += chunk.data.size();
    if (f.bytes.size() == f.ref.bytes) {
        f.checking = true;
        check_whole(chunk.hash);
    }
}

void PhotoTransfers::check_whole(const std::string& hash) {
    const Fetch& f = fetches_.at(hash);
    const std::weak_ptr<int> alive = alive_;
    crypto_.sha256(f.bytes, [this, alive, hash](std::optional<std::string> digest) {
        if (alive.expired()) return;
        const auto it = fetches_.find(hash);
        if (it == fetches_.end() || !it->second.checking) return;
        Fetch& f = it->second;
        f.checking = false;
        if (!digest || base64url_encode(*digest) != hash) {
            blame(f, f.source, "a photo that does not match its signed hash");
            return;
        }
        auto bytes = std::make_shared<const std::string>(std::move(f.bytes));
        const std::string source = f.source;
        fetches_.erase(it);
        hold(hash, bytes);
        ++counters_.fetched;
        if (!source.empty()) hooks_.send_text(source, build_photo_got_frame(hash));
        if (hooks_.fetched) hooks_.fetched(hash, bytes);
    });
}

void PhotoTransfers::blame(Fetch& f, std::string peer, const std::string& why) {
    ++counters_.refused;
    f.blamed.insert(peer);
    f.source.clear();
    f.bytes.clear(); // which of its chunks were wrong is unknown: start over
    if (hooks_.refused) hooks_.refused(peer, why);
}

void PhotoTransfers::link_open(const std::string& peer) {
    for (auto& entry : fetches_) entry.second.said_none.erase(peer);
}

void PhotoTransfers::link_gone(const std::string& peer) {
    std::erase_if(uploads_, [&](const Upload& u) { return u.peer == peer; });
    for (auto& entry : fetches_)
        if (entry.second.source == peer) entry.second.source.clear();
    for (auto& entry : loading_)
        std::erase_if(entry.second, [&](const Upload& u) { return u.peer == peer; });
}

void PhotoTransfers::tick(double now_ms, const std::vector<std::string>& links) {
    now_ = now_ms;
    for (auto& [hash, f] : fetches_) {
        if (f.checking) continue;
        if (!f.source.empty()) {
            const bool linked = std::find(links.begin(), links.end(), f.source) != links.end();
            if (linked && now_ms - f.asked_at <= params_.stall_ms) continue;
            if (linked) { // stalled: another link, this one later
                if (f.said_none.empty()) f.none_since = now_ms;
                f.said_none.insert(f.source);
            }
            f.source.clear();
        }
        ask(f, now_ms, links);
    }
    serve(now_ms);
}

void PhotoTransfers::ask(Fetch& f, double now, const std::vector<std::string>& links) {
    if (!f.said_none.empty() && now - f.none_since > params_.retry_ms) f.said_none.clear();
    const auto usable = [&f](const std::string& peer) {
        return !f.blamed.count(peer) && !f.said_none.count(peer);
    };
    std::string pick;
    if (!f.hint.empty() && usable(f.hint) && std::find(links.begin(), links.end(), f.hint) != links.end())
        pick = f.hint;
    for (auto it = links.begin(); pick.empty() && it != links.end(); ++it)
        if (usable(*it)) pick = *it;
    if (pick.empty()) return;
    if (!hooks_.send_text(pick, build_photo_get_frame(f.ref.hash, static_cast<std::uint32_t>(f.bytes.size()))))
        return;
    f.source = pick;
    f.asked_at = now;
}

void PhotoTransfers::serve(double now) {
    if (tokens_at_ < 0) tokens_ = upload_burst_bytes;
    else tokens_ = std::min(upload_burst_bytes, tokens_ + params_.upload_bytes_per_s * (now - tokens_at_) / 1000.0);
    tokens_at_ = now;
    // Round robin: each turn one chunk to the link at the front, which then goes to the back.
    for (std::size_t blocked = 0; !uploads_.empty() && blocked < uploads_.size();) {
        Upload u = uploads_.front();
        uploads_.pop_front();
        const auto bytes = held(u.hash);
        if (!bytes || u.offset >= bytes->size()) continue; // evicted meanwhile, or nothing left
        if (hooks_.buffered(u.peer) >= params_.max_buffered_bytes) {
            uploads_.push_back(u);
            ++blocked;
            continue;
        }
        const std::size_t n = std::min(photo_chunk_bytes, bytes->size() - u.offset);
        if (tokens_ < static_cast<double>(n)) {
            uploads_.push_front(u);
            return;
        }
        const std::string_view data = std::string_view(*bytes).substr(u.offset, n);
        if (!hooks_.send_binary(u.peer, build_photo_chunk(u.hash, u.offset, data))) continue; // closed
        tokens_ -= static_cast<double>(n);
        ++counters_.chunks_sent;
        counters_.bytes_sent += n;
        u.offset += static_cast<std::uint32_t>(n);
        Progress& row = sent_[u.hash][u.peer];
        row.bytes = std::max(row.bytes, u.offset);
        blocked = 0;
        if (u.offset < bytes->size()) uploads_.push_back(u);
    }
}

std::optional<double> PhotoTransfers::receiving(const std::string& hash) const {
    const auto it = fetches_.find(hash);
    if (it == fetches_.end()) return std::nullopt;
    return static_cast<double>(it->second.bytes.size()) / it->second.ref.bytes;
}

std::vector<PhotoTransfers::Sent> PhotoTransfers::sent(const std::string& hash) const {
    std::vector<Sent> out;
    const auto it = sent_.find(hash);
    if (it == sent_.end()) return out;
    for (const auto& [peer, row] : it->second) out.push_back({peer, row.bytes, row.whole});
    return out;
}

} // namespace peddlenet
