// Proof of identity for v2 joins (server/join_auth.hpp): nonces and sessions from the CSPRNG, and
// joins signed with real Ed25519 keys (OpenSSL, tests/unit/openssl_crypto.hpp), accepted only
// with the right key, nonce, room and peer id; malformed keys and signatures refused cleanly.
#include "server/join_auth.hpp"

#include "core/base64url.hpp"
#include "core/trust.hpp"
#include "openssl_crypto.hpp"

#include <catch2/catch.hpp>

#include <openssl/err.h>

#include <cctype>
#include <set>

using namespace peddlenet;
using namespace peddlenet::server;
using peddlenet::testing::OpenSslCrypto;
using protocol::ErrorCode;

namespace {

// A join of `room` signed by `key` over `nonce`; `as` claims another peer id than the key's own.
protocol::Join signed_join(const OpenSslCrypto& key, std::string_view nonce, std::string room,
                           std::string as = {}) {
    const std::string peer = as.empty() ? key.peer_id() : as;
    return {room, peer, "Ann",
            base64url_encode(key.sign_now(protocol::join_signing_payload(nonce, room, peer)))};
}

std::string fresh_nonce() {
    Nonce n;
    REQUIRE(make_nonce(n));
    return nonce_text(n);
}

std::optional<ErrorCode> code_of(std::string_view nonce, const protocol::Join& j) {
    const auto p = check_join_proof(nonce, j);
    if (!p) return std::nullopt;
    CHECK(p->message.size() > 10);
    return p->code;
}

// The same text with its last character moved on by one (sets unused low bits of a key or
// signature: the same bytes, spelled non-canonically).
std::string bump_last(std::string s) {
    const std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    s.back() = alphabet[(alphabet.find(s.back()) + 1) % 64];
    return s;
}

} // namespace

TEST_CASE("nonces and sessions come fresh from the CSPRNG", "[server][auth]") {
    std::set<std::string> nonces, sessions;
    for (int i = 0; i < 200; ++i) {
        const std::string n = fresh_nonce();
        CHECK(n.size() == protocol::nonce_chars);
        CHECK(base64url_decode(n).value_or("").size() == nonce_bytes);
        nonces.insert(n);
        SessionId s;
        REQUIRE(make_session(s));
        for (const char c : s.view()) CHECK(std::isalnum(static_cast<unsigned char>(c)));
        sessions.insert(std::string(s.view()));
    }
    CHECK(nonces.size() == 200);
    CHECK(sessions.size() == 200);
}

TEST_CASE("a join signed by the peer's key over this connection's challenge is proven",
          "[server][auth]") {
    const OpenSslCrypto ann;
    const std::string nonce = fresh_nonce();
    const auto j = signed_join(ann, nonce, "main-stage");
    CHECK(j.peer.size() == protocol::peer_key_chars);
    CHECK(j.sig.size() == protocol::join_signature_chars);
    CHECK_FALSE(code_of(nonce, j));
}

TEST_CASE("wrong nonce, room, peer or key: bad-signature", "[server][auth]") {
    const OpenSslCrypto ann, bob;
    const std::string nonce = fresh_nonce(), other = fresh_nonce();
    // replayed from another connection (signed over that connection's nonce)
    CHECK(code_of(nonce, signed_join(ann, other, "r")) == ErrorCode::bad_signature);
    // moved to another room
    auto j = signed_join(ann, nonce, "r");
    j.room = "elsewhere";
    CHECK(code_of(nonce, j) == ErrorCode::bad_signature);
    // Bob claims Ann's id: his signature does not verify with her key
    CHECK(code_of(nonce, signed_join(bob, nonce, "r", ann.peer_id())) == ErrorCode::bad_signature);
    // Ann's signature under Bob's id
    j = signed_join(ann, nonce, "r");
    j.peer = bob.peer_id();
    CHECK(code_of(nonce, j) == ErrorCode::bad_signature);
    // a changed character anywhere in the signature
    for (const std::size_t at : {std::size_t{0}, std::size_t{40}, std::size_t{84}}) {
        j = signed_join(ann, nonce, "r");
        j.sig[at] = j.sig[at] == 'A' ? 'B' : 'A';
        CHECK(code_of(nonce, j) == ErrorCode::bad_signature);
    }
    // nothing is left in OpenSSL's error queue (TLS reads on this thread rely on that)
    CHECK(ERR_peek_error() == 0);
}

TEST_CASE("malformed signatures: bad-signature; peer ids that are not keys: bad-key",
          "[server][auth]") {
    const OpenSslCrypto ann;
    const std::string nonce = fresh_nonce();
    const auto good = signed_join(ann, nonce, "r");
    for (const std::string& sig :
         {std::string(), std::string("s"), good.sig.substr(1), good.sig + "A", good.sig + "==",
          bump_last(good.sig), std::string(86, '+'), std::string(86, 'A')}) {
        auto j = good;
        j.sig = sig;
        INFO(sig);
        CHECK(code_of(nonce, j) == ErrorCode::bad_signature);
    }
    for (const std::string& peer :
         {std::string("p"), std::string("me-1"), good.peer.substr(1), good.peer + "A",
          bump_last(good.peer), std::string(43, '='), std::string(42, 'A') + "="}) {
        auto j = good;
        j.peer = peer;
        INFO(peer);
        CHECK(code_of(nonce, j) == ErrorCode::bad_key);
    }
    // 32 bytes that are no usable key (all ones): refused, never a crash; all zeros is a point
    // of small order, so not a peer key at all (see the next test)
    auto j = good;
    j.peer = std::string(42, '_') + "w";
    CHECK(code_of(nonce, j) == ErrorCode::bad_signature);
    j.peer = std::string(43, 'A');
    CHECK(code_of(nonce, j) == ErrorCode::bad_key);
    CHECK(ERR_peek_error() == 0);
}

// Found by fuzz_keys (tests/fuzz/corpus/keys/join-small-order-key): OpenSSL's Ed25519 accepts
// R = identity, S = 0 as a signature of every message under the public key 01 00..00 (and the
// like for the other points of small order), so such a "peer id" could be joined as by anyone
// without any private key. They are not peer key ids.
TEST_CASE("keys of small order are no peer ids: a constant signature cannot join",
          "[server][auth]") {
    const std::string nonce = fresh_nonce();
    const std::string identity_key = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const std::string constant_sig = "AQ" + std::string(84, 'A'); // R = identity, S = 0
    const protocol::Join join{"crew", identity_key, "Mallory", constant_sig};
    CHECK(code_of(nonce, join) == ErrorCode::bad_key);
    for (const std::string& weak :
         {identity_key, std::string(43, 'A'),                            // y = 1, y = 0
          std::string("7P_______________________________________38"), // y = p - 1
          std::string("7f_______________________________________38"), // y = p (non-canonical 0)
          std::string("JuiVj8KyJ7BFw_SJ8u-Y8NXfrAXTxjM5sTgCiG1T_AU"),  // order 8
          std::string("xxdqcD1N2E-6PAt2DRBnDyogU_osOczGTsf9d5KsA3o"),  // order 8
          std::string("AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIA")}) { // sign bit set
        INFO(weak);
        CHECK_FALSE(is_peer_key_id(weak));
        CHECK(code_of(nonce, {"crew", weak, "Mallory", constant_sig}) == ErrorCode::bad_key);
    }
    CHECK(is_peer_key_id("AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")); // y = 2: an ordinary id
    CHECK(ERR_peek_error() == 0);
}
