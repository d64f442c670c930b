// photo.cpp: see photo.hpp.
#include "core/photo.hpp"

#include "core/base64url.hpp"
#include "core/crypto.hpp"

#include <cstdint>
#include <string>

namespace peddlenet {
namespace {

using nlohmann::json;

std::uint32_t be16(std::string_view s, std::size_t at) {
    return (std::uint32_t{static_cast<unsigned char>(s[at])} << 8) | static_cast<unsigned char>(s[at + 1]);
}
std::uint32_t le16(std::string_view s, std::size_t at) {
    return (std::uint32_t{static_cast<unsigned char>(s[at + 1])} << 8) | static_cast<unsigned char>(s[at]);
}
std::uint32_t be32(std::string_view s, std::size_t at) { return (be16(s, at) << 16) | be16(s, at + 2); }
std::uint32_t le32(std::string_view s, std::size_t at) { return (le16(s, at + 2) << 16) | le16(s, at); }
std::uint32_t le24(std::string_view s, std::size_t at) {
    return (std::uint32_t{static_cast<unsigned char>(s[at + 2])} << 16) | le16(s, at);
}
bool starts(std::string_view s, std::size_t at, std::string_view magic) {
    return s.size() >= at + magic.size() && s.substr(at, magic.size()) == magic;
}

struct Size {
    std::uint32_t width = 0, height = 0;
};

// The frame header's size: the first SOFn marker before the scan. Markers are FF xx, any number
// of FF fill bytes may precede one, and all but the standalone ones carry a 2-byte length.
std::optional<Size> jpeg_size(std::string_view s) {
    std::size_t at = 2;
    while (at + 1 < s.size()) {
        if (static_cast<unsigned char>(s[at]) != 0xFF) return std::nullopt;
        const auto marker = static_cast<unsigned char>(s[at + 1]);
        ++at;
        if (marker == 0xFF) continue; // fill
        ++at;
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue; // standalone
        if (marker == 0xD8 || marker == 0xD9 || marker == 0xDA) return std::nullopt; // no frame yet
        if (at + 2 > s.size()) return std::nullopt;
        const std::uint32_t length = be16(s, at);
        if (length < 2) return std::nullopt;
        const bool frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (frame) {
            if (length < 7 || at + 7 > s.size()) return std::nullopt;
            return Size{be16(s, at + 5), be16(s, at + 3)};
        }
        at += length;
    }
    return std::nullopt;
}

std::optional<Size> png_size(std::string_view s) {
    if (s.size() < 24 || !starts(s, 12, "IHDR")) return std::nullopt;
    return Size{be32(s, 16), be32(s, 20)};
}

// RIFF "WEBP" with its first chunk: VP8 (lossy), VP8L (lossless) or VP8X (extended).
std::optional<Size> webp_size(std::string_view s) {
    if (starts(s, 12, "VP8 ")) {
        if (s.size() < 30 || !starts(s, 23, "\x9d\x01\x2a")) return std::nullopt;
        return Size{le16(s, 26) & 0x3FFF, le16(s, 28) & 0x3FFF};
    }
    if (starts(s, 12, "VP8L")) {
        if (s.size() < 25 || static_cast<unsigned char>(s[20]) != 0x2F) return std::nullopt;
        const std::uint32_t bits = le32(s, 21);
        return Size{(bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
    }
    if (starts(s, 12, "VP8X")) {
        if (s.size() < 30) return std::nullopt;
        return Size{le24(s, 24) + 1, le24(s, 27) + 1};
    }
    return std::nullopt;
}

std::optional<Size> gif_size(std::string_view s) {
    if (s.size() < 10) return std::nullopt;
    return Size{le16(s, 6), le16(s, 8)};
}

// BITMAPINFOHEADER and later: signed 32-bit width and height (a negative height is top-down).
std::optional<Size> bmp_size(std::string_view s) {
    if (s.size() < 26 || le32(s, 14) < 40) return std::nullopt;
    const auto w = static_cast<std::int32_t>(le32(s, 18));
    const auto h = static_cast<std::int32_t>(le32(s, 22));
    if (w <= 0 || h == 0 || h == INT32_MIN) return std::nullopt;
    return Size{static_cast<std::uint32_t>(w), static_cast<std::uint32_t>(h < 0 ? -h : h)};
}

std::string megapixels(std::uint64_t pixels) {
    // One decimal, rounded: 49.9 for a 50 MP camera's 8160 x 6120.
    const std::uint64_t tenths = (pixels + 50'000) / 100'000;
    return std::to_string(tenths / 10) + (tenths % 10 ? "." + std::to_string(tenths % 10) : "");
}

} // namespace

bool is_photo_hash(std::string_view hash) {
    const auto raw = base64url_decode(hash);
    return raw && raw->size() == sha256_bytes;
}

json photo_ref_to_json(const PhotoRef& p) {
    return json{{"hash", p.hash}, {"bytes", p.bytes}, {"type", p.type}, {"w", p.width}, {"h", p.height}};
}

bool is_valid_photo_ref(const PhotoRef& p) {
    return is_photo_hash(p.hash) && (p.type == "image/webp" || p.type == "image/jpeg") && p.bytes >= 1 &&
           p.bytes <= max_photo_bytes && p.width >= 1 && p.width <= max_photo_side && p.height >= 1 &&
           p.height <= max_photo_side;
}

std::optional<PhotoRef> photo_ref_from_json(const json& j) {
    if (!j.is_object()) return std::nullopt;
    const auto text = [&j](const char* key) -> const std::string* {
        const auto it = j.find(key);
        return it != j.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
    };
    const auto number = [&j](const char* key) -> std::optional<std::uint32_t> {
        const auto it = j.find(key);
        if (it == j.end() || !it->is_number_unsigned() || it->get<std::uint64_t>() > UINT32_MAX) return std::nullopt;
        return static_cast<std::uint32_t>(it->get<std::uint64_t>());
    };
    const std::string* hash = text("hash");
    const std::string* type = text("type");
    const auto bytes = number("bytes"), w = number("w"), h = number("h");
    if (!hash || !type || !bytes || !w || !h) return std::nullopt;
    PhotoRef ref{*hash, *bytes, *type, *w, *h};
    if (!is_valid_photo_ref(ref)) return std::nullopt;
    return ref;
}

std::string_view to_string(ImageFormat f) {
    switch (f) {
    case ImageFormat::jpeg: return "jpeg";
    case ImageFormat::png: return "png";
    case ImageFormat::webp: return "webp";
    case ImageFormat::gif: return "gif";
    case ImageFormat::bmp: return "bmp";
    }
    return "?";
}

ImageInspection inspect_image(std::string_view head, std::uint64_t file_size) {
    ImageInspection out;
    std::optional<Size> size;
    if (starts(head, 0, "\xFF\xD8\xFF")) {
        out.format = ImageFormat::jpeg;
        size = jpeg_size(head);
    } else if (starts(head, 0, "\x89PNG\r\n\x1a\n")) {
        out.format = ImageFormat::png;
        size = png_size(head);
    } else if (starts(head, 0, "RIFF") && starts(head, 8, "WEBP")) {
        out.format = ImageFormat::webp;
        size = webp_size(head);
    } else if (starts(head, 0, "GIF87a") || starts(head, 0, "GIF89a")) {
        out.format = ImageFormat::gif;
        size = gif_size(head);
    } else if (starts(head, 0, "BM")) {
        out.format = ImageFormat::bmp;
        size = bmp_size(head);
    } else {
        out.error = {"photo.not_image", {}};
        return out;
    }
    if (file_size > max_source_file_bytes) {
        out.error = {"photo.file_too_big",
                     {{"size", std::to_string(file_size / (1024 * 1024))},
                      {"max", std::to_string(max_source_file_bytes / (1024 * 1024))}}};
        return out;
    }
    if (!size || size->width == 0 || size->height == 0) {
        out.error = {"photo.unreadable", {}};
        return out;
    }
    out.width = size->width;
    out.height = size->height;
    const std::uint64_t pixels = std::uint64_t{size->width} * size->height;
    if (pixels > max_source_pixels) {
        out.error = {"photo.too_many_pixels",
                     {{"megapixels", megapixels(pixels)}, {"max", megapixels(max_source_pixels)}}};
    }
    return out;
}

std::string build_photo_chunk(std::string_view hash, std::uint32_t offset, std::string_view data) {
    std::string out;
    out.reserve(photo_chunk_header_bytes + data.size());
    out.push_back(static_cast<char>(photo_chunk_kind));
    out += base64url_decode(hash).value_or(std::string(sha256_bytes, '\0'));
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((offset >> shift) & 0xFF));
    out += data;
    return out;
}

std::optional<PhotoChunk> parse_photo_chunk(std::string_view frame, std::string* why) {
    const auto refuse = [why](const char* reason) -> std::optional<PhotoChunk> {
        if (why) *why = reason;
        return std::nullopt;
    };
    if (frame.size() <= photo_chunk_header_bytes) return refuse("chunk too short");
    if (static_cast<unsigned char>(frame[0]) != photo_chunk_kind) return refuse("not a chunk");
    const std::string_view data = frame.substr(photo_chunk_header_bytes);
    if (data.size() > photo_chunk_bytes) return refuse("chunk too long");
    const std::uint32_t offset = be32(frame, 1 + sha256_bytes);
    if (std::uint64_t{offset} + data.size() > max_photo_bytes) return refuse("chunk beyond any photo");
    return PhotoChunk{base64url_encode(frame.substr(1, sha256_bytes)), offset, data};
}

} // namespace peddlenet
