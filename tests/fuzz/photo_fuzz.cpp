// photo_fuzz.cpp: photos (core/photo.hpp, core/photo_transfer.hpp) on hostile bytes. The first
// byte picks what the rest is:
//   0  a picked file's head for inspect_image: the answer equals a model written here from the
//      formats' layouts (the format by magic bytes, its size, or why not: not an image, too big a
//      file, unreadable, too many pixels), each call on a heap copy of exactly the bytes given so
//      that ASan reports any read past them, and every prefix of an accepted head is refused or
//      gives the same answer
//   1  a binary chunk frame for parse_photo_chunk: accepted exactly when a model says so (kind,
//      1..photo_chunk_bytes of data, offset + size within max_photo_bytes), and then written
//      again by build_photo_chunk byte for byte; frames built from input fields parse back,
//      also with their data moved to the end of the largest photo and one byte past it
//   2  JSON for photo_ref_from_json and chat_message_from_json: a ref is accepted exactly when
//      the model's field rules hold, and round-trips through photo_ref_to_json field for field;
//      an accepted message's photo obeys the same rules and the message round-trips
//   3  events for a real PhotoTransfers (want, provide, absent, stored, photo-get/none/got,
//      honest and forged chunks, links opening and closing, send buffers, time) with real
//      SHA-256 (tests/unit/openssl_crypto.hpp), at once or deferred: every chunk it sends parses,
//      holds the held photo's bytes at that offset and never past its end, goes to a link that
//      asked for it, whose buffer is below the bound, within the upload bound; photo-get only to
//      open links and below the photo's size; `fetched` only with bytes whose SHA-256 is the
//      hash; a fetch grows only by a chunk at exactly its offset; receiving() within [0,1];
//      held photos within held_limit; uploads finish once links drain
#include "core/base64url.hpp"
#include "core/chat_log.hpp"
#include "core/peer_protocol.hpp"
#include "core/photo.hpp"
#include "core/photo_transfer.hpp"
#include "fuzz/fuzz_check.hpp"
#include "unit/openssl_crypto.hpp"

#include <nlohmann/json.hpp>
#include <openssl/sha.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

using namespace peddlenet;
using namespace std::literals;
using nlohmann::json;

namespace {

unsigned byte_at(std::string_view s, std::size_t i) { return static_cast<unsigned char>(s[i]); }
using View = std::string_view;
std::uint32_t be16(View s, std::size_t i) { return byte_at(s, i) << 8 | byte_at(s, i + 1); }
std::uint32_t be32(View s, std::size_t i) { return be16(s, i) << 16 | be16(s, i + 2); }
std::uint32_t le16(View s, std::size_t i) { return byte_at(s, i) | byte_at(s, i + 1) << 8; }
std::uint32_t le24(View s, std::size_t i) { return le16(s, i) | byte_at(s, i + 2) << 16; }
std::uint32_t le32(View s, std::size_t i) { return le16(s, i) | le16(s, i + 2) << 16; }
bool has_at(std::string_view s, std::size_t i, std::string_view magic) {
    return s.size() >= i + magic.size() && s.substr(i, magic.size()) == magic;
}

// A copy of `bytes` in a heap block of exactly their size: ASan reports any read past its end.
class Exact {
public:
    explicit Exact(std::string_view bytes) : block_(new char[bytes.size()]), size_(bytes.size()) {
        if (size_) std::memcpy(block_.get(), bytes.data(), size_);
    }
    std::string_view view() const { return {block_.get(), size_}; }

private:
    std::unique_ptr<char[]> block_;
    std::size_t size_;
};

// ---- 0: file headers -------------------------------------------------------------------------

std::optional<ImageFormat> format_by_magic(std::string_view s) {
    if (has_at(s, 0, "\xFF\xD8\xFF"sv)) return ImageFormat::jpeg;
    if (has_at(s, 0, "\x89PNG\r\n\x1A\n"sv)) return ImageFormat::png;
    if (has_at(s, 0, "RIFF"sv) && has_at(s, 8, "WEBP"sv)) return ImageFormat::webp;
    if (has_at(s, 0, "GIF87a"sv) || has_at(s, 0, "GIF89a"sv)) return ImageFormat::gif;
    if (has_at(s, 0, "BM"sv)) return ImageFormat::bmp;
    return std::nullopt;
}

struct Dims {
    std::uint32_t width = 0, height = 0;
};

// JPEG (ITU T.81 B.1): after SOI, segments: a marker (FF, any number of FF fill bytes, a code);
// RSTn and TEM stand alone; every other segment has a big-endian length that counts itself. The
// first SOFn (C0..CF but DHT C4, JPG C8, DAC CC) holds P, Y (height), X (width); SOS, EOI or a
// second SOI before it means no frame header here.
std::optional<Dims> jpeg_dims(std::string_view s) {
    std::size_t i = 2;
    for (;;) {
        if (i >= s.size() || byte_at(s, i) != 0xFF) return std::nullopt;
        while (i < s.size() && byte_at(s, i) == 0xFF) ++i;
        if (i >= s.size()) return std::nullopt;
        const unsigned code = byte_at(s, i++);
        if (code == 0x01 || (code >= 0xD0 && code <= 0xD7)) continue;
        if (code == 0xD8 || code == 0xD9 || code == 0xDA) return std::nullopt;
        if (s.size() - i < 2) return std::nullopt;
        const std::size_t length = be16(s, i);
        if (length < 2) return std::nullopt;
        const bool sof =
            code >= 0xC0 && code <= 0xCF && code != 0xC4 && code != 0xC8 && code != 0xCC;
        if (sof) {
            if (length < 7 || s.size() - i < 7) return std::nullopt;
            return Dims{be16(s, i + 5), be16(s, i + 3)};
        }
        i += length;
    }
}

std::optional<Dims> model_dims(ImageFormat format, std::string_view s) {
    switch (format) {
    case ImageFormat::jpeg: return jpeg_dims(s);
    case ImageFormat::png: // signature, then the IHDR chunk: length, "IHDR", width, height
        if (s.size() < 24 || s.substr(12, 4) != "IHDR"sv) return std::nullopt;
        return Dims{be32(s, 16), be32(s, 20)};
    case ImageFormat::webp: { // RIFF size "WEBP", then the first chunk's fourcc and size at 12
        const std::string_view fourcc = s.size() >= 16 ? s.substr(12, 4) : ""sv;
        if (fourcc == "VP8 "sv) { // 3-byte frame tag at 20, start code 9D 01 2A, 14-bit sizes
            if (s.size() < 30 || s.substr(23, 3) != "\x9D\x01\x2A"sv) return std::nullopt;
            return Dims{le16(s, 26) & 0x3FFF, le16(s, 28) & 0x3FFF};
        }
        if (fourcc == "VP8L"sv) { // signature 2F at 20, then 14 bits width - 1, 14 bits height - 1
            if (s.size() < 25 || byte_at(s, 20) != 0x2F) return std::nullopt;
            const std::uint32_t bits = le32(s, 21);
            return Dims{(bits & 0x3FFF) + 1, (bits >> 14 & 0x3FFF) + 1};
        }
        if (fourcc == "VP8X"sv) { // flags at 20, canvas width - 1 and height - 1 in 24 bits at 24
            if (s.size() < 30) return std::nullopt;
            return Dims{le24(s, 24) + 1, le24(s, 27) + 1};
        }
        return std::nullopt;
    }
    case ImageFormat::gif: // logical screen descriptor after the 6-byte signature
        if (s.size() < 10) return std::nullopt;
        return Dims{le16(s, 6), le16(s, 8)};
    case ImageFormat::bmp: { // BITMAPINFOHEADER (40 bytes) or later at 14: signed width, height
        if (s.size() < 26 || le32(s, 14) < 40) return std::nullopt;
        const std::int64_t w = static_cast<std::int32_t>(le32(s, 18));
        const std::int64_t h = static_cast<std::int32_t>(le32(s, 22));
        if (w <= 0 || h == 0 || h == INT32_MIN) return std::nullopt;
        return Dims{static_cast<std::uint32_t>(w), static_cast<std::uint32_t>(h < 0 ? -h : h)};
    }
    }
    return std::nullopt;
}

bool sized(const ImageInspection& r) { return r.ok() || r.error.id == "photo.too_many_pixels"; }

// inspect_image on an exact copy of `head`, checked against the model.
ImageInspection check_inspection(std::string_view head, std::uint64_t file_size) {
    const Exact copy(head);
    const ImageInspection got = inspect_image(copy.view(), file_size);
    const auto format = format_by_magic(head);
    if (!format) {
        FUZZ_CHECK(got.error.id == "photo.not_image");
        return got;
    }
    FUZZ_CHECK(got.format == *format);
    if (file_size > max_source_file_bytes) {
        FUZZ_CHECK(got.error.id == "photo.file_too_big");
        return got;
    }
    const auto dims = model_dims(*format, head);
    if (!dims || dims->width == 0 || dims->height == 0) {
        FUZZ_CHECK(got.error.id == "photo.unreadable");
        return got;
    }
    FUZZ_CHECK(got.width == dims->width && got.height == dims->height);
    const std::uint64_t pixels = std::uint64_t{got.width} * got.height;
    FUZZ_CHECK(got.ok() == (pixels <= max_source_pixels));
    if (!got.ok())
        FUZZ_CHECK(got.error.id == "photo.too_many_pixels" && !i18n::to_string(got.error).empty());
    if (got.ok()) FUZZ_CHECK(got.width > 0 && got.height > 0 && pixels <= max_source_pixels);
    return got;
}

// A shorter head of the same file is refused or says the same; a head too short for the
// header must not be read past (every prefix is its own exact copy).
void check_prefix(std::string_view head, std::size_t length, std::uint64_t file_size,
                  const ImageInspection& whole) {
    const ImageInspection part = check_inspection(head.substr(0, length), file_size);
    if (part.error.id == "photo.not_image" || part.error.id == "photo.unreadable") return;
    FUZZ_CHECK(part.format == whole.format && part.width == whole.width &&
               part.height == whole.height && part.error == whole.error);
}

void run_inspect(std::string_view head) {
    check_inspection(head, max_source_file_bytes + 1);
    check_inspection(head, max_source_file_bytes);
    const ImageInspection whole = check_inspection(head, head.size());
    if (!sized(whole)) return;
    // Every prefix (libFuzzer's inputs stay within 4096 bytes; of a longer head, the first 4096
    // and the last 64).
    const std::uint64_t file_size = head.size();
    for (std::size_t n = 0; n < head.size() && n < 4096; ++n)
        check_prefix(head, n, file_size, whole);
    for (std::size_t n = std::max<std::size_t>(head.size(), 4096 + 64) - 64; n < head.size(); ++n)
        check_prefix(head, n, file_size, whole);
}

// ---- 1: chunk frames -------------------------------------------------------------------------

bool model_chunk(std::string_view frame) {
    if (frame.size() <= photo_chunk_header_bytes || byte_at(frame, 0) != photo_chunk_kind)
        return false;
    const std::size_t data = frame.size() - photo_chunk_header_bytes;
    const std::uint64_t offset = be32(frame, 1 + sha256_bytes);
    return data <= photo_chunk_bytes && offset + data <= max_photo_bytes;
}

void check_chunk_frame(std::string_view bytes) {
    const Exact copy(bytes);
    const std::string_view frame = copy.view();
    std::string why;
    const auto chunk = parse_photo_chunk(frame, &why);
    FUZZ_CHECK(chunk.has_value() == model_chunk(frame));
    if (!chunk) {
        FUZZ_CHECK(!why.empty());
        return;
    }
    FUZZ_CHECK(!chunk->data.empty() && chunk->data.size() <= photo_chunk_bytes);
    FUZZ_CHECK(std::uint64_t{chunk->offset} + chunk->data.size() <= max_photo_bytes);
    FUZZ_CHECK(is_photo_hash(chunk->hash));
    FUZZ_CHECK(chunk->offset == be32(frame, 1 + sha256_bytes));
    FUZZ_CHECK(chunk->data == frame.substr(photo_chunk_header_bytes));
    FUZZ_CHECK(build_photo_chunk(chunk->hash, chunk->offset, chunk->data) == frame);
}

void run_chunk(std::string_view input) {
    check_chunk_frame(input);
    // The other way: fields from the input, built, parsed back.
    // raw hash (32 bytes), offset (4), then the data; or, when the next byte's top bit is set, a
    // 15-bit data length and a pattern to repeat (chunks as long as the limit and one more).
    std::string raw(input.substr(0, sha256_bytes));
    raw.resize(sha256_bytes, '\0');
    const std::string_view rest = input.size() > sha256_bytes ? input.substr(sha256_bytes) : ""sv;
    const std::uint32_t offset = rest.size() >= 4 ? be32(rest, 0) : 0;
    std::string data(rest.size() >= 4 ? rest.substr(4) : ""sv);
    if (data.size() >= 2 && byte_at(data, 0) & 0x80) {
        const std::size_t n = (be16(data, 0) & 0x7FFF) % (photo_chunk_bytes + 2);
        const std::string pattern = data.size() > 2 ? data.substr(2) : "p";
        data.clear();
        while (data.size() < n) data += pattern;
        data.resize(n);
    }
    const std::string hash = base64url_encode(raw);
    const std::string frame = build_photo_chunk(hash, offset, data);
    FUZZ_CHECK(frame.size() == photo_chunk_header_bytes + data.size());
    const auto chunk = parse_photo_chunk(frame);
    FUZZ_CHECK(chunk.has_value() == (!data.empty() && data.size() <= photo_chunk_bytes &&
                                     std::uint64_t{offset} + data.size() <= max_photo_bytes));
    if (chunk) FUZZ_CHECK(chunk->hash == hash && chunk->offset == offset && chunk->data == data);
    check_chunk_frame(frame);
    // The same data at the end of the largest photo, and one byte further.
    if (data.empty() || data.size() > max_photo_bytes) return;
    const auto last = static_cast<std::uint32_t>(max_photo_bytes - data.size());
    check_chunk_frame(build_photo_chunk(hash, last, data));
    check_chunk_frame(build_photo_chunk(hash, last + 1, data));
}

// ---- 2: photo references in JSON -----------------------------------------------------------

bool model_hash(const std::string& s) {
    constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // 256 bits: 42 full characters and one of 4 bits and 2 zero bits
    if (s.size() != 43) return false;
    for (const char c : s)
        if (alphabet.find(c) == std::string_view::npos) return false;
    return (alphabet.find(s.back()) & 3) == 0;
}

bool model_ref(const json& j) {
    if (!j.is_object()) return false;
    const auto hash = j.find("hash");
    const auto type = j.find("type");
    if (hash == j.end() || !hash->is_string() || !model_hash(hash->get<std::string>()))
        return false;
    if (type == j.end() || !type->is_string()) return false;
    if (*type != "image/webp" && *type != "image/jpeg") return false;
    struct Field {
        const char* key;
        std::uint64_t max;
    };
    const Field fields[] = {
        {"bytes", max_photo_bytes}, {"w", max_photo_side}, {"h", max_photo_side}};
    for (const Field& f : fields) {
        const auto v = j.find(f.key);
        if (v == j.end() || !v->is_number_unsigned()) return false;
        const auto n = v->get<std::uint64_t>();
        if (n < 1 || n > f.max) return false;
    }
    return true;
}

void check_ref(const PhotoRef& ref) {
    FUZZ_CHECK(ref.hash.size() == 43 && is_photo_hash(ref.hash));
    FUZZ_CHECK(ref.bytes >= 1 && ref.bytes <= max_photo_bytes);
    FUZZ_CHECK(ref.width >= 1 && ref.width <= max_photo_side);
    FUZZ_CHECK(ref.height >= 1 && ref.height <= max_photo_side);
    FUZZ_CHECK(ref.type == "image/webp" || ref.type == "image/jpeg");
    const json back = photo_ref_to_json(ref);
    FUZZ_CHECK(photo_ref_from_json(back) == ref);
    FUZZ_CHECK(photo_ref_from_json(json::parse(back.dump())) == ref);
}

void check_ref_json(const json& j) {
    const auto ref = photo_ref_from_json(j);
    FUZZ_CHECK(ref.has_value() == model_ref(j));
    if (!ref) return;
    check_ref(*ref);
    const json back = photo_ref_to_json(*ref);
    FUZZ_CHECK(back.size() == 5);
    for (const char* key : {"hash", "bytes", "type", "w", "h"})
        FUZZ_CHECK(back.at(key) == j.at(key));
}

bool same_message(const ChatMessage& a, const ChatMessage& b) {
    return a.id == b.id && a.from == b.from && a.name == b.name && a.text == b.text &&
           a.photo == b.photo && a.ts_ms == b.ts_ms && a.lamport == b.lamport && a.sig == b.sig;
}

void check_message_json(const json& j) {
    std::string why;
    const auto m = chat_message_from_json(j, &why);
    if (!m) {
        FUZZ_CHECK(!why.empty());
        return;
    }
    const auto photo = j.find("photo");
    FUZZ_CHECK(m->photo.has_value() == (photo != j.end()));
    if (m->photo) {
        check_ref(*m->photo);
        FUZZ_CHECK(photo_ref_from_json(*photo) == m->photo);
    } else {
        FUZZ_CHECK(!m->text.empty()); // only a photo may come without text
    }
    const auto back = chat_message_from_json(chat_message_to_json(*m));
    FUZZ_CHECK(back && same_message(*back, *m));
}

void run_json(std::string_view input) {
    const json j = json::parse(input.begin(), input.end(), nullptr, false);
    if (j.is_discarded()) return;
    check_ref_json(j);
    check_message_json(j);
    if (j.is_object()) {
        if (const auto p = j.find("photo"); p != j.end()) check_ref_json(*p);
    } else if (j.is_array()) {
        for (const json& item : j) {
            check_ref_json(item);
            check_message_json(item);
        }
    }
}

// ---- 3: PhotoTransfers -----------------------------------------------------------------------

std::string sha256_raw(std::string_view data) {
    unsigned char out[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
    return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

constexpr std::size_t peer_count = 3;
const std::string& peer_name(std::size_t i) {
    static const std::string names[peer_count] = {"peer-0", "peer-1", "peer-2"};
    return names[i];
}

// The photos of the world: a (40,000 bytes) and b (300) exist; nothing here hashes to c or d.
// refs: a, b, c (20,000 bytes), and a's hash with a size one byte short (it never checks out).
struct Known {
    std::shared_ptr<const std::string> a, b;
    std::string hashes[4];
    PhotoRef refs[4];
    std::string c_bytes = std::string(20000, 'c'); // what a peer sends for c: never c
    Known() {
        std::string bytes(40000, '\0');
        std::uint32_t x = 0x12345678;
        for (char& c : bytes) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            c = static_cast<char>(x);
        }
        a = std::make_shared<const std::string>(bytes);
        b = std::make_shared<const std::string>(bytes.substr(1000, 300));
        hashes[0] = base64url_encode(sha256_raw(*a));
        hashes[1] = base64url_encode(sha256_raw(*b));
        hashes[2] = base64url_encode(std::string(32, '\x11'));
        hashes[3] = base64url_encode(std::string(32, '\xEE'));
        refs[0] = PhotoRef{hashes[0], 40000, "image/webp", 1600, 1200};
        refs[1] = PhotoRef{hashes[1], 300, "image/jpeg", 20, 15};
        refs[2] = PhotoRef{hashes[2], 20000, "image/jpeg", 100, 100};
        refs[3] = PhotoRef{hashes[0], 39999, "image/webp", 1600, 1200};
    }
    // The bytes an honest peer holds under `hash`.
    std::string_view truth(const std::string& hash) const {
        if (hash == hashes[0]) return *a;
        if (hash == hashes[1]) return *b;
        if (hash == hashes[2]) return c_bytes;
        return {};
    }
};
const Known& known() {
    static const Known k;
    return k;
}

// Reads the input front to back (seeds are written by hand); zeros once it is used up.
class Reader {
public:
    explicit Reader(std::string_view s) : s_(s) {}
    bool done() const { return at_ >= s_.size(); }
    std::uint8_t byte() { return at_ < s_.size() ? static_cast<std::uint8_t>(s_[at_++]) : 0; }
    std::uint32_t u16() {
        const std::uint32_t hi = byte();
        return hi << 8 | byte();
    }
    std::uint32_t u32() {
        const std::uint32_t hi = u16();
        return hi << 16 | u16();
    }
    std::string bytes(std::size_t n) {
        const std::size_t k = std::min(n, s_.size() - std::min(at_, s_.size()));
        std::string out(s_.substr(at_, k));
        at_ += k;
        out.resize(n, 'z');
        return out;
    }

private:
    std::string_view s_;
    std::size_t at_ = 0;
};

constexpr double burst_bytes = 4.0 * photo_chunk_bytes; // photo_transfer.cpp's upload_burst_bytes

// What the transfers' hooks see and what the target knows of the state.
struct World {
    PhotoTransferParams params;
    bool sync = true;
    std::vector<std::function<void()>> deferred; // crypto completions not yet run
    std::vector<std::string> links;              // open links, in the order they opened
    std::map<std::string, std::size_t> buffered;
    std::set<std::string> closed;                // sends to these fail
    // What this node holds under a hash: the bytes last provided or fetched.
    std::map<std::string, std::shared_ptr<const std::string>> content;
    // (peer, hash) that asked us since their link opened
    std::set<std::pair<std::string, std::string>> asked;
    struct Get {
        std::string peer, hash;
        std::uint32_t next = 0;
    };
    std::deque<Get> gets;                        // photo-get frames sent: what honest peers answer
    std::vector<std::string> loads;              // load() calls not answered yet
    std::map<std::string, std::uint32_t> fetch_bytes; // the size of the ref of each fetch started
    double now = 0, first_tick = -1;
    double binary_bytes = 0;
    bool ticking = false;
    std::uint64_t fetched = 0, refused = 0;
};
World* world = nullptr;

peddlenet::testing::OpenSslCrypto& crypto() {
    static peddlenet::testing::OpenSslCrypto c{
        std::string(32, 'P'), [](std::function<void()> task) {
            if (world && !world->sync) world->deferred.push_back(std::move(task));
            else task();
        }};
    return c;
}

bool linked(const World& w, const std::string& peer) {
    return std::find(w.links.begin(), w.links.end(), peer) != w.links.end();
}

PhotoTransfers::Hooks make_hooks(World& w) {
    PhotoTransfers::Hooks h;
    h.send_text = [&w](const std::string& peer, const std::string& frame) {
        const auto parsed = parse_peer_frame(frame);
        FUZZ_CHECK(parsed.has_value());
        if (const auto* get = std::get_if<PhotoGetFrame>(&*parsed)) {
            FUZZ_CHECK(w.ticking && linked(w, peer)); // asks only in tick, only open links
            const auto size = w.fetch_bytes.find(get->photo);
            FUZZ_CHECK(size != w.fetch_bytes.end() && get->offset < size->second);
            if (!w.closed.count(peer)) {
                w.gets.push_back({peer, get->photo, get->offset});
                if (w.gets.size() > 8) w.gets.pop_front();
            }
        } else {
            FUZZ_CHECK(std::holds_alternative<PhotoNoneFrame>(*parsed) ||
                       std::holds_alternative<PhotoGotFrame>(*parsed));
        }
        return !w.closed.count(peer);
    };
    h.send_binary = [&w](const std::string& peer, std::string_view bytes) {
        FUZZ_CHECK(w.ticking);
        const auto chunk = parse_photo_chunk(bytes);
        FUZZ_CHECK(chunk.has_value());
        const auto held = w.content.find(chunk->hash);
        FUZZ_CHECK(held != w.content.end());
        const std::string& photo = *held->second;
        FUZZ_CHECK(std::uint64_t{chunk->offset} + chunk->data.size() <= photo.size());
        FUZZ_CHECK(photo.compare(chunk->offset, chunk->data.size(), chunk->data) == 0);
        FUZZ_CHECK(w.asked.count({peer, chunk->hash}));
        FUZZ_CHECK(w.buffered[peer] < w.params.max_buffered_bytes);
        if (w.closed.count(peer)) return false;
        w.binary_bytes += static_cast<double>(chunk->data.size());
        const double refill = w.params.upload_bytes_per_s * (w.now - w.first_tick) / 1000.0;
        FUZZ_CHECK(w.binary_bytes <= burst_bytes + refill + 1);
        return true;
    };
    h.buffered = [&w](const std::string& peer) { return w.buffered[peer]; };
    h.load = [&w](const std::string& hash) {
        w.loads.push_back(hash);
        if (w.loads.size() > 8) w.loads.erase(w.loads.begin());
    };
    h.fetched = [&w](const std::string& hash, const std::shared_ptr<const std::string>& bytes) {
        FUZZ_CHECK(bytes != nullptr);
        FUZZ_CHECK(base64url_encode(sha256_raw(*bytes)) == hash);
        FUZZ_CHECK(w.fetch_bytes.count(hash) && bytes->size() == w.fetch_bytes[hash]);
        w.content[hash] = bytes;
        ++w.fetched;
    };
    h.refused = [&w](const std::string&, const std::string& why) {
        FUZZ_CHECK(!why.empty());
        ++w.refused;
    };
    return h;
}

// How many bytes the fetch of `hash` holds, nullopt when not fetching it.
std::optional<std::uint64_t> received(const World& w, const PhotoTransfers& t,
                                      const std::string& hash) {
    const auto fraction = t.receiving(hash);
    if (!fraction) return std::nullopt;
    FUZZ_CHECK(*fraction >= 0.0 && *fraction <= 1.0);
    const auto size = w.fetch_bytes.find(hash);
    FUZZ_CHECK(size != w.fetch_bytes.end());
    return static_cast<std::uint64_t>(std::llround(*fraction * size->second));
}

// A chunk frame from `peer`, as the app hands it over: only once it parsed.
void deliver(World& w, PhotoTransfers& t, const std::string& peer, const std::string& frame) {
    const auto chunk = parse_photo_chunk(frame);
    if (!chunk) return;
    const auto before = received(w, t, chunk->hash);
    const std::uint64_t fetched = w.fetched;
    t.on_chunk(peer, *chunk);
    const auto after = received(w, t, chunk->hash);
    if (!before) {
        FUZZ_CHECK(!after); // a chunk never starts a fetch
        return;
    }
    const bool continues = chunk->offset == *before;
    if (!after) { // done: it checked out
        FUZZ_CHECK(w.fetched == fetched + 1 && continues &&
                   *before + chunk->data.size() == w.fetch_bytes[chunk->hash]);
        return;
    }
    // Dropped, refused (the fetch starts over), or appended at exactly where the fetch stood.
    FUZZ_CHECK(*after == *before || *after == 0 ||
               (continues && *after == *before + chunk->data.size()));
}

void tick(World& w, PhotoTransfers& t, double dt) {
    w.now += dt;
    if (w.first_tick < 0) w.first_tick = w.now;
    w.ticking = true;
    t.tick(w.now, w.links);
    w.ticking = false;
}

void run_deferred(World& w) {
    auto tasks = std::move(w.deferred);
    w.deferred.clear();
    for (auto& task : tasks) task();
}

void check_state(const World& w, const PhotoTransfers& t) {
    std::size_t held = 0;
    for (const std::string& hash : known().hashes) {
        received(w, t, hash);
        if (const auto bytes = t.held(hash)) {
            ++held;
            const auto content = w.content.find(hash);
            FUZZ_CHECK(content != w.content.end() && content->second == bytes);
        }
        const auto rows = t.sent(hash);
        FUZZ_CHECK(rows.size() <= peer_count);
    }
    FUZZ_CHECK(held <= w.params.held_limit);
    FUZZ_CHECK(t.counters().fetched == w.fetched && t.counters().refused == w.refused);
}

void step(Reader& r, World& w, PhotoTransfers& t) {
    const Known& k = known();
    const auto hash = [&]() -> const std::string& { return k.hashes[r.byte() % 4]; };
    const auto peer = [&]() -> const std::string& { return peer_name(r.byte() % peer_count); };
    switch (r.byte() % 16) {
    case 0: { // a message with a photo is in the log
        const PhotoRef& ref = k.refs[r.byte() % 4];
        const std::size_t from = r.byte() % (peer_count + 1);
        const bool before = t.receiving(ref.hash).has_value();
        t.want(ref, from == peer_count ? std::string() : peer_name(from));
        if (!before && t.receiving(ref.hash)) w.fetch_bytes[ref.hash] = ref.bytes;
        break;
    }
    case 1: { // the app provides bytes: a or b, or anything under c
        const std::uint8_t which = r.byte() % 3;
        const std::string& h = k.hashes[which];
        std::shared_ptr<const std::string> bytes = which == 0 ? k.a : which == 1 ? k.b : nullptr;
        if (!bytes) bytes = std::make_shared<const std::string>(r.bytes(1 + r.u16() % 3000));
        w.content[h] = bytes;
        t.provide(h, bytes);
        FUZZ_CHECK(t.held(h) == bytes && !t.receiving(h));
        break;
    }
    case 2: t.absent(hash()); break;
    case 3: t.note_stored(hash()); break;
    case 4: { // photo-get
        const std::string& p = peer();
        const std::string& h = hash();
        std::uint32_t offset = 0;
        switch (r.byte() % 4) {
        case 0: break;
        case 1: offset = photo_chunk_bytes; break;
        case 2: offset = r.u32() % max_photo_bytes; break;
        default: {
            const auto size = static_cast<std::uint32_t>(k.truth(h).size());
            offset = size > 0 ? size - 1 - std::min<std::uint32_t>(r.byte(), size - 1) : 0;
        }
        }
        w.asked.insert({p, h});
        t.on_get(p, h, offset);
        if (t.held(h)) FUZZ_CHECK(t.uploading());
        break;
    }
    case 5: {
        const std::string& p = peer();
        t.on_none(p, hash());
        break;
    }
    case 6: {
        const std::string& p = peer();
        const std::string& h = hash();
        t.on_got(p, h);
        for (const auto& row : t.sent(h))
            if (row.peer == p) FUZZ_CHECK(row.whole);
        break;
    }
    case 7: { // an honest peer answers a photo-get it got (corrupted, if the input says so)
        const std::uint8_t pick = r.byte(), length = r.byte(), corrupt = r.byte();
        if (w.gets.empty()) break;
        World::Get& get = w.gets[pick % w.gets.size()];
        if (!linked(w, get.peer)) break;
        const std::string_view truth = k.truth(get.hash);
        const std::size_t left = get.next < truth.size() ? truth.size() - get.next : 0;
        std::size_t n = length < 128 ? std::min(photo_chunk_bytes, left)
                                     : 1 + (length * 131u) % photo_chunk_bytes;
        if (n == 0) n = 1;
        std::string data(get.next < truth.size() ? truth.substr(get.next, n) : ""sv);
        data.resize(n, 'x');
        if (corrupt > 0 && corrupt < 32) data[(corrupt * 997u) % n] ^= 0x20;
        const std::string p = get.peer, h = get.hash;
        const std::uint32_t offset = get.next;
        get.next += static_cast<std::uint32_t>(n);
        deliver(w, t, p, build_photo_chunk(h, offset, data));
        break;
    }
    case 8: { // any chunk from any peer: the photo's own bytes at some offset, or input bytes
        const std::string& p = peer();
        const std::string& h = hash();
        const std::uint8_t at = r.byte();
        const auto now_at = received(w, t, h).value_or(0);
        std::uint32_t offset = 0;
        switch (at % 4) {
        case 0: offset = static_cast<std::uint32_t>(now_at); break;
        case 1: break;
        case 2: offset = r.u32(); break;
        default: offset = static_cast<std::uint32_t>(now_at + r.byte()) - 128; break;
        }
        const std::size_t n = 1 + r.u16() % (photo_chunk_bytes + 1);
        std::string data;
        const std::string_view truth = k.truth(h);
        if (at & 0x80 && offset < truth.size()) data = std::string(truth.substr(offset, n));
        else data = r.bytes(std::min<std::size_t>(n, 64));
        data.resize(n, 'y');
        deliver(w, t, p, build_photo_chunk(h, offset, data));
        break;
    }
    case 9: {
        const std::string& p = peer();
        if (!linked(w, p)) w.links.push_back(p);
        t.link_open(p);
        break;
    }
    case 10: {
        const std::string& p = peer();
        std::erase(w.links, p);
        std::erase_if(w.asked, [&](const auto& a) { return a.first == p; });
        t.link_gone(p);
        break;
    }
    case 11: {
        constexpr double steps[] = {0, 1, 100, 1000, 3001, 10001, 60000};
        const std::uint8_t s = r.byte() % 8;
        tick(w, t, s < 7 ? steps[s] : r.u16());
        break;
    }
    case 12: {
        const std::string& p = peer();
        const std::size_t max = w.params.max_buffered_bytes;
        const std::size_t values[] = {0, max - 1, max, 1u << 30};
        w.buffered[p] = values[r.byte() % 4];
        break;
    }
    case 13: run_deferred(w); break;
    case 14: { // the app answers a load(): from storage, or not there
        const std::uint8_t pick = r.byte(), found = r.byte();
        if (w.loads.empty()) break;
        const std::string h = w.loads[pick % w.loads.size()];
        w.loads.erase(w.loads.begin() + pick % w.loads.size());
        if (found & 1 && (h == k.hashes[0] || h == k.hashes[1])) {
            const auto bytes = h == k.hashes[0] ? k.a : k.b;
            w.content[h] = bytes;
            t.provide(h, bytes);
        } else {
            t.absent(h);
        }
        break;
    }
    default: {
        const std::uint8_t what = r.byte();
        switch (what % 4) {
        case 0: // leaving the room
            t.clear();
            w.asked.clear();
            w.gets.clear();
            FUZZ_CHECK(!t.uploading());
            for (const std::string& h : k.hashes) FUZZ_CHECK(!t.receiving(h) && !t.held(h));
            break;
        case 1: {
            std::set<std::string> stored;
            for (int i = 0; i < 4; ++i)
                if (what >> (4 + i) & 1) stored.insert(k.hashes[i]);
            t.set_stored(std::move(stored));
            break;
        }
        case 2: {
            const std::string& p = peer();
            if (!w.closed.erase(p)) w.closed.insert(p);
            break;
        }
        default: w.sync = !w.sync; break;
        }
    }
    }
}

void run_transfers(std::string_view input) {
    Reader r(input);
    World w;
    world = &w;
    const std::uint8_t config = r.byte();
    w.sync = !(config & 0x80);
    w.params.held_limit = 1 + config % 4;
    std::vector<std::function<void()>> late; // completions that arrive after the transfers are gone
    {
        PhotoTransfers t(crypto(), make_hooks(w), w.params);
        for (int n = 0; n < 512 && !r.done(); ++n) {
            step(r, w, t);
            check_state(w, t);
        }
        // Drain: buffers empty, every link writable, completions at once. Uploads then finish.
        late = std::move(w.deferred);
        w.deferred.clear();
        w.buffered.clear();
        w.closed.clear();
        w.sync = true;
        for (int n = 0; n < 40 && t.uploading(); ++n) {
            tick(w, t, 1000);
            check_state(w, t);
        }
        FUZZ_CHECK(!t.uploading());
    }
    for (auto& task : late) task(); // each must see that its transfers are gone, and do nothing
    world = nullptr;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 4) {
    case 0: run_inspect(input); break;
    case 1: run_chunk(input); break;
    case 2: run_json(input); break;
    default: run_transfers(input); break;
    }
    return 0;
}
