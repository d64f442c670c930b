// join_auth.cpp: see join_auth.hpp.
#include "server/join_auth.hpp"

#include "core/base64url.hpp"
#include "core/crypto.hpp"
#include "core/trust.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

namespace peddlenet::server {

namespace {

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

const unsigned char* bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

// True when `key` (32 raw bytes) signed `payload` with `sig` (64 raw bytes): Ed25519 (RFC 8032)
// as OpenSSL checks it.
bool ed25519_verify(std::string_view key, std::string_view sig, std::string_view payload) {
    const std::unique_ptr<EVP_PKEY, PkeyFree> pkey(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(key), key.size()));
    const std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    // Ed25519 hashes internally: no digest is named (NULL md), and the one-shot call is required.
    const bool ok =
        pkey && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) == 1 &&
        EVP_DigestVerify(ctx.get(), bytes(sig), sig.size(), bytes(payload), payload.size()) == 1;
    // A refused signature leaves entries in this thread's OpenSSL error queue; TLS connections
    // share the thread, and SSL_get_error() needs the queue empty to report correctly.
    if (!ok) ERR_clear_error();
    return ok;
}

protocol::Problem problem(protocol::ErrorCode code, std::string message) {
    return {code, std::move(message)};
}

} // namespace

bool make_nonce(Nonce& out) { return RAND_bytes(out.data(), static_cast<int>(out.size())) == 1; }

bool make_session(SessionId& out) {
    static constexpr std::string_view alnum =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    // Bytes >= 248 (= 4 * 62) are skipped so that every character is equally likely. 32 random
    // bytes almost always give 16 characters; the loop covers the rare rest.
    std::size_t n = 0;
    while (n < out.chars.size()) {
        std::array<unsigned char, 32> buf;
        if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) return false;
        for (const unsigned char b : buf) {
            if (b >= 248) continue;
            out.chars[n++] = alnum[b % alnum.size()];
            if (n == out.chars.size()) break;
        }
    }
    return true;
}

std::string nonce_text(const Nonce& nonce) {
    return base64url_encode({reinterpret_cast<const char*>(nonce.data()), nonce.size()});
}

std::optional<protocol::Problem> check_join_proof(std::string_view nonce,
                                                  const protocol::Join& join) {
    const auto key = peer_public_key(join.peer);
    if (!key)
        return problem(protocol::ErrorCode::bad_key,
                       "\"peer\" must be the device's Ed25519 public key: 43 characters of "
                       "base64url (A-Z a-z 0-9 - _, no padding)");
    const auto sig = join.sig.size() == protocol::join_signature_chars
                         ? base64url_decode(join.sig)
                         : std::nullopt;
    if (!sig || sig->size() != ed25519_signature_bytes)
        return problem(protocol::ErrorCode::bad_signature,
                       "\"sig\" must be an Ed25519 signature: 86 characters of base64url");
    if (!ed25519_verify(*key, *sig, protocol::join_signing_payload(nonce, join.room, join.peer)))
        return problem(protocol::ErrorCode::bad_signature,
                       "the signature does not verify with this peer's key over this "
                       "connection's challenge");
    return std::nullopt;
}

} // namespace peddlenet::server
