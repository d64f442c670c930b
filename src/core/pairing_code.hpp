// pairing_code.hpp: pairing two phones by QR code with no signaling server. Phone A shows a code
// of a compact offer, phone B scans it and shows a compact answer, A scans that; the resulting
// RTCPeerConnection is a throwaway "bootstrap" link (one data channel) over which the apps then
// introduce each other. This file is the codec between a browser's SDP and the QR text.
// Needs: core/text.hpp (is_valid_id), core/trust.hpp (room_key_bytes). No browser, no I/O.
//
// What a code keeps (everything else in the SDP is fixed for a data-channel-only session):
//   ICE ufrag and pwd, the DTLS sha-256 fingerprint, up to max_pairing_candidates UDP candidates
//   (host / srflx / relay; IPv4, IPv6 or an mDNS "<uuid>.local" name), and in an offer the private
//   room's key (room_key_bytes raw bytes) and name (a valid id). Non-trickle: the code is made
//   after ICE gathering completes.
//
// Text form: "PN1:" then the payload in base41, i.e. the layout of RFC 9285 (base45: two bytes
// -> three characters, a lone last byte -> two) over the 41 characters 0-9 A-Z * + - . /. All are
// in the QR alphanumeric set (5.5 bits a character), so qrcodegen picks alphanumeric mode; unlike
// base45 there is no space (a pasted code survives trimming), no '%' and no ':'. At most
// max_pairing_payload_bytes bytes, so every code fits a version 10 QR code at level M.
//
// Payload, version 1 (multi-byte numbers big-endian):
//   kind          1 byte: 0 offer, 1 answer
//   ufrag length  1 byte: 4..32       pwd length 1 byte: 22..128
//   name length   1 byte: 1..64 (offer only)
//   fingerprint   32 bytes: sha-256 of the DTLS certificate
//   room key      room_key_bytes (offer only)
//   candidates    1 byte count (1..max_pairing_candidates), then each:
//                   1 byte: bits 0-1 type (0 host, 1 srflx, 2 relay), bits 2-3 address
//                   (0 IPv4, 1 IPv6, 2 mDNS), other bits 0; an mDNS name only for host
//                   4 bytes (IPv4) or 16 (IPv6 address, mDNS name's UUID); 2 bytes port (1..65535)
//                 in preference order (host, srflx, relay), no address and port twice
//   text          ufrag, pwd and name, 6 bits a character, packed most significant bit first,
//                 the unused low bits of the last byte zero. ufrag and pwd use the ice-char
//                 alphabet (base64's A-Z a-z 0-9 + /), the name base64url's (A-Z a-z 0-9 - _)
//   nothing after
// Every byte string has one text form and every description one payload, so decode -> encode
// gives the same text back.
//
//  [X] read ufrag, pwd, sha-256 fingerprint and candidates from Chromium's SDP, plus candidate
//      strings trickled separately; keep usable UDP candidates (at most 2 of a type first, then
//      fill), deduplicate, cap
//  [X] encode: versioned, with a kind; refuses what does not validate or fit the budget
//  [X] fit_pairing_budget: drops the least preferred candidates until the code fits
//  [X] strict decode: every field validated, lengths checked, trailing bytes refused, one error
//      sentence for the UI per kind of failure (not ours, newer app, damaged, wrong kind)
//  [X] rebuild an SDP that Chromium's setRemoteDescription accepts (data channel only)
//  [ ] TCP candidates, more than one m-section, other fingerprint hashes: not needed here
#pragma once

#include "core/i18n.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace peddlenet {

// Largest payload in bytes: "PN1:" plus 306 base41 characters is 310, within the 311
// alphanumeric characters of a version 10 QR code at level M, which phones read at arm's length.
inline constexpr std::size_t max_pairing_payload_bytes = 204;
// Longest pairing code text, in characters.
inline constexpr std::size_t max_pairing_code_chars = 4 + max_pairing_payload_bytes / 2 * 3;
// Candidates a code carries: a LAN address or two, a STUN-seen address and a TURN relay. Four
// IPv6 ones (19 bytes each) still fit next to the longest room name.
inline constexpr std::size_t max_pairing_candidates = 4;
// ICE credentials (RFC 8839 ice-char strings). The RFC allows a 256-character pwd; browsers use
// 22..32 (Chromium 24, Firefox 32), and the QR budget could not carry more than ~210 anyway.
inline constexpr std::size_t min_ice_ufrag_chars = 4;
inline constexpr std::size_t max_ice_ufrag_chars = 32;
inline constexpr std::size_t min_ice_pwd_chars = 22;
inline constexpr std::size_t max_ice_pwd_chars = 128;
// SDP text read by pairing_description_from_sdp, in bytes (a data-channel-only one is ~1 KiB).
inline constexpr std::size_t max_pairing_sdp_bytes = 16 * 1024;
// One candidate string, in bytes (real ones are ~100-200).
inline constexpr std::size_t max_pairing_candidate_bytes = 1024;

// The two codes of a pairing: A's offer, B's answer.
enum class PairingKind : std::uint8_t { offer = 0, answer = 1 };
// In order of preference.
enum class PairingCandidateType : std::uint8_t { host = 0, srflx = 1, relay = 2 };
enum class PairingAddressKind : std::uint8_t { ipv4 = 0, ipv6 = 1, mdns = 2 };

struct PairingCandidate {
    PairingCandidateType type = PairingCandidateType::host;
    PairingAddressKind address_kind = PairingAddressKind::ipv4;
    std::array<std::uint8_t, 16> address{}; // IPv4 in the first 4 bytes (rest 0); mDNS: the UUID
    std::uint16_t port = 0;                 // 1..65535
    bool operator==(const PairingCandidate&) const = default;
};

struct PairingDescription {
    PairingKind kind = PairingKind::offer;
    std::string ice_ufrag; // ice-chars, min_ice_ufrag_chars..max_ice_ufrag_chars
    std::string ice_pwd;   // ice-chars, min_ice_pwd_chars..max_ice_pwd_chars
    std::array<std::uint8_t, 32> fingerprint{}; // sha-256 of the DTLS certificate
    std::vector<PairingCandidate> candidates;   // most preferred first, at most max_pairing_candidates
    std::string room;     // offer: the room's name (a valid id); answer: empty
    std::string room_key; // offer: the private room's raw key (room_key_bytes); answer: empty
    bool operator==(const PairingDescription&) const = default;
};

// A decoded code, or what to tell the person instead.
struct PairingDecode {
    PairingDescription description; // meaningful when ok()
    i18n::Message error;            // empty when ok()
    bool ok() const { return error.empty(); }
};

// What decode_pairing_code says, for the UI and the tests.
inline const i18n::Message pairing_error_not_ours{"pair.not_ours", {}};
inline const i18n::Message pairing_error_newer{"pair.newer_version", {}};
inline const i18n::Message pairing_error_damaged{"pair.damaged", {}};
inline const i18n::Message pairing_error_answer_not_offer{"pair.answer_not_offer", {}};
inline const i18n::Message pairing_error_offer_not_answer{"pair.offer_not_answer", {}};

// The ICE and DTLS parts of a local description (`sdp`: RTCSessionDescription.sdp after ICE
// gathering completed) plus candidate strings trickled separately (RTCIceCandidate.candidate,
// with or without "a="). room and room_key are left empty for the caller to fill in (offers).
// nullopt, with the reason in `why` when given, when the SDP is not a data-channel-only
// description of `kind` (exactly one `m=application ... UDP/DTLS/SCTP webrtc-datachannel`
// section; a=setup:actpass in an offer, a=setup:active in an answer), or lacks a valid ufrag,
// pwd or one sha-256 fingerprint. Unusable candidates (TCP, RTCP, prflx, malformed, unspecified
// address, another ufrag) are skipped; the description may end up with none.
std::optional<PairingDescription> pairing_description_from_sdp(
    PairingKind kind, std::string_view sdp, const std::vector<std::string>& trickled = {},
    std::string* why = nullptr);

// Payload bytes of `d`'s code (valid or not); the text has 4 + ceil(1.5 * bytes) characters.
std::size_t pairing_payload_bytes(const PairingDescription& d);

// Drops the least preferred candidates until `d` fits max_pairing_payload_bytes; false when it
// cannot (not even one candidate fits, e.g. a pwd of 128 characters with the longest room name).
bool fit_pairing_budget(PairingDescription& d);

// The QR text of `d`; nullopt when a field is invalid (see the payload above; at least one
// candidate) or the payload exceeds max_pairing_payload_bytes (see fit_pairing_budget).
std::optional<std::string> encode_pairing_code(const PairingDescription& d);

// Reads a scanned code, strictly: anything encode_pairing_code could not have written is
// refused. A code of the other kind than `expected` is refused with its own sentence.
PairingDecode decode_pairing_code(std::string_view text, PairingKind expected);

// An SDP of `d` for setRemoteDescription({type: offer|answer, sdp}): data channel only, no
// trickle, the candidates in order with descending priorities, a=end-of-candidates.
std::string sdp_from_pairing(const PairingDescription& d);

} // namespace peddlenet
