// invite.hpp: invite links for rooms: what a host's QR code holds, what a phone's own camera app
// opens in the browser, and what the in-app scanner recognises.
// Needs: core/text.hpp (is_valid_id). No browser: the app passes in its page URL.
//
// Format (all parameters in the URL fragment, which browsers never send to a server):
//
//     <page>#join=<room>[&server=<signaling URL, percent-encoded>][&key=<room key, base64url>]
//
//   page    the app's page URL without query or fragment, e.g. `https://10.0.0.2:8443/`
//   join    the room id (is_valid_id: 1..64 of [A-Za-z0-9_-]); always first
//   server  the signaling server (ws:// or wss://), only when it is not the page's own
//           (`ws` next to the page, with http -> ws and https -> wss); everything but
//           letters, digits, -._~ and :/ is percent-encoded
//   key     a private room's key (core/trust.hpp: room_key_bytes raw bytes, canonical
//           base64url, 22 characters); without it the room is an open room joined by its name.
//           The fragment never reaches a server, so neither does the key. Parameters not listed
//           here are ignored (a newer app may add some)
//
// Example: https://10.0.0.2:8443/#join=amber-otter-42&key=q1Vx3m0d2Y8ZbT0rQk9w4g
//          https://app.example/#join=amber-otter-42&server=wss://signal.example/ws
//  [X] build a room's invite URL from the page URL and the signaling URL in use
//  [X] parse a fragment or a whole URL: every value validated, unknown parameters ignored,
//      duplicated known parameters refused (ambiguous), hostile text never accepted
//  [X] the signaling server an invite means (its own, or the page's default)
//  [X] the room key (`key`) of a private room: exactly room_key_bytes, strictly decoded
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace peddlenet {

// Longest signaling URL an invite may carry, in bytes: room for any host name and path while
// keeping the QR code a low version that phones read at arm's length.
inline constexpr std::size_t max_server_url_length = 256;
// Longest invite URL (or page URL) accepted, in bytes: a page URL of up to 512 bytes plus the
// parameters; anything longer is not a link this app made.
inline constexpr std::size_t max_invite_url_length = 1024;

struct Invite {
    std::string room;   // a valid id
    std::string server; // ws:// or wss:// URL named by the link; empty = the page's own server
    std::string key;    // a private room's raw key (room_key_bytes); empty = an open room
};

// An invite read from a whole URL.
struct InviteLink {
    std::string page;      // the link's page URL (scheme and host lower-case, default port dropped)
    Invite invite;
    std::string signaling; // the server to join on: invite.server, or the page's default
};

// `url` without its query and fragment, scheme and host lower-cased, default port dropped;
// nullopt when it is not an http(s) URL this app could have been served from.
std::optional<std::string> page_url_of(std::string_view url);

// The signaling server of a page served at `page_url`: "ws" resolved against it with http -> ws,
// https -> wss (as the app's session connects to it). nullopt for a URL page_url_of refuses.
std::optional<std::string> default_signaling_url(std::string_view page_url);

// `url` as a signaling server URL (ws:// or wss://, at most max_server_url_length bytes), scheme
// and host lower-cased, default port dropped; nullopt when it is anything else.
std::optional<std::string> normalize_signaling_url(std::string_view url);

// The invite URL of `room` for the app at `page_url` talking to `signaling_url` (absolute
// ws:// or wss://). `server` is added only when signaling_url is not the page's default; `key`
// (raw, room_key_bytes) only for a private room. nullopt when an input is invalid.
std::optional<std::string> make_invite_url(std::string_view page_url, std::string_view room,
                                           std::string_view signaling_url,
                                           std::string_view key = {});

// Parses the fragment of an invite (with or without the leading '#').
std::optional<Invite> parse_invite_fragment(std::string_view fragment);

// Parses a whole invite URL (an http(s) URL whose fragment is an invite), e.g. scanned text.
std::optional<InviteLink> parse_invite_url(std::string_view url);

} // namespace peddlenet
