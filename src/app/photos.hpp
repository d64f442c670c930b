// photos.hpp: the app's photos: from the person's choice to a signed photo message, photos kept
// on this device, and photos as textures for the message list and the full-screen view.
// Needs: core (RoomEngine's PhotoTransfers, inspect_image, Crypto), platform (photo, storage,
// webgl_renderer's textures), app/language.hpp (what the person is told).
//  [X] send: chosen file -> header judged (core) -> prepared in a worker (platform) -> sha-256 ->
//      RoomEngine::send_photo -> kept in IndexedDB; each refusal is a sentence in `notice()`
//  [X] kept: every photo sent or fetched goes to IndexedDB; a full disk is explained (the photo
//      still shows and is still served until the page closes); the stored list tells the engine
//      what it need not fetch, and a link's request for a stored photo reads it back
//  [X] textures: thumbnails (longest side thumbnail_side) decoded on demand, least recently
//      drawn dropped past max_thumbnails; one full-size texture for the full-screen view; a photo
//      whose bytes are not an image (its author signed garbage) shows as "cannot be shown"
//  [X] timings of the last photo sent (pick to sent, worker time) for the automation API
#pragma once

#include "core/photo.hpp"
#include "core/room_engine.hpp"
#include "platform/photo.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace peddlenet::app {

class Photos {
public:
    // Longest side of a thumbnail texture, in pixels, and how many are kept.
    static constexpr int thumbnail_side = 480;
    static constexpr std::size_t max_thumbnails = 48;
    // What a prepared photo aims at (core's max_photo_bytes is the hard limit).
    static constexpr int target_bytes = 300 * 1024;

    Photos(RoomEngine& engine, Crypto& crypto) : engine_(engine), crypto_(crypto) {}
    Photos(const Photos&) = delete;
    Photos& operator=(const Photos&) = delete;

    // Hooks up the file inputs and reads which photos are kept.
    void start();
    void pick(platform::PhotoSource source);
    // A photo is being prepared or hashed (the composer shows it and waits).
    bool busy() const { return busy_; }
    // The last refusal or storage problem, for the room screen; cleared by clear_notice().
    const std::string& notice() const { return notice_; }
    void clear_notice() { notice_.clear(); }

    // RoomCallbacks::photo_load and photo_fetched.
    void load(const std::string& hash);
    void fetched(const std::string& hash, const std::shared_ptr<const std::string>& bytes);

    struct Texture {
        unsigned texture = 0; // GL name, 0 while decoding or when it failed
        bool failed = false;  // the bytes are not an image this browser decodes
    };
    // The photo's thumbnail (or full-size) texture; starts decoding when its bytes are here.
    // Null while there is nothing to draw yet.
    const Texture* thumbnail(const PhotoRef& ref);
    const Texture* full(const PhotoRef& ref);
    // Whether the bytes are on this device (in memory or IndexedDB).
    bool have(const std::string& hash) const;
    // Whether its thumbnail is drawn (decoded into a texture), or could not be.
    bool shown(const std::string& hash) const;
    // Epoch ms of the first frame that drew its thumbnail (0: not yet), for pick-to-shown figures.
    double shown_at(const std::string& hash) const;
    bool failed(const std::string& hash) const;

    struct Timing {
        double picked_at = 0;  // epoch ms when the file was chosen
        double sent_at = 0;    // epoch ms when the message was composed
        double worker_ms = 0;  // decode, scale and encode in the worker
        std::uint32_t bytes = 0;
        int width = 0, height = 0;
        std::string type, hash;
    };
    const Timing& last_sent() const { return last_; }

private:
    struct Entry {
        Texture tex;
        std::uint64_t used = 0; // frame it was last asked for
    };
    void on_picked(platform::PickedPhoto picked);
    void on_prepared(platform::PreparedPhoto prepared);
    void keep(const std::string& hash, const std::shared_ptr<const std::string>& bytes);
    const Texture* texture(std::map<std::string, Entry>& cache, const PhotoRef& ref, int side, std::size_t limit);
    void refuse(const std::string& sentence);

    RoomEngine& engine_;
    Crypto& crypto_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
    std::set<std::string> stored_; // hashes kept in IndexedDB
    std::map<std::string, Entry> thumbnails_, full_;
    std::map<std::string, double> shown_at_; // hash -> epoch ms its thumbnail was first drawn
    bool busy_ = false;
    std::string notice_;
    Timing last_, pending_;
};

} // namespace peddlenet::app
