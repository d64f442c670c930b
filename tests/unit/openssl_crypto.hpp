// openssl_crypto.hpp: the Crypto provider of native tests, over OpenSSL 3 (EVP Ed25519, HMAC,
// SHA-256): real signatures and MACs, so the trust tests check real cryptography.
// Needs: core/crypto.hpp, OpenSSL (linked through peddlenet_server_lib). Header-only because
// the unit test glob compiles *_test.cpp files only.
//  [X] an identity from a 32-byte seed (deterministic tests) or from OpenSSL's RNG
//  [X] completions run at once, or through a `defer` hook (the fake world's scheduler), which
//      makes them as asynchronous as Web Crypto's promises
#pragma once

#include "core/base64url.hpp"
#include "core/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace peddlenet::testing {

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

inline std::optional<std::string> ed25519_sign(EVP_PKEY* key, const std::string& data) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::string sig(64, '\0');
    std::size_t len = sig.size();
    const bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key) == 1 &&
                    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                                   reinterpret_cast<const unsigned char*>(data.data()),
                                   data.size()) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok || len != 64) return std::nullopt;
    return sig;
}

inline bool ed25519_verify(const std::string& public_key, const std::string& data,
                           const std::string& sig) {
    Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                         reinterpret_cast<const unsigned char*>(public_key.data()),
                                         public_key.size()));
    if (!key || sig.size() != 64) return false;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key.get()) == 1 &&
                    EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()),
                                     sig.size(),
                                     reinterpret_cast<const unsigned char*>(data.data()),
                                     data.size()) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

inline std::string hmac(const std::string& key, const std::string& data) {
    unsigned char out[32];
    unsigned int len = sizeof out;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
}

class OpenSslCrypto final : public Crypto {
public:
    using Defer = std::function<void(std::function<void()>)>;

    // An identity from `seed` (32 bytes; shorter seeds are padded), or a random one when empty.
    explicit OpenSslCrypto(std::string seed = {}, Defer defer = {}) : defer_(std::move(defer)) {
        if (seed.empty()) {
            seed.resize(32);
            RAND_bytes(reinterpret_cast<unsigned char*>(seed.data()), 32);
        }
        seed.resize(32, '\x5a');
        key_.reset(EVP_PKEY_new_raw_private_key(
            EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), 32));
        std::string pub(32, '\0');
        std::size_t len = pub.size();
        EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(pub.data()), &len);
        public_key_ = pub;
    }

    const std::string& public_key() const { return public_key_; }
    // The peer id this identity has (core/trust.hpp).
    std::string peer_id() const { return base64url_encode(public_key_); }
    // Synchronous signing, for tests that forge or craft frames.
    std::string sign_now(const std::string& data) const { return *ed25519_sign(key_.get(), data); }
    void set_defer(Defer defer) { defer_ = std::move(defer); }
    // Operations started so far (tests count the work a frame causes).
    std::size_t operations = 0;

    void sign(std::string data, BytesDone done) override {
        complete([this, data = std::move(data), done = std::move(done)] {
            done(ed25519_sign(key_.get(), data));
        });
    }
    void verify(std::string public_key, std::string data, std::string signature,
                CheckDone done) override {
        complete([=, done = std::move(done)] { done(ed25519_verify(public_key, data, signature)); });
    }
    void hmac_sha256(std::string key, std::string data, BytesDone done) override {
        complete([=, done = std::move(done)] { done(hmac(key, data)); });
    }
    void verify_hmac_sha256(std::string key, std::string data, std::string tag,
                            CheckDone done) override {
        complete([=, done = std::move(done)] {
            const std::string mac = hmac(key, data);
            done(tag.size() == mac.size() && CRYPTO_memcmp(tag.data(), mac.data(), mac.size()) == 0);
        });
    }
    void sha256(std::string data, BytesDone done) override {
        complete([=, done = std::move(done)] {
            unsigned char out[32];
            SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
            done(std::string(reinterpret_cast<char*>(out), 32));
        });
    }

private:
    void complete(std::function<void()> task) {
        ++operations;
        if (defer_) defer_(std::move(task));
        else task();
    }

    Pkey key_;
    std::string public_key_;
    Defer defer_;
};

} // namespace peddlenet::testing
