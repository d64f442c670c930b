// photo.hpp: photos in chat. What a message says about its photo (PhotoRef: the content's hash,
// size, type and pixel size, signed with the message), what a picked file is before anything
// decodes it (inspect_image reads only its header), and the binary frame that carries a photo's
// bytes over a data channel (a chunk).
// Needs: core/i18n.hpp (refusals are messages), nlohmann/json.
// Never throws: every field and every header byte is checked before use.
//  [X] PhotoRef to and from JSON, validated like the rest of a message
//  [X] file headers of JPEG, PNG, WebP, GIF and BMP: format and size, or why not (not an
//      image, unreadable, too many pixels, too big a file) before decoding costs memory
//  [X] chunk frame: kind byte, the photo's sha-256, offset, data; its parser refuses any frame
//      that could not belong to a photo within the limits
#pragma once

#include "core/i18n.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace peddlenet {

// A sent photo's encoded size at most: the app aims at 300 KB (1600 px WebP or JPEG); this
// leaves room for other encoders while a room's 1000 messages stay far below phone storage.
inline constexpr std::uint32_t max_photo_bytes = 512 * 1024;
// Longest side of a sent photo, in pixels.
inline constexpr std::uint32_t max_photo_side = 1600;
// Largest picked file read at all (a 50-megapixel JPEG is 15-25 MB).
inline constexpr std::uint64_t max_source_file_bytes = 40ull * 1024 * 1024;
// Most pixels decoded from a picked file: 4 bytes each, 40 M is 160 MB of memory, about what a
// phone's browser tab survives. Phones' default 12 MP photos pass; their 48-50 MP modes do not.
inline constexpr std::uint64_t max_source_pixels = 40'000'000;
// Data per chunk frame: 16 KiB crosses every browser's data channels unsplit.
inline constexpr std::size_t photo_chunk_bytes = 16 * 1024;

// A message's photo. `hash` names the content: base64url of the sha-256 of the bytes.
struct PhotoRef {
    std::string hash;         // 43 chars, base64url of 32 bytes
    std::uint32_t bytes = 0;  // 1..max_photo_bytes
    std::string type;         // "image/webp" or "image/jpeg"
    std::uint32_t width = 0;  // 1..max_photo_side
    std::uint32_t height = 0; // 1..max_photo_side
    bool operator==(const PhotoRef&) const = default;
};
// {"hash","bytes","type","w","h"}
nlohmann::json photo_ref_to_json(const PhotoRef& p);
std::optional<PhotoRef> photo_ref_from_json(const nlohmann::json& j);
// Every field within the rules above.
bool is_valid_photo_ref(const PhotoRef& p);
bool is_photo_hash(std::string_view hash);

enum class ImageFormat : std::uint8_t { jpeg, png, webp, gif, bmp };
std::string_view to_string(ImageFormat f); // "jpeg", ...

// A picked file judged by its first bytes (64 KiB holds any of these headers but a JPEG with
// large metadata, whose size then reads as unknown: `error` photo.unreadable).
struct ImageInspection {
    ImageFormat format = ImageFormat::jpeg;
    std::uint32_t width = 0, height = 0; // as stored, before any EXIF rotation
    i18n::Message error;                 // empty: decode it
    bool ok() const { return error.empty(); }
};
// `head`: the file's first bytes (all of them for a small file); `file_size`: its whole size.
ImageInspection inspect_image(std::string_view head, std::uint64_t file_size);
// How many of a file's first bytes inspect_image wants.
inline constexpr std::size_t image_head_bytes = 64 * 1024;

// The binary frame of photo bytes on a data channel (text frames are JSON, which never starts
// with this byte):
//   [0] photo_chunk_kind  [1..32] the photo's raw sha-256  [33..36] offset, big-endian  [37..] data
inline constexpr std::uint8_t photo_chunk_kind = 0x01;
inline constexpr std::size_t photo_chunk_header_bytes = 37;
struct PhotoChunk {
    std::string hash;      // base64url, as in PhotoRef
    std::uint32_t offset = 0;
    std::string_view data; // 1..photo_chunk_bytes, and offset + size <= max_photo_bytes
};
std::string build_photo_chunk(std::string_view hash, std::uint32_t offset, std::string_view data);
// nullopt when it breaks any rule above (why says which).
std::optional<PhotoChunk> parse_photo_chunk(std::string_view frame, std::string* why = nullptr);

} // namespace peddlenet
