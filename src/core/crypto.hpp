// crypto.hpp: what the trust layer asks of a cryptography provider. Core code never implements a
// primitive: the browser binding (src/platform/crypto) answers with Web Crypto, native tests and
// tools with OpenSSL (tests/unit/openssl_crypto.hpp).
// Needs: nothing but the standard library.
//  [X] Ed25519 with this device's identity key (sign) and anyone's public key (verify)
//  [X] HMAC-SHA-256 (room id and link proof keys, link proofs) and SHA-256 (safety codes)
//  [X] asynchronous by contract, as Web Crypto is: every completion may arrive later, from another
//      event; callers must hold no reference that the completion could outlive
//
// All byte strings are raw bytes (not base64url). Public keys are the 32-byte raw Ed25519 form,
// signatures 64 bytes, MACs and digests 32 bytes.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace peddlenet {

inline constexpr std::size_t ed25519_public_key_bytes = 32;
inline constexpr std::size_t ed25519_signature_bytes = 64;
inline constexpr std::size_t sha256_bytes = 32;

class Crypto {
public:
    using BytesDone = std::function<void(std::optional<std::string> bytes)>; // nullopt: failed
    using CheckDone = std::function<void(bool valid)>;

    virtual ~Crypto() = default;
    // Signs `data` with this device's identity key.
    virtual void sign(std::string data, BytesDone done) = 0;
    // True when `signature` is `public_key`'s Ed25519 signature over `data`. A malformed key or
    // signature is simply not valid.
    virtual void verify(std::string public_key, std::string data, std::string signature,
                        CheckDone done) = 0;
    virtual void hmac_sha256(std::string key, std::string data, BytesDone done) = 0;
    // Constant-time check of an HMAC-SHA-256 tag.
    virtual void verify_hmac_sha256(std::string key, std::string data, std::string tag,
                                    CheckDone done) = 0;
    virtual void sha256(std::string data, BytesDone done) = 0;
};

} // namespace peddlenet
