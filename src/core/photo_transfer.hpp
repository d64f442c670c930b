// photo_transfer.hpp: moving photos' bytes between the members of a room. A photo message
// (core/chat_log, signed) names its photo by hash and travels like any message; the bytes follow
// apart, pulled link by link: whoever holds a message wants its photo, asks one proven link for
// it from the offset it has (photo-get), gets binary chunks back, checks the sha-256 against the
// signed hash and then serves it to its own links. So in a big room the photo spreads through
// the same partial mesh as its message, each member fetching once, and a dropped link resumes
// from its offset on another link or the same one once it reopens.
// Needs: core/photo.hpp (chunks, PhotoRef), core/peer_protocol.hpp (control frames),
// core/crypto.hpp (sha-256). Platform-free and deterministic: time comes in through tick().
//  [X] one fetch per wanted photo at a time; the link that brought the message is asked first
//  [X] chunks must continue exactly where the fetch stands and stay within the photo's size; a
//      link whose chunks do not add up, or whose whole does not hash to the signed hash, is not
//      asked for that photo again and the fetch starts over elsewhere (counted, reported)
//  [X] a fetch that stalls (stall_ms) or whose link closes resumes from its offset elsewhere;
//      links that said "not yet" are asked again after retry_ms
//  [X] serving: requests answered from memory, or from storage by asking the app (load), or
//      "none"; chunks leave only while the link's send buffer is below max_buffered_bytes and
//      within an upload bandwidth bound (a token bucket over every link)
//  [X] progress: a fetch's fraction; per link, how much of a photo it was sent and whether it
//      reported the photo whole (photo-got)
//  [X] memory bounded: photos held in memory (held_limit) fall out oldest first; storage is the app's
#pragma once

#include "core/crypto.hpp"
#include "core/photo.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace peddlenet {

struct PhotoTransferParams {
    double stall_ms = 10000;           // a fetch with no chunk for this long moves on
    double retry_ms = 3000;            // links that said "none" may be asked again after this
    std::size_t max_buffered_bytes = 256 * 1024; // per link send buffer while serving
    double upload_bytes_per_s = 2.0 * 1024 * 1024; // all links together
    std::size_t held_limit = 24;       // photos kept in memory
};

class PhotoTransfers {
public:
    struct Hooks {
        std::function<bool(const std::string& peer, const std::string& frame)> send_text;
        std::function<bool(const std::string& peer, std::string_view bytes)> send_binary;
        std::function<std::size_t(const std::string& peer)> buffered; // the link's send buffer
        // The app may hold the photo in storage: it answers with provide() or absent().
        std::function<void(const std::string& hash)> load;
        // A fetched photo checked out whole: the app stores and shows it.
        std::function<void(const std::string& hash, const std::shared_ptr<const std::string>& bytes)> fetched;
        // A link sent what does not add up to the photo (for the app's problem log).
        std::function<void(const std::string& peer, const std::string& why)> refused;
    };

    PhotoTransfers(Crypto& crypto, Hooks hooks, PhotoTransferParams params = {})
        : crypto_(crypto), hooks_(std::move(hooks)), params_(params) {}

    // Forgets every fetch, upload and held photo (leaving a room); pending hashes are ignored.
    void clear();
    // The photos the app keeps in storage: never fetched, served by asking the app (load).
    void set_stored(std::set<std::string> hashes);
    void note_stored(const std::string& hash) { stored_.insert(hash); }

    // A message with this photo is in the log; `source` (may be empty) brought it.
    void want(const PhotoRef& ref, const std::string& source);
    // The bytes of a photo (an own new one, or read from storage after load()).
    void provide(const std::string& hash, std::shared_ptr<const std::string> bytes);
    // The app found no such photo in storage.
    void absent(const std::string& hash);
    // Bytes held in memory, or null.
    std::shared_ptr<const std::string> held(const std::string& hash) const;

    // Frames from a proven link.
    void on_get(const std::string& peer, const std::string& hash, std::uint32_t offset);
    void on_none(const std::string& peer, const std::string& hash);
    void on_got(const std::string& peer, const std::string& hash);
    void on_chunk(const std::string& peer, const PhotoChunk& chunk);
    // A proven link opened (it may hold what others did not), or closed.
    void link_open(const std::string& peer);
    void link_gone(const std::string& peer);

    // Starts, moves and serves; `links`: the proven ones.
    void tick(double now_ms, const std::vector<std::string>& links);
    // Whether there is work that wants frequent ticks: uploads, which leave as send buffers drain.
    // Fetches move on chunks as they arrive and on the room's usual ticks, so a photo nobody can
    // send (its holders gone) costs no wake-ups.
    bool uploading() const { return !uploads_.empty(); }

    // A wanted photo's fetch: received / total, nullopt when not fetching it.
    std::optional<double> receiving(const std::string& hash) const;
    struct Sent {
        std::string peer;
        std::uint32_t bytes = 0; // sent to it so far
        bool whole = false;      // it reported the photo whole
    };
    // Per link, what of this photo we served (own photos: each recipient's progress).
    std::vector<Sent> sent(const std::string& hash) const;

    struct Counters {
        std::uint64_t chunks_sent = 0, chunks_received = 0;
        std::uint64_t bytes_sent = 0, bytes_received = 0;
        std::uint64_t refused = 0; // chunks or wholes that did not add up
        std::uint64_t fetched = 0; // photos fetched and checked
    };
    const Counters& counters() const { return counters_; }

private:
    struct Fetch {
        PhotoRef ref;
        std::string bytes;     // received so far, in order
        std::string source;    // the link asked now; empty between links
        std::string hint;      // the link that brought the message
        double asked_at = 0;   // last get or chunk
        std::set<std::string> said_none, blamed; // asked again after retry_ms / never
        double none_since = 0;
        bool checking = false; // hashing the whole
    };
    struct Upload {
        std::string peer, hash;
        std::uint32_t offset = 0;
    };

    void ask(Fetch& fetch, double now, const std::vector<std::string>& links);
    void check_whole(const std::string& hash);
    void blame(Fetch& fetch, std::string peer, const std::string& why); // a copy: it may be fetch.source
    void serve(double now);
    void hold(const std::string& hash, std::shared_ptr<const std::string> bytes);

    Crypto& crypto_;
    Hooks hooks_;
    PhotoTransferParams params_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0); // hashing completions check it
    std::map<std::string, Fetch> fetches_;
    std::deque<Upload> uploads_;                          // served round robin
    std::map<std::string, std::vector<Upload>> loading_; // hash -> requests waiting for load()
    std::map<std::string, std::shared_ptr<const std::string>> held_;
    std::deque<std::string> held_order_;                 // oldest first
    std::set<std::string> stored_;                       // hashes the app has in storage
    struct Progress {
        std::uint32_t bytes = 0;
        bool whole = false;
    };
    std::map<std::string, std::map<std::string, Progress>> sent_; // hash -> peer -> what it was sent
    double tokens_ = 0, tokens_at_ = -1;
    double now_ = 0; // the last tick's time
    Counters counters_;
};

} // namespace peddlenet
