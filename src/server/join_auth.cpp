// join_auth.cpp: see join_auth.hpp.
#include "server/join_auth.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

namespace peddlenet::server {

namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> make_values() {
    std::array<std::int8_t, 256> t{};
    for (auto& v : t) v = -1;
    for (std::size_t i = 0; i < alphabet.size(); ++i)
        t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return t;
}
constexpr std::array<std::int8_t, 256> values = make_values();

constexpr std::size_t ed25519_key_bytes = 32;
constexpr std::size_t ed25519_signature_bytes = 64;

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

protocol::Problem problem(protocol::ErrorCode code, std::string message) {
    return {code, std::move(message)};
}

// True when `key` signed `payload` with `sig` (Ed25519, RFC 8032, as OpenSSL checks it).
bool ed25519_verify(std::span<const std::uint8_t> key, std::span<const std::uint8_t> sig,
                    std::string_view payload) {
    const std::unique_ptr<EVP_PKEY, PkeyFree> pkey(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size()));
    const std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    // Ed25519 hashes internally: no digest is named (NULL md), and the one-shot call is required.
    const bool ok =
        pkey && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) == 1 &&
        EVP_DigestVerify(ctx.get(), sig.data(), sig.size(),
                         reinterpret_cast<const unsigned char*>(payload.data()),
                         payload.size()) == 1;
    // A refused signature leaves entries in this thread's OpenSSL error queue; TLS connections
    // share the thread, and SSL_get_error() needs the queue empty to report correctly.
    if (!ok) ERR_clear_error();
    return ok;
}

} // namespace

bool make_nonce(Nonce& out) { return RAND_bytes(out.data(), static_cast<int>(out.size())) == 1; }

bool make_session(SessionId& out) {
    // 62 characters: bytes >= 248 (= 4 * 62) are skipped so that every character is equally
    // likely. 32 random bytes almost always yield 16 characters; loop for the rare rest.
    std::size_t n = 0;
    while (n < out.chars.size()) {
        std::array<unsigned char, 32> buf;
        if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) return false;
        for (const unsigned char b : buf) {
            if (b >= 248) continue;
            out.chars[n++] = alphabet[b % 62]; // the first 62 are [A-Za-z0-9]
            if (n == out.chars.size()) break;
        }
    }
    return true;
}

std::string base64url_encode(std::span<const std::uint8_t> bytes) {
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::uint32_t acc = 0;
    int bits = 0;
    for (const std::uint8_t b : bytes) {
        acc = (acc << 8) | b;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += alphabet[(acc >> bits) & 0x3F];
        }
    }
    if (bits > 0) out += alphabet[(acc << (6 - bits)) & 0x3F];
    return out;
}

bool base64url_decode_exact(std::string_view text, std::span<std::uint8_t> out) {
    if (text.size() != (out.size() * 4 + 2) / 3) return false;
    std::uint32_t acc = 0;
    int bits = 0;
    std::size_t n = 0;
    for (const char c : text) {
        const std::int8_t v = values[static_cast<unsigned char>(c)];
        if (v < 0) return false; // includes '=' padding and the '+' '/' of plain base64
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = static_cast<std::uint8_t>(acc >> bits);
        }
        acc &= (1u << bits) - 1; // keep only the bits not yet emitted
    }
    // The unused low bits of the last character must be zero: one spelling per byte string.
    return n == out.size() && acc == 0;
}

std::optional<protocol::Problem> check_join_proof(std::string_view nonce,
                                                  const protocol::Join& join) {
    std::array<std::uint8_t, ed25519_key_bytes> key;
    if (!base64url_decode_exact(join.peer, key))
        return problem(protocol::ErrorCode::bad_key,
                       "\"peer\" must be the device's Ed25519 public key: 43 characters of "
                       "base64url (A-Z a-z 0-9 - _, no padding)");
    std::array<std::uint8_t, ed25519_signature_bytes> sig;
    if (!base64url_decode_exact(join.sig, sig))
        return problem(protocol::ErrorCode::bad_signature,
                       "\"sig\" must be an Ed25519 signature: 86 characters of base64url");
    if (!ed25519_verify(key, sig, protocol::join_signing_payload(nonce, join.room, join.peer)))
        return problem(protocol::ErrorCode::bad_signature,
                       "the signature does not verify with this peer's key over this "
                       "connection's challenge");
    return std::nullopt;
}

} // namespace peddlenet::server
