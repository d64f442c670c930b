// crypto.hpp: the trust layer's Crypto (core/crypto.hpp) over the browser's Web Crypto
// (web/crypto.js), plus this device's Ed25519 identity key pair, kept in IndexedDB.
// Needs: the JS half; a secure context (crypto.subtle exists only there); Ed25519 in Web Crypto
// (Chrome/Edge 137, Safari 17, Firefox 129). No P-256 fallback: without Ed25519, a clear message.
//  [X] identity: created once per browser profile, the private key non-extractable; the
//      CryptoKeyPair itself is stored in IndexedDB "peddlenet-identity" (structured clone keeps
//      a non-extractable key usable), apart from storage.js's "peddlenet" database versions
//  [X] two tabs opening at once end with one identity (check-then-add in one readwrite transaction)
//  [X] IndexedDB refused (private mode): a key for this page only, reported as ephemeral
//  [X] sign / verify (Ed25519), HMAC-SHA-256 and its constant-time check, SHA-256
//  [X] every completion asynchronous and exactly once, failures included; sign before the
//      identity is loaded fails cleanly
//  [X] imported public keys and HMAC keys cached (bounded), since a room verifies hundreds of
//      messages at once
//  [X] an operation counter for benchmarks
#pragma once

#include "core/crypto.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace peddlenet::platform {

struct IdentityResult {
    bool ok = false;          // a key pair is loaded: sign() works from now on
    std::string public_key;   // when ok: the raw 32-byte Ed25519 public key
    std::string error;        // when !ok: a sentence for the person
    bool unsupported = false; // !ok because this browser has no Ed25519 (error says what to do)
    bool ephemeral = false;   // ok, but IndexedDB refused it: the identity lasts this page only
};

// Stateless on the C++ side: the keys live in web/crypto.js, requests in one table. Completions
// may outlive the instance that started them (core/crypto.hpp's contract covers that).
class WebCrypto final : public Crypto {
public:
    // Loads this device's identity key pair, or creates and stores it the first time. `done`
    // runs later, exactly once. Concurrent calls share one load; after a success the same
    // identity is answered again; after a failure the next call tries again.
    static void load_identity(std::function<void(IdentityResult)> done);

    // With the identity key; nullopt until load_identity has succeeded.
    void sign(std::string data, BytesDone done) override;
    void verify(std::string public_key, std::string data, std::string signature,
                CheckDone done) override;
    void hmac_sha256(std::string key, std::string data, BytesDone done) override;
    void verify_hmac_sha256(std::string key, std::string data, std::string tag,
                            CheckDone done) override;
    void sha256(std::string data, BytesDone done) override;

    // Crypto operations completed since start (identity loads excluded), failures included.
    static std::uint64_t operations();
    // Requests started and not yet completed (identity loads included).
    static std::size_t pending();
};

} // namespace peddlenet::platform
