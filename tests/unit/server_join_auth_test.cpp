// Proof of identity for v2 joins (server/join_auth.hpp): strict base64url, nonces and sessions
// from the CSPRNG, and joins signed with real Ed25519 keys made and used through OpenSSL here,
// accepted only with the right key, nonce, room and peer id.
#include "server/join_auth.hpp"

#include <catch2/catch.hpp>

#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>
#include <set>

using namespace peddlenet;
using namespace peddlenet::server;
using protocol::ErrorCode;

namespace {

// A device identity as a test makes it: an OpenSSL Ed25519 key pair.
class TestKey {
public:
    TestKey() : key_(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), EVP_PKEY_free) {
        REQUIRE(key_);
    }

    // The peer id: base64url of the 32 raw public key bytes.
    std::string id() const {
        std::array<std::uint8_t, 32> raw;
        std::size_t n = raw.size();
        REQUIRE(EVP_PKEY_get_raw_public_key(key_.get(), raw.data(), &n) == 1);
        REQUIRE(n == 32);
        return base64url_encode(raw);
    }

    std::string sign(std::string_view payload) const {
        const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                         EVP_MD_CTX_free);
        REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) == 1);
        std::array<std::uint8_t, 64> sig;
        std::size_t n = sig.size();
        REQUIRE(EVP_DigestSign(ctx.get(), sig.data(), &n,
                               reinterpret_cast<const unsigned char*>(payload.data()),
                               payload.size()) == 1);
        REQUIRE(n == 64);
        return base64url_encode(sig);
    }

    // A join of `room` signed over `nonce`; `as` claims another peer id than our own.
    protocol::Join join(std::string_view nonce, std::string room,
                        const std::string& as = "") const {
        const std::string peer = as.empty() ? id() : as;
        return {room, peer, "Ann", sign(protocol::join_signing_payload(nonce, room, peer))};
    }

private:
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_;
};

std::string fresh_nonce() {
    Nonce n;
    REQUIRE(make_nonce(n));
    return base64url_encode(n);
}

std::optional<ErrorCode> code_of(std::string_view nonce, const protocol::Join& j) {
    const auto p = check_join_proof(nonce, j);
    if (!p) return std::nullopt;
    CHECK(p->message.size() > 10);
    return p->code;
}

// The same text with the last character's value moved by `delta` (e.g. unused bits set).
std::string bump_last(std::string s, int delta) {
    const std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const auto i = alphabet.find(s.back());
    s.back() = alphabet[(i + static_cast<std::size_t>(delta)) % 64];
    return s;
}

} // namespace

TEST_CASE("base64url: RFC 4648 vectors, no padding, strict decoding", "[server][auth]") {
    auto enc = [](std::string_view s) {
        return base64url_encode({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
    };
    CHECK(enc("") == "");
    CHECK(enc("f") == "Zg");
    CHECK(enc("fo") == "Zm8");
    CHECK(enc("foo") == "Zm9v");
    CHECK(enc("foob") == "Zm9vYg");
    CHECK(enc("fooba") == "Zm9vYmE");
    CHECK(enc("\xfb\xff") == "-_8");

    std::array<std::uint8_t, 2> two;
    CHECK(base64url_decode_exact("-_8", two));
    CHECK((two[0] == 0xfb && two[1] == 0xff));
    CHECK_FALSE(base64url_decode_exact("-_9", two)); // unused low bits set: not canonical
    CHECK_FALSE(base64url_decode_exact("-_8=", two)); // padding
    CHECK_FALSE(base64url_decode_exact("+/8", two));  // plain base64's alphabet
    CHECK_FALSE(base64url_decode_exact("-_", two));   // length
    CHECK_FALSE(base64url_decode_exact("-_8A", two));
    CHECK_FALSE(base64url_decode_exact("-_ 8", two));
    CHECK_FALSE(base64url_decode_exact(std::string_view("-\0_", 3), two));

    // 32 and 64 bytes: the lengths v2 uses, every byte value, round trip
    std::array<std::uint8_t, 64> bytes, back;
    for (int round = 0; round < 4; ++round) {
        for (std::size_t i = 0; i < bytes.size(); ++i)
            bytes[i] = static_cast<std::uint8_t>(i * 37 + static_cast<std::size_t>(round) * 101);
        const std::string text = base64url_encode(bytes);
        CHECK(text.size() == protocol::join_signature_chars);
        REQUIRE(base64url_decode_exact(text, back));
        CHECK(back == bytes);
        CHECK_FALSE(base64url_decode_exact(bump_last(text, 1), back));
        const std::string key = base64url_encode(std::span(bytes).first(32));
        CHECK(key.size() == protocol::peer_key_chars);
        std::array<std::uint8_t, 32> k;
        CHECK(base64url_decode_exact(key, k));
        CHECK_FALSE(base64url_decode_exact(bump_last(key, 1), k)); // 2 unused bits
        CHECK_FALSE(base64url_decode_exact(key + "A", k));
        CHECK_FALSE(base64url_decode_exact(key.substr(1), k));
    }
}

TEST_CASE("nonces and sessions come fresh from the CSPRNG", "[server][auth]") {
    std::set<std::string> nonces, sessions;
    for (int i = 0; i < 200; ++i) {
        const std::string n = fresh_nonce();
        CHECK(n.size() == protocol::nonce_chars);
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
    const TestKey ann;
    const std::string nonce = fresh_nonce();
    CHECK(ann.id().size() == 43);
    CHECK_FALSE(code_of(nonce, ann.join(nonce, "main-stage")));
}

TEST_CASE("wrong nonce, room, peer or key: bad-signature", "[server][auth]") {
    const TestKey ann, bob;
    const std::string nonce = fresh_nonce(), other = fresh_nonce();
    // replayed from another connection (signed over that connection's nonce)
    CHECK(code_of(nonce, ann.join(other, "r")) == ErrorCode::bad_signature);
    // moved to another room
    auto j = ann.join(nonce, "r");
    j.room = "elsewhere";
    CHECK(code_of(nonce, j) == ErrorCode::bad_signature);
    // Bob claims Ann's id: his signature does not verify with her key
    CHECK(code_of(nonce, bob.join(nonce, "r", ann.id())) == ErrorCode::bad_signature);
    // Ann's signature under Bob's id
    j = ann.join(nonce, "r");
    j.peer = bob.id();
    CHECK(code_of(nonce, j) == ErrorCode::bad_signature);
    // a flipped bit anywhere in the signature
    for (std::size_t at : {std::size_t{0}, std::size_t{40}, std::size_t{84}}) {
        j = ann.join(nonce, "r");
        j.sig[at] = j.sig[at] == 'A' ? 'B' : 'A';
        CHECK(code_of(nonce, j) == ErrorCode::bad_signature);
    }
    // nothing is left in OpenSSL's error queue (TLS reads on this thread rely on that)
    CHECK(ERR_peek_error() == 0);
}

TEST_CASE("malformed signatures: bad-signature; peer ids that are not keys: bad-key",
          "[server][auth]") {
    const TestKey ann;
    const std::string nonce = fresh_nonce();
    const auto good = ann.join(nonce, "r");
    for (const std::string& sig :
         {std::string(), std::string("s"), good.sig.substr(1), good.sig + "A", good.sig + "==",
          bump_last(good.sig, 1), std::string(86, '+'), std::string(86, 'A')}) {
        auto j = good;
        j.sig = sig;
        INFO(sig);
        CHECK(code_of(nonce, j) == ErrorCode::bad_signature);
    }
    for (const std::string& peer :
         {std::string("p"), std::string("me-1"), good.peer.substr(1), good.peer + "A",
          bump_last(good.peer, 1), std::string(43, '=')}) {
        auto j = good;
        j.peer = peer;
        INFO(peer);
        CHECK(code_of(nonce, j) == ErrorCode::bad_key);
    }
    // 32 bytes that are no curve point, or the all-zero key: refused, never a crash
    auto j = good;
    j.peer = std::string(42, '_') + "w";
    CHECK(code_of(nonce, j) == ErrorCode::bad_signature);
    j.peer = std::string(43, 'A');
    CHECK(code_of(nonce, j) == ErrorCode::bad_signature);
    CHECK(ERR_peek_error() == 0);
}
