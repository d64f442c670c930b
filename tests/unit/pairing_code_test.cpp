// Pairing codes (core/pairing_code.hpp): reading Chromium's SDP, the QR text's round trips and
// size, strict refusals, and the rebuilt SDP. The fixtures are real SDP from this machine's
// headless Chromium 156 (pc.createDataChannel('chat') offer and answer, loopback-only network
// namespace, camera permission so host candidates show 127.0.0.1), plus one crafted from the real
// offer with the candidate kinds a phone meets (mDNS, IPv6, srflx, relay, TCP).
#include "core/pairing_code.hpp"
#include "core/text.hpp"
#include "core/trust.hpp"
#include "qr/qr.hpp"
#include "chromium_sdp.hpp"
#include "qr_test_support.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace peddlenet;
using namespace peddlenet::testing;

namespace {

// The real offer's session with the candidates of a phone on Wi-Fi with STUN and TURN: an mDNS
// host name, a global IPv6 host address, srflx and relay (IPv4 and IPv6), TCP, an RTCP
// component, a prflx, one address twice (srflx equal to a host address), and junk.
std::string crafted_offer() {
    std::string sdp = chromium_offer_before_gathering;
    const std::string candidates =
        "a=candidate:1 1 udp 2122194687 192.168.1.23 54321 typ host generation 0 network-id 1\r\n"
        "a=candidate:2 1 udp 2122262783 2001:db8:0:0:0:0:0:7 54322 typ host generation 0 network-id 2\r\n"
        "a=candidate:3 1 udp 2122260223 0c4d1d1e-3f3a-4b6c-9d2e-8f1a2b3c4d5e.local 54323 typ host generation 0\r\n"
        "a=candidate:4 1 udp 1686052607 203.0.113.9 61000 typ srflx raddr 0.0.0.0 rport 0 generation 0 network-cost 999\r\n"
        "a=candidate:5 1 udp 1686052607 192.168.1.23 54321 typ srflx raddr 0.0.0.0 rport 0 generation 0\r\n"
        "a=candidate:6 1 udp 41885439 198.51.100.7 50000 typ relay raddr 203.0.113.9 rport 61000 generation 0\r\n"
        "a=candidate:7 1 udp 41819903 2001:db8::99 50002 typ relay raddr :: rport 0 generation 0\r\n"
        "a=candidate:8 1 tcp 1518214911 192.168.1.23 9 typ host tcptype active generation 0\r\n"
        "a=candidate:9 2 udp 2122194686 192.168.1.23 54324 typ host generation 0\r\n"
        "a=candidate:10 1 udp 1853824767 10.0.0.9 40000 typ prflx raddr 0.0.0.0 rport 0\r\n"
        "a=candidate:11 1 udp 2122194687 300.1.1.1 1 typ host\r\n"
        "a=candidate:12 1 udp 2122194687 10.0.0.1 0 typ host\r\n"
        "a=candidate:13 1 udp 2122194687 0.0.0.0 5 typ host\r\n";
    sdp.insert(sdp.find("a=ice-ufrag:"), candidates);
    return sdp;
}

PairingCandidate ipv4(PairingCandidateType type, std::uint8_t a, std::uint8_t b, std::uint8_t c,
                      std::uint8_t d, std::uint16_t port) {
    PairingCandidate out;
    out.type = type;
    out.address_kind = PairingAddressKind::ipv4;
    out.address = {a, b, c, d};
    out.port = port;
    return out;
}

PairingCandidate ipv6(PairingCandidateType type, std::uint8_t last, std::uint16_t port) {
    PairingCandidate out;
    out.type = type;
    out.address_kind = PairingAddressKind::ipv6;
    out.address = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x11, 0x22, 0x33, last};
    out.port = port;
    return out;
}

// The real offer with a room, as phone A would encode it.
PairingDescription real_offer() {
    auto d = pairing_description_from_sdp(PairingKind::offer, chromium_offer);
    REQUIRE(d);
    d->room = "amber-otter-42";
    d->room_key = std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\xff", room_key_bytes);
    return *d;
}

// The biggest code the app can make with Chromium's credentials: the longest room name and four
// IPv6 candidates.
PairingDescription worst_offer() {
    PairingDescription d = real_offer();
    d.room = std::string(max_id_length, 'z');
    d.candidates = {ipv6(PairingCandidateType::host, 1, 50001), ipv6(PairingCandidateType::host, 2, 50002),
                    ipv6(PairingCandidateType::srflx, 3, 50003), ipv6(PairingCandidateType::relay, 4, 50004)};
    return d;
}

int qr_version(const std::string& text) {
    const auto code = qr::encode(text, qr::Ecc::medium);
    REQUIRE(code);
    return (code->size - 17) / 4;
}

} // namespace

TEST_CASE("Chromium's offer and answer: credentials, fingerprint and the UDP host candidate", "[pairing]") {
    const auto offer = pairing_description_from_sdp(PairingKind::offer, chromium_offer);
    REQUIRE(offer);
    CHECK(offer->kind == PairingKind::offer);
    CHECK(offer->ice_ufrag == "1Izu");
    CHECK(offer->ice_pwd == "/I2cZSLiRINAVafg3ksR3sVI");
    CHECK(offer->fingerprint[0] == 0xE7);
    CHECK(offer->fingerprint[31] == 0x48);
    REQUIRE(offer->candidates.size() == 1); // the TCP one is dropped
    CHECK(offer->candidates[0] == ipv4(PairingCandidateType::host, 127, 0, 0, 1, 42583));
    CHECK(offer->room.empty());
    CHECK(offer->room_key.empty());

    const auto answer = pairing_description_from_sdp(PairingKind::answer, chromium_answer);
    REQUIRE(answer);
    CHECK(answer->ice_ufrag == "/1DK");
    CHECK(answer->candidates == std::vector{ipv4(PairingCandidateType::host, 127, 0, 0, 1, 38065)});

    // Each SDP states its DTLS role, which the rebuilt one repeats: the kinds cannot be swapped.
    std::string why;
    CHECK_FALSE(pairing_description_from_sdp(PairingKind::answer, chromium_offer, {}, &why));
    CHECK(why == "unexpected DTLS role");
    CHECK_FALSE(pairing_description_from_sdp(PairingKind::offer, chromium_answer));
}

TEST_CASE("trickled candidates count like inlined ones; another ufrag's are dropped", "[pairing]") {
    const auto before = pairing_description_from_sdp(PairingKind::offer, chromium_offer_before_gathering);
    REQUIRE(before);
    CHECK(before->candidates.empty());
    const auto trickled =
        pairing_description_from_sdp(PairingKind::offer, chromium_offer_before_gathering, chromium_trickled);
    const auto inlined = pairing_description_from_sdp(PairingKind::offer, chromium_offer);
    REQUIRE(trickled);
    CHECK(*trickled == *inlined);
    // Both at once (a browser that inlines and also fired events): no candidate twice.
    CHECK(*pairing_description_from_sdp(PairingKind::offer, chromium_offer, chromium_trickled) == *inlined);

    const std::vector<std::string> mixed = {
        "a=candidate:842163049 1 udp 1677729535 1.2.3.4 3478 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag 1Izu network-cost 999",
        "candidate:842163050 1 udp 1677729535 5.6.7.8 3478 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag OLDx network-cost 999",
        "", "candidate:", "candidate:1 1 udp 1 1.2.3.4 5 typ host ufrag", // no value for ufrag
    };
    const auto d = pairing_description_from_sdp(PairingKind::offer, chromium_offer, mixed);
    REQUIRE(d);
    CHECK(d->candidates == std::vector{ipv4(PairingCandidateType::host, 127, 0, 0, 1, 42583),
                                       ipv4(PairingCandidateType::srflx, 1, 2, 3, 4, 3478)});
}

TEST_CASE("a phone's candidates: UDP host/srflx/relay kept in preference order, capped, deduplicated",
          "[pairing]") {
    const auto d = pairing_description_from_sdp(PairingKind::offer, crafted_offer());
    REQUIRE(d);
    // Hosts by browser priority (IPv6 2122262783 > mDNS 2122260223 > IPv4 2122194687); two hosts
    // first, then one srflx (192.168.1.23:54321 is a host address already) and one relay.
    REQUIRE(d->candidates.size() == max_pairing_candidates);
    CHECK(d->candidates[0].address_kind == PairingAddressKind::ipv6);
    CHECK(d->candidates[0].port == 54322);
    CHECK(d->candidates[1].address_kind == PairingAddressKind::mdns);
    CHECK(d->candidates[1].address[0] == 0x0c);
    CHECK(d->candidates[1].address[15] == 0x5e);
    CHECK(d->candidates[2] == ipv4(PairingCandidateType::srflx, 203, 0, 113, 9, 61000));
    CHECK(d->candidates[3] == ipv4(PairingCandidateType::relay, 198, 51, 100, 7, 50000));

    // Rebuilt, the addresses come back in their usual spelling.
    PairingDescription offer = *d;
    offer.room = "r";
    offer.room_key = std::string(room_key_bytes, 'k');
    const std::string sdp = sdp_from_pairing(offer);
    CHECK(sdp.find(" 2001:db8::7 54322 typ host") != std::string::npos);
    CHECK(sdp.find(" 0c4d1d1e-3f3a-4b6c-9d2e-8f1a2b3c4d5e.local 54323 typ host") != std::string::npos);
    CHECK(sdp.find(" 203.0.113.9 61000 typ srflx raddr 0.0.0.0 rport 0") != std::string::npos);
    CHECK(sdp.find(" 198.51.100.7 50000 typ relay raddr 0.0.0.0 rport 0") != std::string::npos);

    // Hosts only: all four slots go to hosts.
    std::vector<std::string> hosts;
    for (int i = 1; i <= 6; ++i)
        hosts.push_back("candidate:" + std::to_string(i) + " 1 udp 2122260223 10.0.0." + std::to_string(i) +
                        " 4000 typ host");
    const auto many = pairing_description_from_sdp(PairingKind::offer, chromium_offer_before_gathering, hosts);
    REQUIRE(many);
    CHECK(many->candidates.size() == max_pairing_candidates);
    CHECK(many->candidates[3] == ipv4(PairingCandidateType::host, 10, 0, 0, 4, 4000));
}

TEST_CASE("SDP that is not a data-channel-only description of ours is refused", "[pairing]") {
    const auto refused = [](std::string sdp, const char* reason) {
        std::string why;
        INFO(sdp);
        CHECK_FALSE(pairing_description_from_sdp(PairingKind::offer, sdp, {}, &why));
        CHECK(why == reason);
    };
    const auto replace = [](std::string s, const std::string& from, const std::string& to) {
        const std::size_t at = s.find(from);
        REQUIRE(at != std::string::npos);
        return s.replace(at, from.size(), to);
    };
    refused(chromium_offer + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n", "the SDP is not data channel only");
    refused(chromium_offer + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n", "the SDP is not data channel only");
    refused(replace(chromium_offer, "a=ice-ufrag:1Izu", "a=ice-ufrag:1Iz"), "bad ICE ufrag");
    refused(replace(chromium_offer, "a=ice-ufrag:1Izu", "a=ice-ufrag:1Iz-"), "bad ICE ufrag");
    refused(replace(chromium_offer, "a=ice-ufrag:1Izu\r\n", ""), "bad ICE ufrag");
    refused(chromium_offer + "a=ice-ufrag:abcd\r\n", "the SDP has two ICE ufrags");
    refused(replace(chromium_offer, "a=ice-pwd:/I2cZSLiRINAVafg3ksR3sVI", "a=ice-pwd:short"), "bad ICE password");
    refused(replace(chromium_offer, "a=ice-pwd:/I2cZSLiRINAVafg3ksR3sVI", "a=ice-pwd:" + std::string(129, 'p')),
            "bad ICE password");
    refused(replace(chromium_offer, "a=fingerprint:sha-256", "a=fingerprint:sha-1"), "no sha-256 fingerprint");
    refused(replace(chromium_offer, "B1:48", "B1:4"), "bad sha-256 fingerprint");
    refused(replace(chromium_offer, "B1:48", "B1:4G"), "bad sha-256 fingerprint");
    refused(replace(chromium_offer, "E7:52", "E7;52"), "bad sha-256 fingerprint");
    refused(chromium_offer + "a=fingerprint:sha-256 "
                "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n",
            "the SDP has two sha-256 fingerprints");
    refused(replace(chromium_offer, "a=setup:actpass", "a=setup:passive"), "unexpected DTLS role");
    refused(std::string(max_pairing_sdp_bytes + 1, 'v'), "the SDP is too long");
    // The same fingerprint at session and media level, in lower case, is one fingerprint.
    CHECK(pairing_description_from_sdp(
        PairingKind::offer,
        chromium_offer + "a=fingerprint:sha-256 e7:52:8b:f3:69:56:6e:eb:9c:b8:86:be:8d:ca:fa:bd:7a:04:3d:1b:5d:46:9a:23:cc:40:1a:bb:50:99:b1:48\n"));
}

TEST_CASE("malformed candidates are skipped, never half-read", "[pairing]") {
    for (const char* line : {
             "candidate:1 1 udp 2122260223 127.0.0.1 42583 typ host extra", // odd extension
             "candidate:1 1 udp 2122260223 127.0.0.1 42583 typ  host",      // double space
             "candidate:1 1 udp 2122260223 127.0.0.1 42583 type host",
             "candidate:1 1 udp 4294967296 127.0.0.1 42583 typ host",       // priority > 2^32-1
             "candidate:1 1 udp 2122260223 127.0.0.1 65536 typ host",
             "candidate:1 1 udp 2122260223 127.0.0.1 042583 typ host",
             "candidate:1 1 udp 2122260223 127.0.0.01 42583 typ host",
             "candidate:1 1 udp 2122260223 127.0.0 42583 typ host",
             "candidate:1 1 udp 2122260223 127.0.0.1.5 42583 typ host",
             "candidate:1 1 udp 2122260223 1:2:3:4:5:6:7:8:9 42583 typ host",
             "candidate:1 1 udp 2122260223 1::2::3 42583 typ host",
             "candidate:1 1 udp 2122260223 1:2:3:4:5:6:7::8 42583 typ host", // "::" for no group
             "candidate:1 1 udp 2122260223 fe80::1%eth0 42583 typ host",
             "candidate:1 1 udp 2122260223 ::ffff:1.2.3.4 42583 typ host",
             "candidate:1 1 udp 2122260223 :: 42583 typ host",
             "candidate:1 1 udp 2122260223 12345::1 42583 typ host",
             "candidate:1 1 udp 2122260223 0c4d1d1e-3f3a-4b6c-9d2e-8f1a2b3c4d5e.loca 42583 typ host",
             "candidate:1 1 udp 2122260223 0c4d1d1e3f3a-4b6c-9d2e-8f1a2b3c4d5e1.local 42583 typ host",
             "candidate:1 1 udp 2122260223 0c4d1d1e-3f3a-4b6c-9d2e-8f1a2b3c4d5g.local 42583 typ host",
             "candidate:1 1 udp 1686052607 0c4d1d1e-3f3a-4b6c-9d2e-8f1a2b3c4d5e.local 42583 typ srflx raddr 0.0.0.0 rport 0",
             "candidate:1 1 udp 2122260223 example.com 42583 typ host",
             "candidate:f\xC3\xA9 1 udp 2122260223 127.0.0.1 42583 typ host",
             "candidate:1 1 udp 2122260223 127.0.0.1 42583 typ host\r", // a stray CR is not a token
             "candidates:1 1 udp 2122260223 127.0.0.1 42583 typ host",
         }) {
        INFO(line);
        const auto d = pairing_description_from_sdp(PairingKind::offer, chromium_offer_before_gathering, {line});
        REQUIRE(d);
        CHECK(d->candidates.empty());
    }
    // Upper-case transport and mDNS name, and IPv6 spelled out: the same candidates.
    const auto d = pairing_description_from_sdp(
        PairingKind::offer, chromium_offer_before_gathering,
        {"candidate:1 1 UDP 2122260223 0C4D1D1E-3F3A-4B6C-9D2E-8F1A2B3C4D5E.LOCAL 1 typ host",
         "candidate:1 1 udp 2122260223 2001:0DB8:0000:0000:0000:0000:0000:0001 2 typ host"});
    REQUIRE(d);
    REQUIRE(d->candidates.size() == 2);
    const std::string sdp = sdp_from_pairing([&] {
        PairingDescription a = *d;
        a.kind = PairingKind::answer;
        return a;
    }());
    CHECK(sdp.find(" 0c4d1d1e-3f3a-4b6c-9d2e-8f1a2b3c4d5e.local 1 typ host") != std::string::npos);
    CHECK(sdp.find(" 2001:db8::1 2 typ host") != std::string::npos);
}

TEST_CASE("codes round-trip: text -> description -> the same text, and sizes", "[pairing]") {
    const PairingDescription offer = real_offer();
    const auto offer_code = encode_pairing_code(offer);
    REQUIRE(offer_code);
    CHECK(offer_code->starts_with("PN1:"));
    for (const char c : offer_code->substr(4)) {
        INFO(c);
        CHECK(std::string_view("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*+-./").find(c) != std::string_view::npos);
    }
    const PairingDecode decoded = decode_pairing_code(*offer_code, PairingKind::offer);
    REQUIRE(decoded.ok());
    CHECK(decoded.description == offer);
    CHECK(encode_pairing_code(decoded.description) == offer_code);

    auto answer = pairing_description_from_sdp(PairingKind::answer, chromium_answer);
    REQUIRE(answer);
    const auto answer_code = encode_pairing_code(*answer);
    REQUIRE(answer_code);
    const PairingDecode decoded_answer = decode_pairing_code(*answer_code, PairingKind::answer);
    REQUIRE(decoded_answer.ok());
    CHECK(decoded_answer.description == *answer);

    PairingDescription two_hosts = offer;
    two_hosts.candidates.push_back(ipv4(PairingCandidateType::host, 192, 168, 1, 23, 54321));
    const auto two_code = encode_pairing_code(two_hosts);
    REQUIRE(two_code);
    CHECK(decode_pairing_code(*two_code, PairingKind::offer).description == two_hosts);

    const PairingDescription worst = worst_offer();
    const auto worst_code = encode_pairing_code(worst);
    REQUIRE(worst_code);
    CHECK(decode_pairing_code(*worst_code, PairingKind::offer).description == worst);

    // The crafted phone offer (IPv6, mDNS, srflx, relay) round-trips too.
    auto phone = pairing_description_from_sdp(PairingKind::offer, crafted_offer());
    REQUIRE(phone);
    phone->room = "festival";
    phone->room_key = offer.room_key;
    const auto phone_code = encode_pairing_code(*phone);
    REQUIRE(phone_code);
    CHECK(decode_pairing_code(*phone_code, PairingKind::offer).description == *phone);

    struct Row { const char* what; const PairingDescription& d; const std::string& code; };
    for (const Row& row : {Row{"answer, 1 host (Chromium)", *answer, *answer_code},
                           Row{"offer, 1 host, 14-char room (Chromium)", offer, *offer_code},
                           Row{"offer, 2 hosts, 14-char room", two_hosts, *two_code},
                           Row{"offer, IPv6+mDNS+srflx+relay, 8-char room", *phone, *phone_code},
                           Row{"offer, 4 IPv6, 64-char room (worst)", worst, *worst_code}}) {
        const int version = qr_version(row.code);
        WARN(row.what << ": payload " << pairing_payload_bytes(row.d) << " bytes, text " << row.code.size()
                      << " chars, QR version " << version << " at level M");
        CHECK(row.code.size() == 4 + (pairing_payload_bytes(row.d) * 3 + 1) / 2);
        CHECK(pairing_payload_bytes(row.d) <= max_pairing_payload_bytes);
        CHECK(version <= 10);
    }
    CHECK(qr_version(*answer_code) <= 5);
    CHECK(qr_version(*offer_code) <= 7);
}

TEST_CASE("the longest code the budget allows is a version 10 QR code at level M, readable", "[pairing]") {
    // Firefox-sized credentials (8 + 32) with the worst offer exceed the budget by a few bytes:
    // fit_pairing_budget drops the least preferred candidate.
    PairingDescription d = worst_offer();
    d.ice_ufrag = "a1b2c3d4";
    d.ice_pwd = "0123456789abcdef0123456789abcdef";
    CHECK(pairing_payload_bytes(d) > max_pairing_payload_bytes);
    CHECK_FALSE(encode_pairing_code(d));
    REQUIRE(fit_pairing_budget(d));
    CHECK(d.candidates.size() == 3);
    CHECK(d.candidates.back().type == PairingCandidateType::srflx);

    // Grow the pwd to the exact budget: the longest text there is.
    while (pairing_payload_bytes(d) < max_pairing_payload_bytes) d.ice_pwd += 'x';
    REQUIRE(pairing_payload_bytes(d) == max_pairing_payload_bytes);
    const auto code = encode_pairing_code(d);
    REQUIRE(code);
    CHECK(code->size() == max_pairing_code_chars);
    CHECK(qr_version(*code) == 10);
    d.ice_pwd += 'x';
    CHECK_FALSE(encode_pairing_code(d));

    // What a camera sees: the rendered symbol decodes back to the description.
    const auto symbol = qr::encode(*code, qr::Ecc::medium);
    REQUIRE(symbol);
    const auto image = qr::testing::render(*symbol, {});
    const auto scanned = qr::decode_luminance(image.pixels.data(), image.width, image.height, image.width);
    REQUIRE(scanned);
    CHECK(*scanned == *code);
    d.ice_pwd.pop_back();
    CHECK(decode_pairing_code(*scanned, PairingKind::offer).description == d);

    // Nothing fits when one candidate is already too many.
    PairingDescription hopeless = worst_offer();
    hopeless.ice_pwd = std::string(max_ice_pwd_chars, 'p');
    CHECK_FALSE(fit_pairing_budget(hopeless));
}

TEST_CASE("encode refuses descriptions it could not write faithfully", "[pairing]") {
    const PairingDescription good = real_offer();
    REQUIRE(encode_pairing_code(good));
    const auto refused = [](PairingDescription d) { CHECK_FALSE(encode_pairing_code(d)); };
    auto d = good;
    d.candidates.clear(); refused(d);
    d = good; d.candidates.assign(5, good.candidates[0]); refused(d);
    d = good; d.candidates.push_back(good.candidates[0]); refused(d); // the same address twice
    d = good; d.candidates[0].port = 0; refused(d);
    d = good; d.candidates[0].address = {}; refused(d); // 0.0.0.0
    d = good; d.candidates[0].address[7] = 1; refused(d); // IPv4 with bytes past the 4th
    d = good; d.candidates[0].address_kind = PairingAddressKind::mdns;
    d.candidates[0].type = PairingCandidateType::relay; refused(d);
    d = good; d.candidates[0].type = static_cast<PairingCandidateType>(3); refused(d);
    d = good; d.candidates.insert(d.candidates.begin(), ipv4(PairingCandidateType::srflx, 1, 2, 3, 4, 5));
    refused(d); // srflx before host
    d = good; d.ice_ufrag = "abc"; refused(d);
    d = good; d.ice_ufrag = "ab-d"; refused(d);
    d = good; d.ice_ufrag = std::string(33, 'u'); refused(d);
    d = good; d.ice_pwd = std::string(21, 'p'); refused(d);
    d = good; d.ice_pwd.back() = '='; refused(d);
    d = good; d.room = ""; refused(d);
    d = good; d.room = "two words"; refused(d);
    d = good; d.room = std::string(65, 'r'); refused(d);
    d = good; d.room_key = ""; refused(d); // an offer is for a private room
    d = good; d.room_key.pop_back(); refused(d);
    d = good; d.kind = PairingKind::answer; refused(d); // an answer carries no room
    d = good; d.kind = static_cast<PairingKind>(2); refused(d);
}

TEST_CASE("decode refuses every code encode could not have written, with a sentence", "[pairing]") {
    const auto code = encode_pairing_code(real_offer());
    REQUIRE(code);
    const auto error = [](std::string_view text, PairingKind kind = PairingKind::offer) {
        const PairingDecode d = decode_pairing_code(text, kind);
        CHECK_FALSE(d.ok());
        return d.error;
    };
    const std::string body = code->substr(4);

    // Not ours at all.
    for (std::string_view text : {std::string_view(""), std::string_view("PN"), std::string_view("PN:"),
                                  std::string_view("PN0:AB"), std::string_view("PNX:AB"), std::string_view("pn1:AB"),
                                  std::string_view("PN01:AB"), std::string_view("PN1234:AB"),
                                  std::string_view("https://10.0.0.2:8443/#join=amber-otter-42"),
                                  std::string_view("XPN1:AB")}) {
        INFO(text);
        CHECK(error(text) == pairing_error_not_ours);
    }
    // A newer app's code.
    CHECK(error("PN2:" + body) == pairing_error_newer);
    CHECK(error("PN999:ANYTHING at all") == pairing_error_newer);

    // Damaged: truncated anywhere, one character more, lower case, space, characters outside
    // base41, a group above 65535, trailing bytes.
    for (std::size_t n = 0; n < body.size(); ++n) {
        INFO(n);
        CHECK(error("PN1:" + body.substr(0, n)) == pairing_error_damaged);
    }
    CHECK(error(*code + "0") == pairing_error_damaged);
    CHECK(error(*code + "00") == pairing_error_damaged);   // one trailing zero byte
    CHECK(error(*code + "000") == pairing_error_damaged);  // two trailing zero bytes
    CHECK(error(*code + "\n") == pairing_error_damaged);
    CHECK(error(" " + *code) == pairing_error_not_ours);
    std::string lower = *code;
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    CHECK(error("PN1:" + lower.substr(4)) == pairing_error_damaged);
    for (const char bad : {' ', '$', '%', ':', '=', '_', 'a', '\0'}) {
        std::string s = *code;
        s[10] = bad;
        INFO(static_cast<int>(bad));
        CHECK(error(s) == pairing_error_damaged);
    }
    CHECK(error("PN1:" + std::string(3, '/')) == pairing_error_damaged); // 40 + 40*41 + 40*1681 > 65535
    CHECK(error("PN1:" + std::string(max_pairing_code_chars, '0')) == pairing_error_damaged); // overlong

    // A flipped payload character anywhere: damaged, or (rarely) another valid description that
    // differs; never the same description from different text.
    std::size_t still_valid = 0;
    for (std::size_t i = 4; i < code->size(); ++i) {
        std::string s = *code;
        s[i] = s[i] == '0' ? '1' : '0';
        const PairingDecode d = decode_pairing_code(s, PairingKind::offer);
        if (d.ok()) {
            ++still_valid;
            CHECK_FALSE(d.description == real_offer());
            CHECK(encode_pairing_code(d.description) == s);
        } else {
            CHECK(d.error == pairing_error_damaged);
        }
    }
    // Most changes land in the fingerprint, key or an address, where any value is valid: there is
    // no checksum, the QR code's Reed-Solomon codewords already refuse a misread symbol, and a
    // wrong fingerprint only fails the DTLS handshake.
    CHECK(still_valid < code->size() - 4);

    // The other kind, each with its own sentence.
    CHECK(error(*code, PairingKind::answer) == pairing_error_offer_not_answer);
    const auto answer_code = encode_pairing_code(*pairing_description_from_sdp(PairingKind::answer, chromium_answer));
    REQUIRE(answer_code);
    CHECK(error(*answer_code, PairingKind::offer) == pairing_error_answer_not_offer);
}

TEST_CASE("decode checks each payload field (hand-built payloads)", "[pairing]") {
    // Payloads written byte by byte, then base41-encoded the way the codec does, so each test
    // changes exactly one field of a valid answer.
    const auto base41 = [](const std::string& bytes) {
        constexpr std::string_view alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*+-./";
        std::string out = "PN1:";
        for (std::size_t i = 0; i < bytes.size(); i += 2) {
            const bool pair = i + 1 < bytes.size();
            unsigned n = static_cast<std::uint8_t>(bytes[i]);
            if (pair) n = n << 8 | static_cast<std::uint8_t>(bytes[i + 1]);
            for (int k = 0; k < (pair ? 3 : 2); ++k, n /= 41) out += alphabet[n % 41];
        }
        return out;
    };
    // An answer: kind 1, ufrag 4, pwd 22, fingerprint, 1 IPv4 host 10.0.0.1:4000, 26 chars of 'A'
    // (6-bit value 0): 20 zero bytes (156 bits; the last 4 bits padding).
    const auto answer = [](std::uint8_t kind, std::uint8_t ufrag, std::uint8_t pwd, std::uint8_t count,
                           std::uint8_t flags, std::string text) {
        std::string p;
        p += static_cast<char>(kind);
        p += static_cast<char>(ufrag);
        p += static_cast<char>(pwd);
        p += std::string(32, '\x42');
        p += static_cast<char>(count);
        for (std::uint8_t i = 0; i < count; ++i) {
            p += static_cast<char>(flags);
            if (flags >> 2 == 0) p += std::string("\x0a\x00\x00", 3); // IPv4 10.0.0.x
            else p += std::string(15, '\x0c');                          // IPv6 or mDNS
            p += static_cast<char>(1 + i);
            p += std::string("\x0f\xa0", 2);
        }
        return p + text;
    };
    const std::string text20(20, '\0');
    const std::string good = base41(answer(1, 4, 22, 1, 0, text20));
    const PairingDecode ok = decode_pairing_code(good, PairingKind::answer);
    REQUIRE(ok.ok());
    CHECK(ok.description.ice_ufrag == "AAAA");
    CHECK(ok.description.ice_pwd == std::string(22, 'A'));
    CHECK(ok.description.candidates == std::vector{ipv4(PairingCandidateType::host, 10, 0, 0, 1, 4000)});

    const auto damaged = [&](const std::string& payload) {
        CHECK(decode_pairing_code(base41(payload), PairingKind::answer).error == pairing_error_damaged);
    };
    damaged(answer(2, 4, 22, 1, 0, text20));                       // unknown kind
    damaged(answer(1, 3, 22, 1, 0, std::string(19, '\0')));        // ufrag too short (25 chars: 19 bytes)
    damaged(answer(1, 33, 22, 1, 0, std::string(42, '\0')));       // ufrag too long
    damaged(answer(1, 4, 21, 1, 0, std::string(19, '\0')));        // pwd too short
    damaged(answer(1, 4, 129, 1, 0, std::string(100, '\0')));      // pwd too long
    damaged(answer(1, 4, 22, 0, 0, text20));                       // no candidate
    damaged(answer(1, 4, 22, 5, 0, text20));                       // too many
    damaged(answer(1, 4, 22, 1, 3, text20));                       // type 3
    damaged(answer(1, 4, 22, 1, 3 << 2, text20));                  // address kind 3
    damaged(answer(1, 4, 22, 1, 0x10, text20));                    // a spare bit set
    CHECK(decode_pairing_code(base41(answer(1, 4, 22, 1, 2 << 2, text20)), PairingKind::answer).ok());
    damaged(answer(1, 4, 22, 1, 2 << 2 | 1, text20));              // an mDNS name as srflx
    damaged(answer(1, 4, 22, 1, 2 << 2 | 2, text20));              // an mDNS name as relay
    CHECK(decode_pairing_code(base41(answer(1, 4, 22, 2, 0, text20)), PairingKind::answer).ok());
    damaged(answer(1, 4, 22, 2, 0, text20).replace(36, 1, "\x01")); // srflx, then host
    damaged(answer(1, 4, 22, 1, 0, std::string(19, '\0')));        // text one byte short
    damaged(answer(1, 4, 22, 1, 0, std::string(21, '\0')));        // trailing byte
    damaged(answer(1, 4, 22, 1, 0, std::string(19, '\0') + '\x01')); // padding bits not zero
    damaged(answer(1, 4, 22, 1, 0, ""));                           // truncated
    damaged(std::string(1, '\x01'));
    damaged(answer(1, 4, 22, 2, 0, text20).replace(47, 1, "\x01")); // two candidates, same address
}
