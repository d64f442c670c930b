// photos.cpp: see photos.hpp.
#include "app/photos.hpp"

#include "app/language.hpp"
#include "core/base64url.hpp"
#include "platform/main_loop.hpp"
#include "platform/storage.hpp"
#include "platform/webgl_renderer.hpp"

#include <emscripten/emscripten.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

namespace peddlenet::app {
namespace {

double epoch_ms() {
    return std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A photo's pixel size fitted into a square of `side`.
std::pair<int, int> fitted(const PhotoRef& ref, int side) {
    const double scale = std::min(1.0, static_cast<double>(side) / std::max(ref.width, ref.height));
    return {std::max(1, static_cast<int>(std::lround(ref.width * scale))),
            std::max(1, static_cast<int>(std::lround(ref.height * scale)))};
}

} // namespace

void Photos::start() {
    platform::photo_init([this](platform::PickedPhoto picked) { on_picked(std::move(picked)); });
    const std::weak_ptr<int> alive = alive_;
    platform::photo_keys([this, alive](std::vector<std::string> hashes) {
        if (alive.expired()) return;
        stored_.insert(hashes.begin(), hashes.end());
        engine_.photos().set_stored(stored_);
        platform::refresh();
    });
}

void Photos::pick(platform::PhotoSource source) {
    notice_.clear();
    platform::pick_photo(source);
}

void Photos::refuse(const std::string& sentence) {
    notice_ = sentence;
    busy_ = false;
    platform::refresh();
}

void Photos::on_picked(platform::PickedPhoto picked) {
    notice_.clear(); // a new choice: the last refusal is old news
    pending_ = Timing{};
    pending_.picked_at = epoch_ms();
    if (busy_) { // one at a time: the composer shows the first until it is sent
        platform::drop_photo(picked.handle);
        return;
    }
    if (picked.size < 0) {
        platform::drop_photo(picked.handle);
        return refuse(tr("photo.unreadable"));
    }
    const ImageInspection inspected = inspect_image(picked.head, static_cast<std::uint64_t>(picked.size));
    if (!inspected.ok()) {
        platform::drop_photo(picked.handle);
        return refuse(tr(inspected.error));
    }
    busy_ = true;
    const std::weak_ptr<int> alive = alive_;
    platform::prepare_photo(picked.handle, static_cast<int>(max_photo_side), target_bytes,
                            [this, alive](platform::PreparedPhoto prepared) {
                                if (!alive.expired()) on_prepared(std::move(prepared));
                            });
    platform::refresh();
}

void Photos::on_prepared(platform::PreparedPhoto prepared) {
    if (!prepared.ok) {
        emscripten_log(EM_LOG_WARN, "PeddleNet: photo not decoded: %s", prepared.type.c_str());
        return refuse(tr("photo.corrupt"));
    }
    if (prepared.bytes.empty() || prepared.bytes.size() > max_photo_bytes) return refuse(tr("photo.corrupt"));
    pending_.worker_ms = prepared.worker_ms;
    auto bytes = std::make_shared<const std::string>(std::move(prepared.bytes));
    PhotoRef ref;
    ref.bytes = static_cast<std::uint32_t>(bytes->size());
    ref.type = prepared.type;
    ref.width = static_cast<std::uint32_t>(prepared.width);
    ref.height = static_cast<std::uint32_t>(prepared.height);
    const std::weak_ptr<int> alive = alive_;
    crypto_.sha256(*bytes, [this, alive, ref, bytes](std::optional<std::string> digest) mutable {
        if (alive.expired()) return;
        if (!digest) return refuse(tr("photo.corrupt"));
        ref.hash = base64url_encode(*digest);
        const SendResult sent = engine_.send_photo(ref, bytes, "");
        if (!sent.ok()) return refuse(tr(sent.error));
        pending_.sent_at = epoch_ms();
        pending_.bytes = ref.bytes;
        pending_.width = static_cast<int>(ref.width);
        pending_.height = static_cast<int>(ref.height);
        pending_.type = ref.type;
        pending_.hash = ref.hash;
        last_ = pending_;
        busy_ = false;
        keep(ref.hash, bytes);
        platform::refresh();
    });
}

void Photos::fetched(const std::string& hash, const std::shared_ptr<const std::string>& bytes) {
    keep(hash, bytes);
}

void Photos::keep(const std::string& hash, const std::shared_ptr<const std::string>& bytes) {
    const std::weak_ptr<int> alive = alive_;
    platform::photo_put(hash, *bytes, [this, alive, hash](bool ok, const std::string& error) {
        if (alive.expired()) return;
        if (ok) {
            stored_.insert(hash);
            engine_.photos().note_stored(hash);
            return;
        }
        emscripten_log(EM_LOG_WARN, "PeddleNet: photo not kept: %s", error.c_str());
        notice_ = error.rfind("QuotaExceededError", 0) == 0 ? tr("photo.storage_full")
                                                              : tr("photo.not_kept", {{"reason", error}});
        platform::refresh();
    });
}

void Photos::load(const std::string& hash) {
    const std::weak_ptr<int> alive = alive_;
    platform::photo_get(hash, [this, alive, hash](std::optional<std::string> bytes) {
        if (alive.expired()) return;
        if (bytes) engine_.photos().provide(hash, std::make_shared<const std::string>(std::move(*bytes)));
        else engine_.photos().absent(hash);
    });
}

bool Photos::have(const std::string& hash) const {
    return stored_.count(hash) || engine_.photos().held(hash);
}

bool Photos::shown(const std::string& hash) const {
    const auto it = thumbnails_.find(hash);
    return it != thumbnails_.end() && it->second.tex.texture != 0;
}

double Photos::shown_at(const std::string& hash) const {
    const auto it = shown_at_.find(hash);
    return it == shown_at_.end() ? 0.0 : it->second;
}

bool Photos::failed(const std::string& hash) const {
    const auto it = thumbnails_.find(hash);
    return it != thumbnails_.end() && it->second.tex.failed;
}

const Photos::Texture* Photos::thumbnail(const PhotoRef& ref) {
    const Texture* t = texture(thumbnails_, ref, thumbnail_side, max_thumbnails);
    // The first frame that draws it: the end of "pick to shown" (bounded: measurements only).
    if (t && t->texture && shown_at_.size() < 4 * max_thumbnails) shown_at_.try_emplace(ref.hash, epoch_ms());
    return t;
}

const Photos::Texture* Photos::full(const PhotoRef& ref) {
    return texture(full_, ref, static_cast<int>(max_photo_side), 1);
}

const Photos::Texture* Photos::texture(std::map<std::string, Entry>& cache, const PhotoRef& ref, int side,
                                       std::size_t limit) {
    const std::uint64_t frame = platform::frames_drawn();
    if (const auto it = cache.find(ref.hash); it != cache.end()) {
        it->second.used = frame;
        return it->second.tex.texture || it->second.tex.failed ? &it->second.tex : nullptr;
    }
    auto bytes = engine_.photos().held(ref.hash);
    if (!bytes && !stored_.count(ref.hash)) return nullptr; // not here yet
    // Room for one more: the least recently drawn goes (never one drawn this frame).
    if (cache.size() >= limit) {
        auto oldest = std::min_element(cache.begin(), cache.end(),
                                       [](const auto& a, const auto& b) { return a.second.used < b.second.used; });
        if (oldest->second.used == frame) return nullptr;
        if (oldest->second.tex.texture) platform::delete_texture(oldest->second.tex.texture);
        cache.erase(oldest);
    }
    Entry& entry = cache[ref.hash];
    entry.used = frame;
    const std::weak_ptr<int> alive = alive_;
    const std::pair<int, int> size = fitted(ref, side);
    auto* table = &cache;
    const auto decode = [alive, table, hash = ref.hash, type = ref.type, w = size.first, h = size.second](const std::string& data) {
        const unsigned name = platform::create_texture();
        platform::decode_photo(data, type, w, h, name, [alive, table, hash, name](bool ok) {
            const auto it = alive.expired() ? table->end() : table->find(hash);
            if (it == table->end() || it->second.tex.texture || it->second.tex.failed) {
                platform::delete_texture(name); // dropped from the cache meanwhile
                return;
            }
            if (ok) {
                it->second.tex.texture = name;
            } else {
                platform::delete_texture(name);
                it->second.tex.failed = true;
            }
            platform::refresh();
        });
    };
    if (bytes) {
        decode(*bytes);
        return nullptr;
    }
    platform::photo_get(ref.hash, [this, alive, table, decode, ref](std::optional<std::string> data) {
        if (alive.expired()) return;
        const auto it = table->find(ref.hash);
        if (it == table->end()) return;
        if (data) {
            decode(*data);
        } else { // gone from storage (the browser evicted it): fetch it again
            stored_.erase(ref.hash);
            table->erase(it);
            engine_.photos().absent(ref.hash);
            engine_.photos().want(ref, {});
        }
    });
    return nullptr;
}

} // namespace peddlenet::app
