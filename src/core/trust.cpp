// trust.cpp: see trust.hpp.
#include "core/trust.hpp"

#include "core/base64url.hpp"
#include "core/chat_log.hpp"
#include "core/text.hpp"

#include <memory>
#include <utility>

namespace peddlenet {
namespace {

// Domain separation labels: a MAC or signature made for one purpose is worthless for another.
constexpr std::string_view label_room_id = "peddlenet room id v1";
constexpr std::string_view label_proof_key = "peddlenet link proof key v1";
constexpr std::string_view label_open_room = "peddlenet open room v1";
constexpr std::string_view label_message = "peddlenet-msg-v1";
constexpr std::string_view label_link = "peddlenet-link-v1";
constexpr std::string_view label_presence = "peddlenet-presence-v1";
constexpr std::string_view label_safety = "peddlenet-safety-v1";

// "<decimal length>:<bytes>," so that field boundaries are unambiguous.
void append_field(std::string& out, std::string_view field) {
    out += std::to_string(field.size());
    out += ':';
    out += field;
    out += ',';
}

// Encodings of the Ed25519 points of small order (the 8-torsion: y = 0, 1, -1 and the two
// order-8 y values, plus the non-canonical p and p + 1), compared without the sign bit.
// A signature made of such points (e.g. R = identity, S = 0 for the key 01 00..00) verifies for
// every message, so nobody holds such a "key" privately and anyone can speak as it.
constexpr unsigned char small_order_y[7][32] = {
    {0x00},
    {0x01},
    {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
     0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
    {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
     0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    {0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
};

bool has_small_order(std::string_view key) {
    for (const auto& y : small_order_y) {
        bool same = true;
        for (std::size_t i = 0; i < 32 && same; ++i) {
            const auto b = static_cast<unsigned char>(key[i]);
            same = (i == 31 ? (b & 0x7f) : b) == y[i];
        }
        if (same) return true;
    }
    return false;
}

} // namespace

std::string make_room_key(const RandomSource& random) {
    std::string key;
    key.reserve(room_key_bytes);
    while (key.size() < room_key_bytes) {
        std::uint32_t v = random();
        for (int i = 0; i < 4 && key.size() < room_key_bytes; ++i, v >>= 8)
            key.push_back(static_cast<char>(v & 0xFFu));
    }
    return key;
}

void derive_private_room(Crypto& crypto, std::string key, RoomKeysDone done) {
    if (key.size() != room_key_bytes) {
        done(std::nullopt);
        return;
    }
    auto shared_done = std::make_shared<RoomKeysDone>(std::move(done));
    crypto.hmac_sha256(key, std::string(label_room_id),
                       [&crypto, key, shared_done](std::optional<std::string> id) {
                           if (!id) return (*shared_done)(std::nullopt);
                           crypto.hmac_sha256(
                               key, std::string(label_proof_key),
                               [key, id = std::move(*id), shared_done](std::optional<std::string> proof) {
                                   if (!proof) return (*shared_done)(std::nullopt);
                                   (*shared_done)(RoomKeys{base64url_encode(id), std::move(*proof),
                                                           true, key});
                               });
                       });
}

void derive_open_room(Crypto& crypto, std::string name, RoomKeysDone done) {
    if (!is_valid_id(name)) {
        done(std::nullopt);
        return;
    }
    crypto.hmac_sha256(std::string(label_open_room), name,
                       [name, done = std::move(done)](std::optional<std::string> proof) {
                           if (!proof) return done(std::nullopt);
                           done(RoomKeys{name, std::move(*proof), false, {}});
                       });
}

bool is_peer_key_id(std::string_view id) { return peer_public_key(id).has_value(); }

std::optional<std::string> peer_public_key(std::string_view id) {
    if (id.size() != peer_id_length) return std::nullopt;
    auto key = base64url_decode(id);
    if (!key || key->size() != ed25519_public_key_bytes) return std::nullopt;
    if (has_small_order(*key)) return std::nullopt; // a key anyone can sign for is no identity
    return key;
}

std::string message_signing_payload(std::string_view room_id, const ChatMessage& m) {
    std::string out;
    out.reserve(m.text.size() + m.name.size() + 200);
    append_field(out, label_message);
    append_field(out, room_id);
    append_field(out, m.id);
    append_field(out, m.from);
    append_field(out, m.name);
    append_field(out, std::to_string(m.ts_ms));
    append_field(out, std::to_string(m.lamport));
    append_field(out, m.text);
    // Only photo messages have these fields, so every text message keeps its signature.
    if (m.photo) {
        append_field(out, "photo");
        append_field(out, m.photo->hash);
        append_field(out, std::to_string(m.photo->bytes));
        append_field(out, m.photo->type);
        append_field(out, std::to_string(m.photo->width));
        append_field(out, std::to_string(m.photo->height));
    }
    return out;
}

std::string presence_signing_payload(std::string_view room_id, std::string_view peer,
                                     std::string_view name, std::string_view session,
                                     std::int64_t ts_ms) {
    std::string out;
    append_field(out, label_presence);
    append_field(out, room_id);
    append_field(out, peer);
    append_field(out, name);
    append_field(out, session);
    append_field(out, std::to_string(ts_ms));
    return out;
}

std::string link_proof_payload(std::string_view room_id, std::string_view from_id,
                               std::string_view to_id, std::string_view from_fingerprint,
                               std::string_view to_fingerprint) {
    std::string out;
    append_field(out, label_link);
    append_field(out, room_id);
    append_field(out, from_id);
    append_field(out, to_id);
    append_field(out, from_fingerprint);
    append_field(out, to_fingerprint);
    return out;
}

std::optional<std::string> normalize_fingerprint(std::string_view fingerprint) {
    std::string out;
    for (const char c : fingerprint) {
        if (c == ':') continue;
        if (c >= '0' && c <= '9') out.push_back(c);
        else if (c >= 'a' && c <= 'f') out.push_back(c);
        else if (c >= 'A' && c <= 'F') out.push_back(static_cast<char>(c - 'A' + 'a'));
        else return std::nullopt;
    }
    if (out.size() != 2 * sha256_bytes) return std::nullopt;
    return out;
}

std::string safety_code_input(std::string_view peer_a, std::string_view peer_b) {
    if (peer_b < peer_a) std::swap(peer_a, peer_b);
    std::string out;
    append_field(out, label_safety);
    append_field(out, peer_a);
    append_field(out, peer_b);
    return out;
}

std::string format_safety_code(std::string_view digest) {
    // Four groups of five digits, each from 32 bits of the digest (bias below 2^-15 per group).
    std::string out;
    for (std::size_t g = 0; g < 4 && digest.size() >= 4 * (g + 1); ++g) {
        std::uint32_t v = 0;
        for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(digest[4 * g + i]);
        std::string group = std::to_string(v % 100000);
        group.insert(0, 5 - group.size(), '0');
        if (!out.empty()) out += ' ';
        out += group;
    }
    return out;
}

void make_safety_code(Crypto& crypto, std::string_view peer_a, std::string_view peer_b,
                      std::function<void(std::optional<std::string>)> done) {
    crypto.sha256(safety_code_input(peer_a, peer_b),
                  [done = std::move(done)](std::optional<std::string> digest) {
                      if (!digest || digest->size() != sha256_bytes) return done(std::nullopt);
                      done(format_safety_code(*digest));
                  });
}

} // namespace peddlenet
