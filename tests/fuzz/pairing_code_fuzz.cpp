// pairing_code_fuzz.cpp: pairing codes (core/pairing_code.hpp), the text of a QR code a phone
// scans to pair, and the browser SDP and candidate strings they are made from.
// The input is read as a scanned code, and unless it starts with "PN" (a code's prefix) also as
// a raw payload, as an SDP and as candidate lines trickled next to a real Chromium offer. An accepted code obeys every field rule (checked here, not by
// the codec's own validator), is the only spelling of its description (encoding it again gives
// the same text), and its rebuilt SDP reads back to the same ICE and DTLS parameters. A
// description read from SDP is ordered, capped and deduplicated, and once it has a room and fits
// the budget it survives encode -> decode unchanged.
#include "core/pairing_code.hpp"
#include "core/text.hpp"
#include "core/trust.hpp"
#include "fuzz/fuzz_check.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace peddlenet;

namespace {

// Chromium 156's offer before gathering (tests/unit/pairing_code_test.cpp).
const std::string base_offer =
    "v=0\r\no=- 7716264046970486374 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:1Izu\r\na=ice-pwd:/I2cZSLiRINAVafg3ksR3sVI\r\na=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 E7:52:8B:F3:69:56:6E:EB:9C:B8:86:BE:8D:CA:FA:BD:7A:04:3D:1B:5D:46:9A:"
    "23:CC:40:1A:BB:50:99:B1:48\r\na=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\n";

bool ice_chars(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '+' || c == '/';
    });
}

bool same_address(const PairingCandidate& a, const PairingCandidate& b) {
    return a.address_kind == b.address_kind && a.address == b.address && a.port == b.port;
}

// The rules of a description read from SDP: credentials and candidates, not yet a room.
void check_ice_part(const PairingDescription& d) {
    FUZZ_CHECK(d.ice_ufrag.size() >= 4 && d.ice_ufrag.size() <= 32 && ice_chars(d.ice_ufrag));
    FUZZ_CHECK(d.ice_pwd.size() >= 22 && d.ice_pwd.size() <= 128 && ice_chars(d.ice_pwd));
    FUZZ_CHECK(d.candidates.size() <= max_pairing_candidates);
    for (std::size_t i = 0; i < d.candidates.size(); ++i) {
        const PairingCandidate& c = d.candidates[i];
        FUZZ_CHECK(c.type <= PairingCandidateType::relay);
        FUZZ_CHECK(c.address_kind <= PairingAddressKind::mdns);
        FUZZ_CHECK(c.address_kind != PairingAddressKind::mdns || c.type == PairingCandidateType::host);
        FUZZ_CHECK(c.port != 0);
        if (c.address_kind == PairingAddressKind::ipv4)
            FUZZ_CHECK(std::all_of(c.address.begin() + 4, c.address.end(), [](auto b) { return b == 0; }));
        if (i > 0) FUZZ_CHECK(d.candidates[i - 1].type <= c.type);
        for (std::size_t j = 0; j < i; ++j) FUZZ_CHECK(!same_address(d.candidates[j], c));
    }
}

// A scanned code that decoded: all the rules, one spelling, and an SDP that reads back the same.
void check_decoded(std::string_view text, const PairingDescription& d, PairingKind kind) {
    FUZZ_CHECK(d.kind == kind);
    check_ice_part(d);
    FUZZ_CHECK(!d.candidates.empty());
    if (kind == PairingKind::offer) {
        FUZZ_CHECK(is_valid_id(d.room));
        FUZZ_CHECK(d.room_key.size() == room_key_bytes);
    } else {
        FUZZ_CHECK(d.room.empty() && d.room_key.empty());
    }
    FUZZ_CHECK(text.size() <= max_pairing_code_chars);
    FUZZ_CHECK(pairing_payload_bytes(d) <= max_pairing_payload_bytes);

    const auto again = encode_pairing_code(d);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(*again == text); // one text form per description
    const PairingDecode redecoded = decode_pairing_code(*again, kind);
    FUZZ_CHECK(redecoded.ok() && redecoded.description == d);

    const std::string sdp = sdp_from_pairing(d);
    std::string why;
    const auto reread = pairing_description_from_sdp(kind, sdp, {}, &why);
    FUZZ_CHECK(reread.has_value());
    FUZZ_CHECK(reread->ice_ufrag == d.ice_ufrag && reread->ice_pwd == d.ice_pwd);
    FUZZ_CHECK(reread->fingerprint == d.fingerprint);
    FUZZ_CHECK(reread->candidates == d.candidates);
}

// A description read from SDP: its rules, and once completed, a code that decodes to it.
void check_from_sdp(PairingDescription d, PairingKind kind) {
    FUZZ_CHECK(d.kind == kind);
    check_ice_part(d);
    FUZZ_CHECK(d.room.empty() && d.room_key.empty());
    if (d.candidates.empty()) {
        FUZZ_CHECK(!encode_pairing_code(d));
        return;
    }
    if (kind == PairingKind::offer) {
        d.room = "r";
        d.room_key.assign(room_key_bytes, '\x7f');
    }
    const std::size_t before = d.candidates.size();
    if (!fit_pairing_budget(d)) {
        FUZZ_CHECK(!encode_pairing_code(d));
        return;
    }
    FUZZ_CHECK(!d.candidates.empty() && d.candidates.size() <= before);
    const auto code = encode_pairing_code(d);
    FUZZ_CHECK(code.has_value());
    const PairingDecode decoded = decode_pairing_code(*code, kind);
    FUZZ_CHECK(decoded.ok());
    FUZZ_CHECK(decoded.description == d);
}

// Base41 as pairing_code.hpp describes it, written again here: two bytes -> three characters,
// least significant first; a lone last byte -> two.
std::string base41_model(std::string_view bytes) {
    constexpr std::string_view alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*+-./";
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); i += 2) {
        const bool pair = i + 1 < bytes.size();
        unsigned n = static_cast<std::uint8_t>(bytes[i]);
        if (pair) n = n << 8 | static_cast<std::uint8_t>(bytes[i + 1]);
        for (int digit = 0; digit < (pair ? 3 : 2); ++digit, n /= 41) out += alphabet[n % 41];
    }
    return out;
}

bool is_known_sentence(const peddlenet::i18n::Message& e) {
    return e == pairing_error_not_ours || e == pairing_error_newer || e == pairing_error_damaged ||
           e == pairing_error_answer_not_offer || e == pairing_error_offer_not_answer;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    // As a scanned code, expecting each kind.
    const PairingDecode as_offer = decode_pairing_code(text, PairingKind::offer);
    const PairingDecode as_answer = decode_pairing_code(text, PairingKind::answer);
    FUZZ_CHECK(!(as_offer.ok() && as_answer.ok()));
    FUZZ_CHECK(as_offer.ok() || is_known_sentence(as_offer.error));
    FUZZ_CHECK(as_answer.ok() || is_known_sentence(as_answer.error));
    // "The other kind" is said exactly when the code is valid as the other kind.
    FUZZ_CHECK((as_offer.error == pairing_error_answer_not_offer) == as_answer.ok());
    FUZZ_CHECK((as_answer.error == pairing_error_offer_not_answer) == as_offer.ok());
    if (as_offer.ok()) check_decoded(text, as_offer.description, PairingKind::offer);
    if (as_answer.ok()) check_decoded(text, as_answer.description, PairingKind::answer);
    // Code-shaped inputs stop here: the SDP paths below ignore such a line, and skipping them
    // makes the code path several times faster.
    if (text.starts_with("PN")) return 0;

    // As a raw payload, so that one mutated byte is one changed field (through the text, most
    // byte changes move two or three characters at once).
    if (size <= max_pairing_payload_bytes) {
        const std::string code = "PN1:" + base41_model(text);
        for (const PairingKind kind : {PairingKind::offer, PairingKind::answer}) {
            const PairingDecode d = decode_pairing_code(code, kind);
            FUZZ_CHECK(d.ok() || is_known_sentence(d.error));
            if (d.ok()) check_decoded(code, d.description, kind);
        }
    }

    // As an SDP of each kind.
    for (const PairingKind kind : {PairingKind::offer, PairingKind::answer}) {
        if (const auto d = pairing_description_from_sdp(kind, text)) check_from_sdp(*d, kind);
    }

    // As trickled candidate lines next to a real offer.
    std::vector<std::string> lines;
    for (std::size_t at = 0; at <= text.size() && lines.size() < 16;) {
        const std::size_t end = std::min(text.find('\n', at), text.size());
        lines.emplace_back(text.substr(at, end - at));
        at = end + 1;
    }
    const auto d = pairing_description_from_sdp(PairingKind::offer, base_offer, lines);
    FUZZ_CHECK(d.has_value());
    check_from_sdp(*d, PairingKind::offer);
    return 0;
}
