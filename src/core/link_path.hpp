// link_path.hpp: which way a link's packets go, read from the browser's getStats (the selected
// candidate pair's two candidate types): straight across the LAN, through an address a STUN
// server discovered (the far side of a NAT), or relayed by a TURN server (the festival box).
// Needs: nothing. The browser half is web/rtc.js (pn_rtc_get_path).
//  [X] the report rtc.js sends, "LOCAL_TYPE REMOTE_TYPE PROTOCOL RTT_MS" (RTT "-" when the
//      browser has none), read strictly: anything else is no path
//  [X] the path a pair of candidate types means, and the words the People panel shows for it
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace peddlenet {

enum class PathKind : unsigned char {
    direct = 0, // host or peer-reflexive on both ends: the two devices reach each other
    stun = 1,   // a server-reflexive end: through a NAT, at the address STUN found
    relay = 2,  // a relay end: every packet goes through the TURN server
};

struct LinkPath {
    PathKind kind = PathKind::direct;
    std::string local_type, remote_type; // RTCIceCandidateType: host, srflx, prflx, relay
    std::string protocol;                // "udp" or "tcp" (to the relay, for a relayed local end)
    std::optional<double> rtt_ms;        // the pair's currentRoundTripTime, when known
    bool operator==(const LinkPath&) const = default;
};

// The path of a selected pair of candidate types; nullopt for a type the browser never reports.
std::optional<PathKind> path_kind(std::string_view local_type, std::string_view remote_type);
// Reads rtc.js's report; nullopt when it is malformed or names an unknown type.
std::optional<LinkPath> parse_path_report(std::string_view report);
// "direct (LAN)", "through a STUN address", "relayed by the box".
std::string_view describe(PathKind kind);
std::string_view to_string(PathKind kind); // "direct" | "stun" | "relay" (state())

} // namespace peddlenet
