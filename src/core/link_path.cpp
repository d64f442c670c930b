#include "core/link_path.hpp"

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace peddlenet {
namespace {

bool known_type(std::string_view t) { return t == "host" || t == "srflx" || t == "prflx" || t == "relay"; }

} // namespace

std::optional<PathKind> path_kind(std::string_view local_type, std::string_view remote_type) {
    if (!known_type(local_type) || !known_type(remote_type)) return std::nullopt;
    if (local_type == "relay" || remote_type == "relay") return PathKind::relay;
    // prflx is an address learned from the other side's checks: on a LAN, its host address
    // behind an mDNS name it did not share; across a NAT, the NAT's. Only srflx says "STUN".
    if (local_type == "srflx" || remote_type == "srflx") return PathKind::stun;
    return PathKind::direct;
}

std::optional<LinkPath> parse_path_report(std::string_view report) {
    std::vector<std::string_view> words;
    while (!report.empty()) {
        const std::size_t space = report.find(' ');
        words.push_back(report.substr(0, space));
        if (space == std::string_view::npos) break;
        report.remove_prefix(space + 1);
    }
    if (words.size() != 4 || (words[2] != "udp" && words[2] != "tcp")) return std::nullopt;
    const std::optional<PathKind> kind = path_kind(words[0], words[1]);
    if (!kind) return std::nullopt;
    LinkPath path{*kind, std::string(words[0]), std::string(words[1]), std::string(words[2]), std::nullopt};
    if (words[3] != "-") {
        // Plain decimals only (JS prints an RTT like "0.5" or "12"); strtod would take more.
        const std::string_view w = words[3];
        if (w.size() > 24 || w.front() == '.' || w.back() == '.' ||
            std::count(w.begin(), w.end(), '.') > 1 ||
            !std::all_of(w.begin(), w.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; }))
            return std::nullopt;
        const double rtt = std::strtod(std::string(w).c_str(), nullptr);
        if (!(rtt < 600000.0)) return std::nullopt;
        path.rtt_ms = rtt;
    }
    return path;
}

std::string_view describe(PathKind kind) {
    switch (kind) {
    case PathKind::direct: return "direct (LAN)";
    case PathKind::stun: return "through a STUN address";
    case PathKind::relay: return "relayed by the box";
    }
    return "";
}

std::string_view to_string(PathKind kind) {
    switch (kind) {
    case PathKind::direct: return "direct";
    case PathKind::stun: return "stun";
    case PathKind::relay: return "relay";
    }
    return "";
}

} // namespace peddlenet
