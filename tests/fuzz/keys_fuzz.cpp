// keys_fuzz.cpp: the trust layer's parsers of keys, signatures and codes on hostile text.
// The first byte picks a mode; each states invariants, not only "no crash":
//  0 base64url (core/base64url.hpp): decode accepts only canonical text (decode then encode
//    gives the input back exactly), encode then decode round-trips, lengths and alphabet hold;
//  1 peer ids and fingerprints (core/trust.hpp): is_peer_key_id == peer_public_key, a key is 32
//    bytes whose encoding is the id; normalize_fingerprint gives 64 lowercase hex, equals the
//    input without colons lower-cased, and is idempotent;
//  2 join proofs (server/join_auth.hpp): two real Ed25519 keys made once with OpenSSL; the input
//    chooses nonce, room, peer and signature (fuzzed text, or signed by the harness, possibly by
//    the wrong key, over the wrong payload, with a non-canonical scalar S+L or re-spelled tail
//    bits), then may flip one bit of one field. Ed25519 signatures are deterministic and
//    OpenSSL's check is strict, so a join is accepted exactly when the peer is one of the
//    harness's keys and the sig is that key's own signature of the join payload: valid joins
//    are never refused, everything else (every one-bit change) is;
//  3 verify codes (core/verify_code.hpp): make(parse(x)) == x for every accepted x, and
//    parse(make(peer, name)) gives back peer and name;
//  4 invite keys (core/invite.hpp): an accepted `key` is room_key_bytes raw bytes spelled
//    canonically in the fragment; make_invite_url then parse_invite_url gives the key back;
//  5 ICE servers setting (core/ice_servers.hpp): on success only stun:/turn:/turns: URLs, TURN
//    entries carry a non-empty username and credential, STUN entries neither, at most 8 servers,
//    no whitespace in any field, and the JSON dumps (valid UTF-8).
#include "core/base64url.hpp"
#include "core/chat_log.hpp"
#include "core/ice_servers.hpp"
#include "core/invite.hpp"
#include "core/signaling_protocol.hpp"
#include "core/text.hpp"
#include "core/trust.hpp"
#include "core/verify_code.hpp"
#include "fuzz/fuzz_check.hpp"
#include "server/join_auth.hpp"

#include <fuzzer/FuzzedDataProvider.h>
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace peddlenet;

namespace {

constexpr std::string_view b64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// ---- 0: base64url --------------------------------------------------------------------------

void check_base64url(std::string_view input) {
    const auto decoded = base64url_decode(input);
    if (decoded) {
        FUZZ_CHECK(base64url_encode(*decoded) == input); // canonical: one spelling per bytes
        FUZZ_CHECK(base64url_length(decoded->size()) == input.size());
    } else if (input.find_first_not_of(b64_alphabet) == std::string_view::npos &&
               input.size() % 4 != 1) {
        // refused alphabet text: its tail bits are not zero, so no bytes encode to it
        const auto v = b64_alphabet.find(input.back());
        const unsigned unused = input.size() % 4 == 2 ? 15u : 3u;
        FUZZ_CHECK((v & unused) != 0);
    }
    const std::string encoded = base64url_encode(input);
    FUZZ_CHECK(encoded.size() == base64url_length(input.size()));
    FUZZ_CHECK(encoded.find_first_not_of(b64_alphabet) == std::string::npos);
    const auto back = base64url_decode(encoded);
    FUZZ_CHECK(back && *back == input);
}

// ---- 1: peer ids and fingerprints --------------------------------------------------------------

// The y coordinates of the two order-8 points of Ed25519 (little-endian, sign bit clear).
const std::string order8_a(
    "\x26\xe8\x95\x8f\xc2\xb2\x27\xb0\x45\xc3\xf4\x89\xf2\xef\x98\xf0"
    "\xd5\xdf\xac\x05\xd3\xc6\x33\x39\xb1\x38\x02\x88\x6d\x53\xfc\x05", 32);
const std::string order8_b(
    "\xc7\x17\x6a\x70\x3d\x4d\xd8\x4f\xba\x3c\x0b\x76\x0d\x10\x67\x0f"
    "\x2a\x20\x53\xfa\x2c\x39\xcc\xc6\x4e\xc7\xfd\x77\x92\xac\x03\x7a", 32);

void check_trust(std::string_view input) {
    const auto key = peer_public_key(input);
    FUZZ_CHECK(is_peer_key_id(input) == key.has_value());
    if (key) {
        FUZZ_CHECK(input.size() == peer_id_length);
        FUZZ_CHECK(key->size() == ed25519_public_key_bytes);
        FUZZ_CHECK(base64url_encode(*key) == input);
        FUZZ_CHECK(is_valid_id(input)); // a key id is also a valid id on the wire
    }
    // The encoding of any 32 bytes is a key id, unless they spell a point of small order
    // (y = 0, 1, -1, p, p + 1 or one of the two order-8 values; the sign bit is ignored).
    if (input.size() >= 32) {
        std::string bytes(input.substr(0, 32));
        bytes[31] = static_cast<char>(bytes[31] & 0x7f);
        const std::string middle = bytes.substr(1, 30);
        const bool small = (middle == std::string(30, '\0') && (bytes[0] == 0 || bytes[0] == 1) &&
                            bytes[31] == 0) ||
                           (middle == std::string(30, '\xff') && bytes[31] == 0x7f &&
                            (bytes[0] == '\xec' || bytes[0] == '\xed' || bytes[0] == '\xee')) ||
                           bytes == order8_a || bytes == order8_b;
        const bool is_key = is_peer_key_id(base64url_encode(input.substr(0, 32)));
        FUZZ_CHECK(is_key == !small);
        // The sign bit (x's parity) never decides whether 32 bytes are a key id.
        std::string flipped(input.substr(0, 32));
        flipped[31] = static_cast<char>(flipped[31] ^ 0x80);
        FUZZ_CHECK(is_peer_key_id(base64url_encode(flipped)) == is_key);
    }

    const auto fp = normalize_fingerprint(input);
    std::string model;
    bool model_ok = true;
    for (const char c : input) {
        if (c == ':') continue;
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) model += c;
        else if (c >= 'A' && c <= 'F') model += static_cast<char>(c - 'A' + 'a');
        else model_ok = false;
    }
    model_ok = model_ok && model.size() == 64;
    FUZZ_CHECK(fp.has_value() == model_ok);
    if (fp) {
        FUZZ_CHECK(*fp == model);
        FUZZ_CHECK(fp->size() == 64);
        FUZZ_CHECK(fp->find_first_not_of("0123456789abcdef") == std::string::npos);
        FUZZ_CHECK(normalize_fingerprint(*fp) == fp); // idempotent
    }
}

// ---- 2: join proofs ------------------------------------------------------------------------

struct Key {
    EVP_PKEY* pkey = nullptr;
    std::string id; // base64url public key

    explicit Key(unsigned char seed_byte) {
        std::array<unsigned char, 32> seed;
        seed.fill(seed_byte);
        pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size());
        FUZZ_CHECK(pkey);
        std::string pub(32, '\0');
        std::size_t len = pub.size();
        FUZZ_CHECK(EVP_PKEY_get_raw_public_key(pkey, reinterpret_cast<unsigned char*>(pub.data()),
                                               &len) == 1 && len == 32);
        id = base64url_encode(pub);
    }
    std::string sign(std::string_view data) const {
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        std::string sig(64, '\0');
        std::size_t len = sig.size();
        FUZZ_CHECK(ctx && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, pkey) == 1 &&
                   EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                                  reinterpret_cast<const unsigned char*>(data.data()),
                                  data.size()) == 1 && len == 64);
        EVP_MD_CTX_free(ctx);
        return sig;
    }
    std::string sign_text(std::string_view data) const { return base64url_encode(sign(data)); }
};

const Key& key_a() { static const Key k(0x11); return k; }
const Key& key_b() { static const Key k(0x22); return k; }

// S + L (little-endian, the last 32 bytes of a signature): the same point equation, a
// non-canonical scalar a strict verifier must refuse (signature malleability).
std::string add_group_order(std::string sig) {
    static constexpr std::array<unsigned char, 32> L = {
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};
    unsigned carry = 0;
    for (std::size_t i = 0; i < 32; ++i) {
        const unsigned v = static_cast<unsigned char>(sig[32 + i]) + L[i] + carry;
        sig[32 + i] = static_cast<char>(v & 0xff);
        carry = v >> 8;
    }
    return sig;
}

void check_join(FuzzedDataProvider& in) {
    const Key* keys[2] = {&key_a(), &key_b()};
    std::string nonce;
    if (in.ConsumeBool()) {
        server::Nonce n{};
        const auto raw = in.ConsumeBytes<std::uint8_t>(n.size());
        std::copy(raw.begin(), raw.end(), n.begin());
        nonce = server::nonce_text(n);
    } else {
        nonce = in.ConsumeRandomLengthString(64);
    }
    protocol::Join join;
    join.room = in.ConsumeRandomLengthString(80);
    join.name = "fuzz";
    const std::uint8_t peer_choice = in.ConsumeIntegral<std::uint8_t>() % 3;
    join.peer = peer_choice == 0   ? keys[0]->id
                : peer_choice == 1 ? keys[1]->id
                                   : in.ConsumeRandomLengthString(64);
    const Key& signer = *keys[in.ConsumeBool() ? 1 : 0];
    std::string payload = protocol::join_signing_payload(nonce, join.room, join.peer);
    switch (in.ConsumeIntegral<std::uint8_t>() % 6) {
    case 0: join.sig = signer.sign_text(payload); break;
    case 1: join.sig = in.ConsumeRandomLengthString(100); break;
    case 2: // over another payload: other nonce, room or peer
        join.sig = signer.sign_text(protocol::join_signing_payload(
            in.ConsumeRandomLengthString(44), in.ConsumeRandomLengthString(20), join.peer));
        break;
    case 3: join.sig = base64url_encode(add_group_order(signer.sign(payload))); break;
    case 4: { // the same bytes with nonzero unused tail bits (a non-canonical spelling)
        join.sig = signer.sign_text(payload);
        const auto v = b64_alphabet.find(join.sig.back());
        join.sig.back() = b64_alphabet[(v & ~15u) | (in.ConsumeIntegral<unsigned>() & 15u)];
        break;
    }
    default: { // a signature over the bytes the fuzzer chose
        join.sig = signer.sign_text(in.ConsumeRandomLengthString(200));
        break;
    }
    }
    // Maybe flip one bit of one field (or of the nonce).
    if (in.ConsumeBool()) {
        std::string* fields[4] = {&nonce, &join.room, &join.peer, &join.sig};
        std::string& f = *fields[in.ConsumeIntegral<std::uint8_t>() % 4];
        if (!f.empty()) {
            const std::size_t at = in.ConsumeIntegralInRange<std::size_t>(0, f.size() - 1);
            f[at] = static_cast<char>(f[at] ^ (1 << in.ConsumeIntegralInRange(0, 7)));
        }
    }
    const auto problem = server::check_join_proof(nonce, join);
    // The truth, from the harness's own keys (Ed25519 signing is deterministic).
    bool genuine = false;
    for (const Key* k : keys)
        if (join.peer == k->id &&
            join.sig == k->sign_text(protocol::join_signing_payload(nonce, join.room, join.peer)))
            genuine = true;
    if (std::getenv("KEYS_FUZZ_TRACE")) // to see which cases a corpus covers
        std::fprintf(stderr, "join: genuine=%d accepted=%d\n", genuine, !problem);
    if (genuine) {
        FUZZ_CHECK(!problem); // a valid join is never refused
    } else if (!problem) {
        std::fprintf(stderr, "accepted a join the harness did not sign: peer=%s sig=%s\n",
                     join.peer.c_str(), join.sig.c_str());
        FUZZ_CHECK(!"join accepted without a genuine signature");
    }
    if (problem) {
        FUZZ_CHECK(problem->code == (is_peer_key_id(join.peer) ? protocol::ErrorCode::bad_signature
                                                                : protocol::ErrorCode::bad_key));
        FUZZ_CHECK(!problem->message.empty());
    }
}

// ---- 3: verify codes ----------------------------------------------------------------------

void check_verify(FuzzedDataProvider& in) {
    const std::string text = in.ConsumeRandomLengthString(300);
    if (const auto parsed = parse_verify_code(text)) {
        FUZZ_CHECK(is_peer_key_id(parsed->peer));
        const Checked name = check_chat_name(parsed->name); // a clean display name, unrepaired
        FUZZ_CHECK(name.ok() && name.value == parsed->name && is_valid_utf8(parsed->name));
        FUZZ_CHECK(make_verify_code(parsed->peer, parsed->name) == text);
    }
    std::string peer = in.ConsumeBool() ? key_a().id : in.ConsumeRandomLengthString(50);
    const std::string name = in.ConsumeRandomLengthString(140);
    if (const auto made = make_verify_code(peer, name)) {
        FUZZ_CHECK(is_peer_key_id(peer) && is_valid_utf8(*made));
        const auto back = parse_verify_code(*made);
        FUZZ_CHECK(back && back->peer == peer && back->name == name);
    }
}

// ---- 4: invite keys -----------------------------------------------------------------------

bool has_param(std::string_view fragment, std::string_view param) {
    if (!fragment.empty() && fragment.front() == '#') fragment.remove_prefix(1);
    while (true) {
        const auto end = fragment.find('&');
        if (fragment.substr(0, end) == param) return true;
        if (end == std::string_view::npos) return false;
        fragment.remove_prefix(end + 1);
    }
}

void check_invite(FuzzedDataProvider& in) {
    const std::string fragment = in.ConsumeRandomLengthString(400);
    if (const auto inv = parse_invite_fragment(fragment)) {
        FUZZ_CHECK(is_valid_id(inv->room));
        FUZZ_CHECK(inv->key.empty() || inv->key.size() == room_key_bytes);
        if (!inv->key.empty()) FUZZ_CHECK(has_param(fragment, "key=" + base64url_encode(inv->key)));
    }
    const std::string url = in.ConsumeRandomLengthString(400);
    if (const auto link = parse_invite_url(url)) {
        FUZZ_CHECK(link->invite.key.empty() || link->invite.key.size() == room_key_bytes);
        if (!link->invite.key.empty())
            FUZZ_CHECK(has_param(url.substr(url.find('#') + 1),
                                 "key=" + base64url_encode(link->invite.key)));
    }
    const std::string room = in.ConsumeRandomLengthString(70);
    const std::string key = in.ConsumeBytesAsString(in.ConsumeBool() ? room_key_bytes : 0);
    if (const auto made = make_invite_url("https://10.0.0.2:8443/", room, "wss://10.0.0.2:8443/ws", key)) {
        const auto back = parse_invite_url(*made);
        FUZZ_CHECK(back && back->invite.room == room && back->invite.key == key);
    } else {
        FUZZ_CHECK(!is_valid_id(room) || (!key.empty() && key.size() != room_key_bytes));
    }
}

// ---- 5: ICE servers -------------------------------------------------------------------------

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

void check_field(const nlohmann::json& v) {
    FUZZ_CHECK(v.is_string());
    const auto& s = v.get_ref<const std::string&>();
    FUZZ_CHECK(!s.empty() && s.size() <= 512 && is_valid_utf8(s));
    FUZZ_CHECK(s.find_first_of(" \t\n\r\v\f") == std::string::npos);
}

void check_ice(std::string_view text) {
    const IceServersParse r = parse_ice_servers(text);
    FUZZ_CHECK(r.servers.is_array());
    if (!r.ok()) return;
    FUZZ_CHECK(r.servers.size() <= 8);
    for (const auto& s : r.servers) {
        FUZZ_CHECK(s.is_object() && s.contains("urls"));
        check_field(s["urls"]);
        const auto& url = s["urls"].get_ref<const std::string&>();
        const bool stun = starts_with(url, "stun:");
        const bool turn = starts_with(url, "turn:") || starts_with(url, "turns:");
        FUZZ_CHECK(stun || turn);
        FUZZ_CHECK(url.find_first_of("\"\\") == std::string::npos);
        if (turn) {
            FUZZ_CHECK(s.size() == 3 && s.contains("username") && s.contains("credential"));
            check_field(s["username"]);
            check_field(s["credential"]);
        } else {
            FUZZ_CHECK(s.size() == 1);
        }
    }
    (void)r.servers.dump(); // throws (and so crashes the run) on invalid UTF-8
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    FuzzedDataProvider in(data + 1, size - 1);
    switch (data[0] % 6) {
    case 0: check_base64url(rest); break;
    case 1: check_trust(rest); break;
    case 2: check_join(in); break;
    case 3: check_verify(in); break;
    case 4: check_invite(in); break;
    default: check_ice(rest); break;
    }
    return 0;
}
