// crypto.cpp: see crypto.hpp. The JS half is web/crypto.js; results come back through
// pn_crypto_done.
#include "platform/crypto.hpp"

#include <emscripten/emscripten.h>

#include <map>
#include <optional>
#include <string_view>
#include <utility>

extern "C" {
// Implemented in web/crypto.js. Byte arguments are pointer + length; JS copies them before
// returning, so the caller's strings may go away at once.
void pn_crypto_load_identity(int id);
void pn_crypto_sign(int id, const char* data, int data_len);
void pn_crypto_verify(int id, const char* key, int key_len, const char* data, int data_len,
                      const char* sig, int sig_len);
void pn_crypto_hmac(int id, const char* key, int key_len, const char* data, int data_len);
void pn_crypto_verify_hmac(int id, const char* key, int key_len, const char* data, int data_len,
                           const char* tag, int tag_len);
void pn_crypto_sha256(int id, const char* data, int data_len);
}

namespace peddlenet::platform {
namespace {

// Outcomes of pn_crypto_done, numbered as PeddleCrypto.ST in web/crypto.js. For verify the
// status is the answer (ok = valid); for identity loads the bytes are the public key when ok
// and the error sentence (UTF-8) otherwise.
enum CryptoStatus {
    status_failed = 0,
    status_ok = 1,
    status_ok_ephemeral = 2, // identity only: IndexedDB refused, the key lives in this page
    status_unsupported = 3,  // identity only: no Ed25519 in this browser
};

using Completion = std::function<void(int status, std::string_view bytes)>;

struct Requests {
    int next_id = 1;
    std::map<int, Completion> pending;
    std::uint64_t operations = 0;
};

Requests& requests() {
    static Requests r;
    return r;
}

int start(Completion done) {
    Requests& r = requests();
    const int id = r.next_id++;
    r.pending.emplace(id, std::move(done));
    return id;
}

// An operation's completion: counts it, then hands over the result.
Completion bytes_completion(Crypto::BytesDone done) {
    return [done = std::move(done)](int status, std::string_view bytes) {
        ++requests().operations;
        if (done) done(status == status_ok ? std::optional<std::string>(bytes) : std::nullopt);
    };
}

Completion check_completion(Crypto::CheckDone done) {
    return [done = std::move(done)](int status, std::string_view) {
        ++requests().operations;
        if (done) done(status == status_ok);
    };
}

int length(const std::string& s) {
    return static_cast<int>(s.size());
}

} // namespace

void WebCrypto::load_identity(std::function<void(IdentityResult)> done) {
    const int id = start([done = std::move(done)](int status, std::string_view bytes) {
        IdentityResult r;
        r.ok = status == status_ok || status == status_ok_ephemeral;
        r.ephemeral = status == status_ok_ephemeral;
        r.unsupported = status == status_unsupported;
        (r.ok ? r.public_key : r.error) = std::string(bytes);
        if (done) done(std::move(r));
    });
    pn_crypto_load_identity(id);
}

// Failures (sign before the identity, closed contexts) are answered by JS too, so that no
// completion ever runs inside the call that asked for it.
void WebCrypto::sign(std::string data, BytesDone done) {
    pn_crypto_sign(start(bytes_completion(std::move(done))), data.data(), length(data));
}

void WebCrypto::verify(std::string public_key, std::string data, std::string signature,
                       CheckDone done) {
    const int id = start(check_completion(std::move(done)));
    pn_crypto_verify(id, public_key.data(), length(public_key), data.data(), length(data),
                     signature.data(), length(signature));
}

void WebCrypto::hmac_sha256(std::string key, std::string data, BytesDone done) {
    pn_crypto_hmac(start(bytes_completion(std::move(done))), key.data(), length(key), data.data(),
                   length(data));
}

void WebCrypto::verify_hmac_sha256(std::string key, std::string data, std::string tag,
                                   CheckDone done) {
    pn_crypto_verify_hmac(start(check_completion(std::move(done))), key.data(), length(key),
                          data.data(), length(data), tag.data(), length(tag));
}

void WebCrypto::sha256(std::string data, BytesDone done) {
    pn_crypto_sha256(start(bytes_completion(std::move(done))), data.data(), length(data));
}

std::uint64_t WebCrypto::operations() {
    return requests().operations;
}

std::size_t WebCrypto::pending() {
    return requests().pending.size();
}

} // namespace peddlenet::platform

// `bytes` is owned by crypto.js and valid during this call only (null when `length` is 0).
extern "C" EMSCRIPTEN_KEEPALIVE void pn_crypto_done(int id, int status, const char* bytes,
                                                    int length) {
    auto& pending = peddlenet::platform::requests().pending;
    const auto it = pending.find(id);
    if (it == pending.end()) return; // answered already: exactly once
    auto done = std::move(it->second);
    pending.erase(it); // before the call: it may start new requests
    const std::string_view view =
        bytes != nullptr && length > 0 ? std::string_view(bytes, static_cast<std::size_t>(length))
                                       : std::string_view();
    done(status, view);
}
