// cluster_wire.cpp: see cluster_wire.hpp.
#include "server/cluster_wire.hpp"

#include "core/text.hpp"

#include <charconv>

namespace peddlenet::server::cluster {

namespace {

constexpr std::size_t session_chars = 16;

// Splits off the text before the next '|' (or nullopt when there is none).
std::optional<std::string_view> field(std::string_view& rest) {
    const std::size_t bar = rest.find('|');
    if (bar == std::string_view::npos) return std::nullopt;
    const std::string_view f = rest.substr(0, bar);
    rest.remove_prefix(bar + 1);
    return f;
}

// Decimal digits, no sign and no leading zero: each number has one spelling.
template <class Int> std::optional<Int> number(std::string_view s) {
    Int v{};
    if (s.empty() || s.size() > 18 || s[0] < '0' || s[0] > '9' || (s.size() > 1 && s[0] == '0'))
        return std::nullopt;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
    return v;
}

bool is_session(std::string_view s) {
    if (s.size() != session_chars) return false;
    for (char c : s)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
    return true;
}

// Display names were checked when they were joined with; here only what would break a frame.
bool is_name(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20) return false;
    return s.size() <= 1024;
}

void netstring(std::string& out, std::string_view s) {
    out += std::to_string(s.size());
    out += ':';
    out += s;
    out += ',';
}

std::optional<std::string_view> read_netstring(std::string_view& rest) {
    const std::size_t colon = rest.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 7) return std::nullopt;
    const auto len = number<std::size_t>(rest.substr(0, colon));
    if (!len || rest.size() - colon - 1 < *len + 1) return std::nullopt;
    const std::string_view s = rest.substr(colon + 1, *len);
    if (rest[colon + 1 + *len] != ',') return std::nullopt;
    rest.remove_prefix(colon + 2 + *len);
    return s;
}

} // namespace

std::string members_key(std::string_view room) { return "pn:{" + std::string(room) + "}:m"; }
std::string seq_key(std::string_view room) { return "pn:{" + std::string(room) + "}:seq"; }
std::string room_channel(std::string_view room) { return "pn:{" + std::string(room) + "}:ev"; }
std::string node_channel(std::string_view node) { return "pn:node:" + std::string(node) + ":in"; }

std::optional<std::string_view> room_of_channel(std::string_view channel) {
    constexpr std::string_view head = "pn:{", tail = "}:ev";
    if (channel.size() <= head.size() + tail.size() || channel.substr(0, head.size()) != head ||
        channel.substr(channel.size() - tail.size()) != tail)
        return std::nullopt;
    const std::string_view room = channel.substr(head.size(), channel.size() - head.size() - tail.size());
    if (!is_valid_id(room)) return std::nullopt;
    return room;
}

std::optional<MemberRecord> parse_member(std::string_view rest) {
    const auto node = field(rest);
    const auto session = field(rest);
    const auto state = field(rest);
    const auto deadline = field(rest);
    if (!deadline || !is_valid_id(*node) || !is_session(*session) || (*state != "L" && *state != "A") ||
        !is_name(rest))
        return std::nullopt;
    const auto ms = number<std::int64_t>(*deadline);
    if (!ms) return std::nullopt;
    return MemberRecord{std::string(*node), std::string(*session), *state == "A", *ms,
                        std::string(rest)};
}

std::optional<RoomEvent> parse_event(std::string_view rest) {
    const auto kind = field(rest);
    if (!kind || kind->size() != 1) return std::nullopt;
    RoomEvent e;
    const char k = (*kind)[0];
    const auto seq_text = field(rest);
    if (!seq_text) return std::nullopt;
    const auto seq = number<std::uint64_t>(*seq_text);
    if (!seq || *seq == 0) return std::nullopt; // the room's counter starts at 1
    e.seq = *seq;
    if (k == 'A' || k == 'L') {
        if (!is_valid_id(rest)) return std::nullopt;
        e.kind = k == 'A' ? RoomEvent::Kind::away : RoomEvent::Kind::left;
        e.peer = std::string(rest);
        return e;
    }
    if (k != 'J') return std::nullopt;
    const auto peer = field(rest);
    const auto node = field(rest);
    const auto session = field(rest);
    if (!session || !is_valid_id(*peer) || !is_valid_id(*node) || !is_session(*session) || !is_name(rest))
        return std::nullopt;
    e.kind = RoomEvent::Kind::join;
    e.peer = std::string(*peer);
    e.node = std::string(*node);
    e.session = std::string(*session);
    e.name = std::string(rest);
    return e;
}

void begin_message(std::string& out, NodeMessage::Kind kind, std::string_view origin) {
    out.assign(1, static_cast<char>(kind));
    netstring(out, origin);
}

void append_entry(std::string& message, std::string_view room, std::string_view from,
                  std::string_view to, std::string_view frame) {
    netstring(message, room);
    netstring(message, from);
    netstring(message, to);
    netstring(message, frame);
}

std::optional<NodeMessage> parse_message(std::string_view rest) {
    if (rest.empty() || (rest[0] != 'S' && rest[0] != 'B')) return std::nullopt;
    NodeMessage m;
    m.kind = static_cast<NodeMessage::Kind>(rest[0]);
    rest.remove_prefix(1);
    const auto origin = read_netstring(rest);
    if (!origin || !is_valid_id(*origin)) return std::nullopt;
    m.origin = *origin;
    while (!rest.empty()) {
        const auto room = read_netstring(rest);
        const auto from = room ? read_netstring(rest) : std::nullopt;
        const auto to = from ? read_netstring(rest) : std::nullopt;
        const auto frame = to ? read_netstring(rest) : std::nullopt;
        if (!frame || !is_valid_id(*room) || !is_valid_id(*from) || !is_valid_id(*to)) return std::nullopt;
        m.entries.push_back({*room, *from, *to, *frame});
    }
    if (m.entries.empty()) return std::nullopt;
    return m;
}

} // namespace peddlenet::server::cluster
