// invite.cpp: see invite.hpp for the format.
#include "core/invite.hpp"

#include "core/base64url.hpp"
#include "core/text.hpp"
#include "core/trust.hpp"

#include <algorithm>
#include <array>

namespace peddlenet {
namespace {

constexpr std::string_view join_param = "join";
constexpr std::string_view server_param = "server";
constexpr std::string_view key_param = "key";

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) { return lower(c); });
    return out;
}

// Visible ASCII only: a URL as a browser prints it (non-ASCII is percent-encoded), and no
// spaces or control characters that could hide part of a link from the person reading it.
bool is_visible_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// A host: a name or IPv4 address of [a-z0-9._~-], or an IPv6 literal in brackets. A colon
// outside brackets would let "a.:443b" pass as a host and change meaning once normalized.
bool is_valid_host(std::string_view host) {
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        const std::string_view inner = host.substr(1, host.size() - 2);
        return std::all_of(inner.begin(), inner.end(), [](char c) {
            return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9') || c == ':' || c == '.';
        });
    }
    return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
               c == '_' || c == '~';
    });
}

// Host with an optional port (lower-cased). No user info ("user@host" is a classic way of
// dressing up one host as another), no backslashes. A port, when present, is 1..5 digits.
bool is_valid_authority(std::string_view a) {
    const std::size_t bracket = a.rfind(']');
    const std::size_t colon = a.rfind(':');
    const bool has_port = colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
    const std::string_view host = has_port ? a.substr(0, colon) : a;
    const std::string_view port = has_port ? a.substr(colon + 1) : std::string_view();
    if (has_port && (port.empty() || port.size() > 5)) return false;
    return is_valid_host(host) &&
           std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

struct UrlRules {
    std::array<std::string_view, 2> schemes; // accepted schemes, lower-case
    std::array<std::string_view, 2> default_ports; // ":80"-style suffix to drop, per scheme
    bool websocket; // keeps the query; refuses a fragment (WebSocket URLs cannot have one)
};

constexpr UrlRules page_rules{{"http", "https"}, {":80", ":443"}, false};
constexpr UrlRules server_rules{{"ws", "wss"}, {":80", ":443"}, true};

// scheme://authority/path[?query], scheme and authority lower-cased and the scheme's default
// port dropped, so that two spellings of one server compare equal. A page's query and fragment
// are cut.
std::optional<std::string> normalize_url(std::string_view url, const UrlRules& rules,
                                         std::size_t max_length) {
    if (url.size() > max_length || !is_visible_ascii(url)) return std::nullopt;
    if (rules.websocket && url.find('#') != std::string_view::npos) return std::nullopt;
    url = url.substr(0, url.find('#'));
    if (!rules.websocket) url = url.substr(0, url.find('?'));
    const std::size_t colon = url.find("://");
    if (colon == std::string_view::npos) return std::nullopt;
    const std::string scheme = lower(url.substr(0, colon));
    const auto* it = std::find(rules.schemes.begin(), rules.schemes.end(), scheme);
    if (it == rules.schemes.end()) return std::nullopt;
    const std::string_view default_port = rules.default_ports[static_cast<std::size_t>(it - rules.schemes.begin())];

    const std::string_view rest = url.substr(colon + 3);
    const std::size_t path_at = std::min(rest.find('/'), rest.find('?'));
    std::string authority = lower(rest.substr(0, path_at));
    if (!is_valid_authority(authority)) return std::nullopt;
    if (authority.size() > default_port.size() && authority.ends_with(default_port)) {
        authority.resize(authority.size() - default_port.size());
    }
    std::string tail(path_at == std::string_view::npos ? std::string_view() : rest.substr(path_at));
    if (tail.empty() || tail.front() != '/') tail.insert(0, "/");
    std::string normalized = scheme + "://" + authority + tail;
    // The inserted '/' can make the result longer than the input.
    if (normalized.size() > max_length) return std::nullopt;
    return normalized;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// RFC 3986 percent-decoding ('+' stays '+': this is a fragment, not a form). nullopt when a '%'
// is not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size()) return std::nullopt;
        const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

// Everything but unreserved characters and the slashes and colons of a URL is encoded, so the
// value can never end the parameter ('&', '=') or the fragment early.
std::string percent_encode(std::string_view s) {
    constexpr std::string_view hex = "0123456789ABCDEF";
    std::string out;
    for (const char c : s) {
        const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                           c == '-' || c == '.' || c == '_' || c == '~' || c == ':' || c == '/';
        if (plain) {
            out += c;
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out += '%';
            out += hex[byte >> 4];
            out += hex[byte & 0xF];
        }
    }
    return out;
}

} // namespace

std::optional<std::string> normalize_signaling_url(std::string_view url) {
    return normalize_url(url, server_rules, max_server_url_length);
}

std::optional<std::string> page_url_of(std::string_view url) {
    return normalize_url(url, page_rules, max_invite_url_length);
}

std::optional<std::string> default_signaling_url(std::string_view page_url) {
    auto page = page_url_of(page_url);
    if (!page) return std::nullopt;
    // http(s) -> ws(s), then "ws" replaces the last path segment, as a relative URL would.
    page->replace(0, 4, "ws");
    page->resize(page->rfind('/') + 1);
    return *page + "ws";
}

std::optional<std::string> make_invite_url(std::string_view page_url, std::string_view room,
                                           std::string_view signaling_url, std::string_view key) {
    const auto page = page_url_of(page_url);
    const auto server = normalize_signaling_url(signaling_url);
    if (!page || !server || !is_valid_id(room)) return std::nullopt;
    if (!key.empty() && key.size() != room_key_bytes) return std::nullopt;
    std::string url = *page + "#" + std::string(join_param) + "=" + std::string(room);
    if (*server != default_signaling_url(*page)) {
        url += "&" + std::string(server_param) + "=" + percent_encode(*server);
    }
    if (!key.empty()) url += "&" + std::string(key_param) + "=" + base64url_encode(key);
    if (url.size() > max_invite_url_length) return std::nullopt;
    return url;
}

std::optional<Invite> parse_invite_fragment(std::string_view fragment) {
    if (!fragment.empty() && fragment.front() == '#') fragment.remove_prefix(1);
    if (fragment.size() > max_invite_url_length) return std::nullopt;
    std::optional<std::string> room, server, room_key;
    while (!fragment.empty()) {
        const std::size_t end = fragment.find('&');
        const std::string_view param = fragment.substr(0, end);
        fragment = end == std::string_view::npos ? std::string_view() : fragment.substr(end + 1);
        const std::size_t eq = param.find('=');
        const std::string_view key = param.substr(0, eq);
        const std::string_view raw = eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
        if (key == join_param) {
            if (room) return std::nullopt; // two rooms: which one did the host mean?
            room = percent_decode(raw);
            if (!room || !is_valid_id(*room)) return std::nullopt;
        } else if (key == server_param) {
            if (server) return std::nullopt;
            const auto decoded = percent_decode(raw);
            if (!decoded) return std::nullopt;
            server = normalize_signaling_url(*decoded);
            if (!server) return std::nullopt;
        } else if (key == key_param) {
            if (room_key) return std::nullopt;
            room_key = base64url_decode(raw);
            if (!room_key || room_key->size() != room_key_bytes) return std::nullopt;
        }
        // Anything else is for a newer app: ignored.
    }
    if (!room) return std::nullopt;
    return Invite{std::move(*room), server.value_or(std::string()), room_key.value_or(std::string())};
}

std::optional<InviteLink> parse_invite_url(std::string_view url) {
    const std::size_t hash = url.find('#');
    if (hash == std::string_view::npos) return std::nullopt;
    auto page = page_url_of(url);
    if (!page) return std::nullopt;
    auto invite = parse_invite_fragment(url.substr(hash + 1));
    if (!invite) return std::nullopt;
    std::string signaling = invite->server.empty() ? *default_signaling_url(*page) : invite->server;
    // Only a server the app can name in an invite of its own: a page URL whose server would be
    // longer than max_server_url_length cannot be passed on.
    if (!normalize_signaling_url(signaling)) return std::nullopt;
    return InviteLink{std::move(*page), std::move(*invite), std::move(signaling)};
}

} // namespace peddlenet
