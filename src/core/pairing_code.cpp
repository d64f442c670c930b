// pairing_code.cpp: see pairing_code.hpp for the format.
//
// Index
// [SECTION] Addresses (IPv4, IPv6, mDNS names)
// [SECTION] Reading candidates and SDP
// [SECTION] Payload
// [SECTION] Text (base41)
// [SECTION] Rebuilt SDP
#include "core/pairing_code.hpp"

#include "core/text.hpp"
#include "core/trust.hpp"

#include <algorithm>
#include <cstdio>

namespace peddlenet {
namespace {

constexpr std::string_view code_prefix = "PN";
constexpr unsigned code_version = 1;
constexpr std::string_view code_version_prefix = "PN1:";
// Base41: the QR alphanumeric set without space, '$', '%' and ':'.
constexpr std::string_view base41_alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*+-./";
// 6-bit text: ice-char (RFC 8839) is base64's alphabet, a valid id base64url's.
constexpr std::string_view ice_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view id_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t fingerprint_bytes = 32;
// Candidates kept of one type before other types get a slot: a phone's two LAN addresses must
// not crowd out the STUN- or TURN-seen one that works across networks.
constexpr std::size_t first_pass_per_type = 2;

bool is_ice_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

bool is_ice_string(std::string_view s, std::size_t min, std::size_t max) {
    return s.size() >= min && s.size() <= max && std::all_of(s.begin(), s.end(), is_ice_char);
}

bool is_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A decimal number of at most `max`, without leading zeros (one spelling per number).
std::optional<std::uint32_t> parse_decimal(std::string_view s, std::uint32_t max) {
    if (!is_digits(s) || s.size() > 10 || (s.size() > 1 && s.front() == '0')) return std::nullopt;
    std::uint64_t value = 0;
    for (const char c : s) value = value * 10 + static_cast<std::uint64_t>(c - '0');
    if (value > max) return std::nullopt;
    return static_cast<std::uint32_t>(value);
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    while (true) {
        const std::size_t at = s.find(sep);
        out.push_back(s.substr(0, at));
        if (at == std::string_view::npos) return out;
        s.remove_prefix(at + 1);
    }
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
           });
}

// =============================================================================================
// [SECTION] Addresses (IPv4, IPv6, mDNS names)
// =============================================================================================

using Address = std::array<std::uint8_t, 16>;

// Dotted quad, each part 0..255 without leading zeros ("010" could be read as octal).
std::optional<Address> parse_ipv4(std::string_view s) {
    const auto parts = split(s, '.');
    if (parts.size() != 4) return std::nullopt;
    Address a{};
    for (std::size_t i = 0; i < 4; ++i) {
        const auto part = parse_decimal(parts[i], 255);
        if (!part || parts[i].size() > 3) return std::nullopt;
        a[i] = static_cast<std::uint8_t>(*part);
    }
    return a;
}

// RFC 4291 text: eight groups of 1..4 hex digits, at most one "::". No embedded IPv4 and no
// zone ("%eth0"): browsers write neither in candidates.
std::optional<Address> parse_ipv6(std::string_view s) {
    if (s.size() < 2 || s.size() > 39) return std::nullopt;
    const std::size_t gap = s.find("::");
    if (gap != std::string_view::npos && s.find("::", gap + 1) != std::string_view::npos)
        return std::nullopt;
    const auto groups_of = [](std::string_view part, std::vector<std::uint16_t>& out) {
        if (part.empty()) return true;
        for (const std::string_view g : split(part, ':')) {
            if (g.empty() || g.size() > 4) return false;
            unsigned v = 0;
            for (const char c : g) {
                const int h = hex_value(c);
                if (h < 0) return false;
                v = v * 16 + static_cast<unsigned>(h);
            }
            out.push_back(static_cast<std::uint16_t>(v));
        }
        return true;
    };
    std::vector<std::uint16_t> head, tail;
    if (gap == std::string_view::npos) {
        if (!groups_of(s, head) || head.size() != 8) return std::nullopt;
    } else {
        if (!groups_of(s.substr(0, gap), head) || !groups_of(s.substr(gap + 2), tail)) return std::nullopt;
        if (head.size() + tail.size() > 7) return std::nullopt; // "::" stands for at least one group
        head.resize(8 - tail.size(), 0);
        head.insert(head.end(), tail.begin(), tail.end());
    }
    Address a{};
    for (std::size_t i = 0; i < 8; ++i) {
        a[2 * i] = static_cast<std::uint8_t>(head[i] >> 8);
        a[2 * i + 1] = static_cast<std::uint8_t>(head[i] & 0xFF);
    }
    return a;
}

// "<uuid>.local", the name Chromium gives a host address it hides (RFC 4122 text, any case).
std::optional<Address> parse_mdns_name(std::string_view s) {
    constexpr std::string_view suffix = ".local";
    if (s.size() != 36 + suffix.size() || !iequals(s.substr(36), suffix)) return std::nullopt;
    Address a{};
    std::size_t byte = 0;
    for (std::size_t i = 0; i < 36;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i++] != '-') return std::nullopt;
            continue;
        }
        const int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        a[byte++] = static_cast<std::uint8_t>(hi * 16 + lo);
        i += 2;
    }
    return a;
}

bool is_unspecified(const PairingCandidate& c) {
    if (c.address_kind == PairingAddressKind::mdns) return false;
    const std::size_t n = c.address_kind == PairingAddressKind::ipv4 ? 4 : 16;
    return std::all_of(c.address.begin(), c.address.begin() + static_cast<std::ptrdiff_t>(n),
                       [](std::uint8_t b) { return b == 0; });
}

// RFC 5952: lower-case, no leading zeros, the longest run of two or more zero groups (the first
// of equal runs) as "::".
std::string format_ipv6(const Address& a) {
    std::array<unsigned, 8> g{};
    for (std::size_t i = 0; i < 8; ++i) g[i] = static_cast<unsigned>(a[2 * i] << 8 | a[2 * i + 1]);
    std::size_t best_at = 8, best_len = 0;
    for (std::size_t i = 0; i < 8;) {
        std::size_t j = i;
        while (j < 8 && g[j] == 0) ++j;
        if (j - i > best_len && j - i >= 2) best_at = i, best_len = j - i;
        i = j == i ? i + 1 : j;
    }
    std::string out;
    char buf[8];
    for (std::size_t i = 0; i < 8; ++i) {
        if (i == best_at) {
            out += "::";
            i += best_len - 1;
            continue;
        }
        if (!out.empty() && out.back() != ':') out += ':';
        std::snprintf(buf, sizeof buf, "%x", g[i]);
        out += buf;
    }
    return out;
}

std::string format_address(const PairingCandidate& c) {
    char buf[48];
    switch (c.address_kind) {
    case PairingAddressKind::ipv4:
        std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", c.address[0], c.address[1], c.address[2],
                      c.address[3]);
        return buf;
    case PairingAddressKind::ipv6:
        return format_ipv6(c.address);
    case PairingAddressKind::mdns: {
        std::string out;
        constexpr std::string_view hex = "0123456789abcdef";
        for (std::size_t i = 0; i < 16; ++i) {
            if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
            out += hex[c.address[i] >> 4];
            out += hex[c.address[i] & 0xF];
        }
        return out + ".local";
    }
    }
    return {};
}

// =============================================================================================
// [SECTION] Reading candidates and SDP
// =============================================================================================

struct ReadCandidate {
    PairingCandidate candidate;
    std::uint32_t priority = 0;
    std::string_view ufrag; // its "ufrag" attribute, or empty
};

// RFC 8839 candidate-attribute as browsers write it, with or without "a=":
//   candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
//   [raddr <address> rport <port>] [<name> <value>]...
// nullopt for anything this code does not carry: TCP, RTCP (component 2), prflx, malformed.
std::optional<ReadCandidate> read_candidate(std::string_view line) {
    if (line.size() > max_pairing_candidate_bytes) return std::nullopt;
    if (line.starts_with("a=")) line.remove_prefix(2);
    constexpr std::string_view tag = "candidate:";
    if (!line.starts_with(tag)) return std::nullopt;
    const auto t = split(line.substr(tag.size()), ' ');
    if (t.size() < 8 || t.size() % 2 != 0) return std::nullopt;
    if (!is_ice_string(t[0], 1, 32) || t[1] != "1" || !iequals(t[2], "udp") || t[6] != "typ")
        return std::nullopt;
    const auto priority = parse_decimal(t[3], 0xFFFFFFFFu);
    const auto port = parse_decimal(t[5], 65535);
    if (!priority || !port || *port == 0) return std::nullopt;

    ReadCandidate r;
    r.priority = *priority;
    r.candidate.port = static_cast<std::uint16_t>(*port);
    if (t[7] == "host") r.candidate.type = PairingCandidateType::host;
    else if (t[7] == "srflx") r.candidate.type = PairingCandidateType::srflx;
    else if (t[7] == "relay") r.candidate.type = PairingCandidateType::relay;
    else return std::nullopt;

    if (const auto v4 = parse_ipv4(t[4])) {
        r.candidate.address_kind = PairingAddressKind::ipv4;
        r.candidate.address = *v4;
    } else if (const auto v6 = parse_ipv6(t[4])) {
        r.candidate.address_kind = PairingAddressKind::ipv6;
        r.candidate.address = *v6;
    } else if (const auto name = parse_mdns_name(t[4]);
               name && r.candidate.type == PairingCandidateType::host) {
        r.candidate.address_kind = PairingAddressKind::mdns;
        r.candidate.address = *name;
    } else {
        return std::nullopt;
    }
    if (is_unspecified(r.candidate)) return std::nullopt;
    // Extension attributes: names and values are single tokens; only ufrag matters here.
    for (std::size_t i = 8; i < t.size(); i += 2) {
        if (t[i].empty() || t[i + 1].empty()) return std::nullopt;
        if (t[i] == "ufrag") r.ufrag = t[i + 1];
    }
    return r;
}

// Candidates in preference order (type, then the browser's priority, then order of appearance),
// without repeated addresses; at most first_pass_per_type of a type first, then the rest fill up
// to max_pairing_candidates, and the result is again in preference order.
std::vector<PairingCandidate> choose_candidates(std::vector<ReadCandidate> all) {
    std::stable_sort(all.begin(), all.end(), [](const ReadCandidate& a, const ReadCandidate& b) {
        if (a.candidate.type != b.candidate.type) return a.candidate.type < b.candidate.type;
        return a.priority > b.priority;
    });
    std::vector<const ReadCandidate*> unique;
    for (const ReadCandidate& r : all) {
        const bool seen = std::any_of(unique.begin(), unique.end(), [&](const ReadCandidate* u) {
            return u->candidate.address_kind == r.candidate.address_kind &&
                   u->candidate.address == r.candidate.address && u->candidate.port == r.candidate.port;
        });
        if (!seen) unique.push_back(&r);
    }
    std::vector<bool> taken(unique.size(), false);
    std::array<std::size_t, 3> per_type{};
    std::size_t count = 0;
    for (std::size_t i = 0; i < unique.size() && count < max_pairing_candidates; ++i) {
        auto& n = per_type[static_cast<std::size_t>(unique[i]->candidate.type)];
        if (n < first_pass_per_type) taken[i] = true, ++n, ++count;
    }
    for (std::size_t i = 0; i < unique.size() && count < max_pairing_candidates; ++i) {
        if (!taken[i]) taken[i] = true, ++count;
    }
    std::vector<PairingCandidate> out;
    for (std::size_t i = 0; i < unique.size(); ++i) {
        if (taken[i]) out.push_back(unique[i]->candidate);
    }
    return out;
}

} // namespace

std::optional<PairingDescription> pairing_description_from_sdp(PairingKind kind, std::string_view sdp,
                                                               const std::vector<std::string>& trickled,
                                                               std::string* why) {
    const auto refuse = [why](const char* reason) -> std::optional<PairingDescription> {
        if (why) *why = reason;
        return std::nullopt;
    };
    if (sdp.size() > max_pairing_sdp_bytes) return refuse("the SDP is too long");
    std::optional<std::string_view> ufrag, pwd, setup;
    std::optional<std::array<std::uint8_t, fingerprint_bytes>> fingerprint;
    std::size_t m_sections = 0;
    std::vector<ReadCandidate> read;
    // A value that appears twice must be the same (session and media level may both carry it).
    const auto once = [](std::optional<std::string_view>& slot, std::string_view value) {
        if (slot && *slot != value) return false;
        slot = value;
        return true;
    };
    for (std::string_view line : split(sdp, '\n')) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.starts_with("m=")) {
            ++m_sections;
            if (!line.starts_with("m=application ") || !line.ends_with(" UDP/DTLS/SCTP webrtc-datachannel"))
                return refuse("the SDP is not data channel only");
        } else if (line.starts_with("a=ice-ufrag:")) {
            if (!once(ufrag, line.substr(12))) return refuse("the SDP has two ICE ufrags");
        } else if (line.starts_with("a=ice-pwd:")) {
            if (!once(pwd, line.substr(10))) return refuse("the SDP has two ICE passwords");
        } else if (line.starts_with("a=setup:")) {
            if (!once(setup, line.substr(8))) return refuse("the SDP has two DTLS roles");
        } else if (line.starts_with("a=fingerprint:")) {
            const std::string_view value = line.substr(14);
            const std::size_t space = value.find(' ');
            if (space == std::string_view::npos || !iequals(value.substr(0, space), "sha-256")) continue;
            const std::string_view hex = value.substr(space + 1);
            std::array<std::uint8_t, fingerprint_bytes> fp{};
            if (hex.size() != fingerprint_bytes * 3 - 1) return refuse("bad sha-256 fingerprint");
            for (std::size_t i = 0; i < fingerprint_bytes; ++i) {
                const int hi = hex_value(hex[3 * i]), lo = hex_value(hex[3 * i + 1]);
                if (hi < 0 || lo < 0 || (i + 1 < fingerprint_bytes && hex[3 * i + 2] != ':'))
                    return refuse("bad sha-256 fingerprint");
                fp[i] = static_cast<std::uint8_t>(hi * 16 + lo);
            }
            if (fingerprint && *fingerprint != fp) return refuse("the SDP has two sha-256 fingerprints");
            fingerprint = fp;
        } else if (line.starts_with("a=candidate:")) {
            if (auto r = read_candidate(line)) read.push_back(*r);
        }
    }
    if (m_sections != 1) return refuse("the SDP is not data channel only");
    if (!ufrag || !is_ice_string(*ufrag, min_ice_ufrag_chars, max_ice_ufrag_chars))
        return refuse("bad ICE ufrag");
    if (!pwd || !is_ice_string(*pwd, min_ice_pwd_chars, max_ice_pwd_chars))
        return refuse("bad ICE password");
    if (!fingerprint) return refuse("no sha-256 fingerprint");
    // The rebuilt SDP states these roles, so they must be what the browser chose.
    if (setup != (kind == PairingKind::offer ? "actpass" : "active")) return refuse("unexpected DTLS role");
    for (const std::string& line : trickled) {
        if (auto r = read_candidate(line)) read.push_back(*r);
    }
    // A candidate of other ICE credentials (an earlier generation) would never connect.
    std::erase_if(read, [&](const ReadCandidate& r) { return !r.ufrag.empty() && r.ufrag != *ufrag; });

    PairingDescription d;
    d.kind = kind;
    d.ice_ufrag = std::string(*ufrag);
    d.ice_pwd = std::string(*pwd);
    d.fingerprint = *fingerprint;
    d.candidates = choose_candidates(std::move(read));
    return d;
}

// =============================================================================================
// [SECTION] Payload
// =============================================================================================

namespace {

std::size_t address_bytes(PairingAddressKind k) { return k == PairingAddressKind::ipv4 ? 4 : 16; }

std::size_t text_bytes(std::size_t chars) { return (chars * 6 + 7) / 8; }

// Every rule of the payload but the size budget.
bool is_valid_description(const PairingDescription& d) {
    const bool offer = d.kind == PairingKind::offer;
    if (d.kind != PairingKind::offer && d.kind != PairingKind::answer) return false;
    if (!is_ice_string(d.ice_ufrag, min_ice_ufrag_chars, max_ice_ufrag_chars) ||
        !is_ice_string(d.ice_pwd, min_ice_pwd_chars, max_ice_pwd_chars))
        return false;
    if (offer ? !is_valid_id(d.room) || d.room_key.size() != room_key_bytes
              : !d.room.empty() || !d.room_key.empty())
        return false;
    if (d.candidates.empty() || d.candidates.size() > max_pairing_candidates) return false;
    for (std::size_t i = 0; i < d.candidates.size(); ++i) {
        const PairingCandidate& c = d.candidates[i];
        if (c.type > PairingCandidateType::relay || c.address_kind > PairingAddressKind::mdns) return false;
        if (c.address_kind == PairingAddressKind::mdns && c.type != PairingCandidateType::host) return false;
        if (c.port == 0 || is_unspecified(c)) return false;
        if (c.address_kind == PairingAddressKind::ipv4 &&
            std::any_of(c.address.begin() + 4, c.address.end(), [](std::uint8_t b) { return b != 0; }))
            return false;
        if (i > 0 && d.candidates[i - 1].type > c.type) return false; // preference order
        for (std::size_t j = 0; j < i; ++j) {
            const PairingCandidate& o = d.candidates[j];
            if (o.address_kind == c.address_kind && o.address == c.address && o.port == c.port) return false;
        }
    }
    return true;
}

// Packs characters 6 bits each, most significant bit first; the alphabet of each string is known.
class SixBitWriter {
public:
    void add(std::string_view s, std::string_view alphabet) {
        for (const char c : s) {
            acc_ = acc_ << 6 | static_cast<unsigned>(alphabet.find(c));
            bits_ += 6;
            while (bits_ >= 8) {
                bits_ -= 8;
                out_ += static_cast<char>((acc_ >> bits_) & 0xFF);
            }
        }
    }
    std::string finish() {
        if (bits_ > 0) out_ += static_cast<char>((acc_ << (8 - bits_)) & 0xFF);
        return std::move(out_);
    }

private:
    std::string out_;
    unsigned acc_ = 0;
    unsigned bits_ = 0;
};

std::string payload_of(const PairingDescription& d) {
    const bool offer = d.kind == PairingKind::offer;
    std::string p;
    p += static_cast<char>(d.kind);
    p += static_cast<char>(d.ice_ufrag.size());
    p += static_cast<char>(d.ice_pwd.size());
    if (offer) p += static_cast<char>(d.room.size());
    p.append(d.fingerprint.begin(), d.fingerprint.end());
    if (offer) p += d.room_key;
    p += static_cast<char>(d.candidates.size());
    for (const PairingCandidate& c : d.candidates) {
        p += static_cast<char>(static_cast<unsigned>(c.type) | static_cast<unsigned>(c.address_kind) << 2);
        const auto n = static_cast<std::ptrdiff_t>(address_bytes(c.address_kind));
        p.append(c.address.begin(), c.address.begin() + n);
        p += static_cast<char>(c.port >> 8);
        p += static_cast<char>(c.port & 0xFF);
    }
    SixBitWriter text;
    text.add(d.ice_ufrag, ice_alphabet);
    text.add(d.ice_pwd, ice_alphabet);
    if (offer) text.add(d.room, id_alphabet);
    return p + text.finish();
}

// Reads a payload front to back; every read checks the bytes are there.
class PayloadReader {
public:
    explicit PayloadReader(std::string_view bytes) : bytes_(bytes) {}
    bool has(std::size_t n) const { return bytes_.size() - at_ >= n; }
    bool done() const { return at_ == bytes_.size(); }
    std::optional<std::uint8_t> byte() {
        if (!has(1)) return std::nullopt;
        return static_cast<std::uint8_t>(bytes_[at_++]);
    }
    template <std::size_t N>
    bool read_into(std::array<std::uint8_t, N>& out, std::size_t n) {
        if (n > N || !has(n)) return false;
        std::copy_n(bytes_.begin() + static_cast<std::ptrdiff_t>(at_), n, out.begin());
        at_ += n;
        return true;
    }
    std::optional<std::string_view> take(std::size_t n) {
        if (!has(n)) return std::nullopt;
        const std::string_view s = bytes_.substr(at_, n);
        at_ += n;
        return s;
    }

private:
    std::string_view bytes_;
    std::size_t at_ = 0;
};

// Unpacks `lengths` strings of 6-bit characters from `packed`, which must be exactly their bytes
// with zero padding bits.
using TextLayout = std::vector<std::pair<std::size_t, std::string_view>>; // (chars, alphabet)
std::optional<std::vector<std::string>> unpack_text(std::string_view packed, const TextLayout& strings) {
    std::vector<std::string> out;
    unsigned acc = 0, bits = 0;
    std::size_t at = 0;
    for (const auto& [length, alphabet] : strings) {
        std::string s;
        for (std::size_t i = 0; i < length; ++i) {
            if (bits < 6) {
                if (at == packed.size()) return std::nullopt;
                acc = (acc << 8 | static_cast<std::uint8_t>(packed[at++])) & 0xFFFF;
                bits += 8;
            }
            bits -= 6;
            s += alphabet[(acc >> bits) & 0x3F];
        }
        out.push_back(std::move(s));
    }
    if (at != packed.size() || (acc & ((1u << bits) - 1u)) != 0) return std::nullopt;
    return out;
}

std::optional<PairingDescription> description_of(std::string_view payload) {
    PayloadReader r(payload);
    PairingDescription d;
    const auto kind = r.byte();
    const auto ufrag_chars = r.byte();
    const auto pwd_chars = r.byte();
    if (!kind || *kind > 1 || !ufrag_chars || !pwd_chars) return std::nullopt;
    d.kind = static_cast<PairingKind>(*kind);
    const bool offer = d.kind == PairingKind::offer;
    if (*ufrag_chars < min_ice_ufrag_chars || *ufrag_chars > max_ice_ufrag_chars ||
        *pwd_chars < min_ice_pwd_chars || *pwd_chars > max_ice_pwd_chars)
        return std::nullopt;
    std::uint8_t room_chars = 0;
    if (offer) {
        const auto n = r.byte();
        if (!n || *n == 0 || *n > max_id_length) return std::nullopt;
        room_chars = *n;
    }
    if (!r.read_into(d.fingerprint, fingerprint_bytes)) return std::nullopt;
    if (offer) {
        const auto key = r.take(room_key_bytes);
        if (!key) return std::nullopt;
        d.room_key = std::string(*key);
    }
    const auto count = r.byte();
    if (!count || *count == 0 || *count > max_pairing_candidates) return std::nullopt;
    for (std::uint8_t i = 0; i < *count; ++i) {
        const auto flags = r.byte();
        if (!flags || (*flags & 0x03) > 2 || (*flags >> 2) > 2) return std::nullopt;
        PairingCandidate c;
        c.type = static_cast<PairingCandidateType>(*flags & 0x03);
        c.address_kind = static_cast<PairingAddressKind>(*flags >> 2);
        if (!r.read_into(c.address, address_bytes(c.address_kind))) return std::nullopt;
        const auto hi = r.byte(), lo = r.byte();
        if (!hi || !lo) return std::nullopt;
        c.port = static_cast<std::uint16_t>(*hi << 8 | *lo);
        d.candidates.push_back(c);
    }
    const std::size_t chars = std::size_t{*ufrag_chars} + *pwd_chars + room_chars;
    const auto packed = r.take(text_bytes(chars));
    if (!packed || !r.done()) return std::nullopt; // truncated, or trailing bytes
    TextLayout strings{{*ufrag_chars, ice_alphabet}, {*pwd_chars, ice_alphabet}};
    if (offer) strings.emplace_back(room_chars, id_alphabet);
    auto text = unpack_text(*packed, strings);
    if (!text) return std::nullopt;
    d.ice_ufrag = std::move((*text)[0]);
    d.ice_pwd = std::move((*text)[1]);
    if (offer) d.room = std::move((*text)[2]);
    // The rest of the rules (order, duplicates, addresses, ports) are the encoder's.
    if (!is_valid_description(d)) return std::nullopt;
    return d;
}

// =============================================================================================
// [SECTION] Text (base41)
// =============================================================================================

std::string base41_encode(std::string_view bytes) {
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); i += 2) {
        const bool pair = i + 1 < bytes.size();
        unsigned n = static_cast<std::uint8_t>(bytes[i]);
        if (pair) n = n << 8 | static_cast<std::uint8_t>(bytes[i + 1]);
        for (int digit = 0; digit < (pair ? 3 : 2); ++digit) {
            out += base41_alphabet[n % 41];
            n /= 41;
        }
    }
    return out;
}

// nullopt for anything base41_encode could not have produced: other characters, a length of
// 3k+1, or a group above 65535 (or 255 for a last pair), so each byte string has one spelling.
std::optional<std::string> base41_decode(std::string_view text) {
    if (text.size() % 3 == 1) return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < text.size(); i += 3) {
        const std::size_t digits = std::min<std::size_t>(3, text.size() - i);
        unsigned n = 0, scale = 1;
        for (std::size_t k = 0; k < digits; ++k) {
            const std::size_t v = base41_alphabet.find(text[i + k]);
            if (v == std::string_view::npos) return std::nullopt;
            n += static_cast<unsigned>(v) * scale;
            scale *= 41;
        }
        if (n > (digits == 3 ? 0xFFFFu : 0xFFu)) return std::nullopt;
        if (digits == 3) out += static_cast<char>(n >> 8);
        out += static_cast<char>(n & 0xFF);
    }
    return out;
}

} // namespace

std::size_t pairing_payload_bytes(const PairingDescription& d) {
    const bool offer = d.kind == PairingKind::offer;
    std::size_t n = 3 + fingerprint_bytes + 1;
    if (offer) n += 1 + d.room_key.size();
    for (const PairingCandidate& c : d.candidates) n += 1 + address_bytes(c.address_kind) + 2;
    return n + text_bytes(d.ice_ufrag.size() + d.ice_pwd.size() + (offer ? d.room.size() : 0));
}

bool fit_pairing_budget(PairingDescription& d) {
    while (pairing_payload_bytes(d) > max_pairing_payload_bytes && d.candidates.size() > 1)
        d.candidates.pop_back();
    return !d.candidates.empty() && pairing_payload_bytes(d) <= max_pairing_payload_bytes;
}

std::optional<std::string> encode_pairing_code(const PairingDescription& d) {
    if (!is_valid_description(d) || pairing_payload_bytes(d) > max_pairing_payload_bytes) return std::nullopt;
    return std::string(code_version_prefix) + base41_encode(payload_of(d));
}

PairingDecode decode_pairing_code(std::string_view text, PairingKind expected) {
    const auto fail = [](const i18n::Message& why) { return PairingDecode{{}, why}; };
    // "PN<version>:" first: a later version may change everything after the colon.
    const std::size_t colon = text.find(':');
    if (!text.starts_with(code_prefix) || colon == std::string_view::npos || colon > code_prefix.size() + 3)
        return fail(pairing_error_not_ours);
    const auto version = parse_decimal(text.substr(code_prefix.size(), colon - code_prefix.size()), 999);
    if (!version || *version == 0) return fail(pairing_error_not_ours);
    if (*version > code_version) return fail(pairing_error_newer);

    const std::string_view body = text.substr(colon + 1);
    if (body.size() > max_pairing_code_chars - code_version_prefix.size()) return fail(pairing_error_damaged);
    const auto payload = base41_decode(body);
    if (!payload) return fail(pairing_error_damaged);
    auto d = description_of(*payload);
    if (!d) return fail(pairing_error_damaged);
    if (d->kind != expected)
        return fail(expected == PairingKind::offer ? pairing_error_answer_not_offer
                                                   : pairing_error_offer_not_answer);
    return PairingDecode{std::move(*d), {}};
}

// =============================================================================================
// [SECTION] Rebuilt SDP
// =============================================================================================

std::string sdp_from_pairing(const PairingDescription& d) {
    // RFC 8445 priority: type preference (libwebrtc's: host 126, srflx 100, UDP relay 2), then a
    // local preference that keeps the code's order, then component 1.
    constexpr std::array<std::uint32_t, 3> type_preference{126, 100, 2};
    // A session id from the fingerprint: the same description always gives the same SDP.
    std::uint64_t session = 0;
    for (std::size_t i = 0; i < 8; ++i) session = session << 8 | d.fingerprint[i];
    session &= 0x7FFFFFFFFFFFFFFFull; // RFC 4566 suggests < 2^63 (an NTP-style number)

    std::string sdp = "v=0\r\no=- " + std::to_string(session) +
                      " 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
                      "a=msid-semantic: WMS\r\n"
                      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n";
    for (std::size_t i = 0; i < d.candidates.size(); ++i) {
        const PairingCandidate& c = d.candidates[i];
        const auto type = static_cast<std::size_t>(c.type);
        const std::uint32_t priority = type_preference[type] << 24 |
                                       static_cast<std::uint32_t>(65535 - i) << 8 | 255;
        sdp += "a=candidate:" + std::to_string(i + 1) + " 1 udp " + std::to_string(priority) + " " +
               format_address(c) + " " + std::to_string(c.port) + " typ " +
               std::array<const char*, 3>{"host", "srflx", "relay"}[type];
        // Related address: required by the grammar for srflx and relay; browsers hide it too.
        if (c.type != PairingCandidateType::host)
            sdp += c.address_kind == PairingAddressKind::ipv6 ? " raddr :: rport 0"
                                                              : " raddr 0.0.0.0 rport 0";
        sdp += " generation 0\r\n";
    }
    sdp += "a=end-of-candidates\r\n"
           "a=ice-ufrag:" + d.ice_ufrag + "\r\na=ice-pwd:" + d.ice_pwd + "\r\na=fingerprint:sha-256 ";
    constexpr std::string_view hex = "0123456789ABCDEF";
    for (std::size_t i = 0; i < d.fingerprint.size(); ++i) {
        if (i > 0) sdp += ':';
        sdp += hex[d.fingerprint[i] >> 4];
        sdp += hex[d.fingerprint[i] & 0xF];
    }
    sdp += d.kind == PairingKind::offer ? "\r\na=setup:actpass\r\n" : "\r\na=setup:active\r\n";
    sdp += "a=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";
    return sdp;
}

} // namespace peddlenet
