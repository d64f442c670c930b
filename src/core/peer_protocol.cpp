// peer_protocol.cpp: see peer_protocol.hpp.
#include "core/peer_protocol.hpp"

#include "core/base64url.hpp"
#include "core/crypto.hpp"
#include "core/text.hpp"
#include "core/trust.hpp"

#include <utility>

namespace peddlenet {
namespace {

using nlohmann::json;

// Every string we put in a frame is valid UTF-8, so dump() cannot throw; `replace` makes that
// true even if a future caller forgets to repair.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Reads a list of 1..max (or 0..max) valid ids; nullopt when anything breaks the rule.
std::optional<std::vector<std::string>> read_ids(const json& frame, const char* key,
                                                 std::size_t max, bool allow_empty) {
    const auto it = frame.find(key);
    if (it == frame.end() || !it->is_array() || it->size() > max) return std::nullopt;
    if (!allow_empty && it->empty()) return std::nullopt;
    std::vector<std::string> ids;
    ids.reserve(it->size());
    for (const json& id : *it) {
        if (!id.is_string() || !is_valid_id(id.get_ref<const std::string&>())) return std::nullopt;
        ids.push_back(id.get<std::string>());
    }
    return ids;
}

std::optional<std::uint64_t> read_counter(const json& frame) {
    const auto it = frame.find("n");
    if (it == frame.end() || !it->is_number_unsigned()) return std::nullopt;
    const auto n = it->get<std::uint64_t>();
    if (n > max_json_integer) return std::nullopt;
    return n;
}

// A base64url field that must decode to exactly `bytes` bytes.
std::optional<std::string> read_bytes(const json& frame, const char* key, std::size_t bytes) {
    const auto it = frame.find(key);
    if (it == frame.end() || !it->is_string()) return std::nullopt;
    auto raw = base64url_decode(it->get_ref<const std::string&>());
    if (!raw || raw->size() != bytes) return std::nullopt;
    return raw;
}

// The optional receipt counts of an ack: absent, or one 1..max_receipt_count per id.
std::optional<std::vector<std::uint32_t>> read_counts(const json& frame, std::size_t ids) {
    const auto it = frame.find("n");
    if (it == frame.end()) return std::vector<std::uint32_t>{};
    if (!it->is_array() || it->size() != ids) return std::nullopt;
    std::vector<std::uint32_t> counts;
    counts.reserve(ids);
    for (const json& n : *it) {
        if (!n.is_number_unsigned() || n.get<std::uint64_t>() == 0 ||
            n.get<std::uint64_t>() > max_receipt_count)
            return std::nullopt;
        counts.push_back(static_cast<std::uint32_t>(n.get<std::uint64_t>()));
    }
    return counts;
}

std::optional<std::string> read_peer(const json& frame, const char* key) {
    const auto it = frame.find(key);
    if (it == frame.end() || !it->is_string() ||
        !is_peer_key_id(it->get_ref<const std::string&>()))
        return std::nullopt;
    return it->get<std::string>();
}

std::optional<std::vector<Neighbor>> read_neighbors(const json& frame) {
    const auto it = frame.find("peers");
    if (it == frame.end() || !it->is_array() || it->size() > max_listed_links) return std::nullopt;
    std::vector<Neighbor> out;
    for (const json& entry : *it) {
        if (!entry.is_object()) return std::nullopt;
        auto peer = read_peer(entry, "peer");
        const auto session = entry.find("session");
        const auto name = entry.find("name");
        if (!peer || session == entry.end() || !session->is_string() ||
            !is_valid_id(session->get_ref<const std::string&>()) || name == entry.end() ||
            !name->is_string())
            return std::nullopt;
        for (const Neighbor& n : out)
            if (n.peer == *peer) return std::nullopt;
        Checked checked = check_chat_name(name->get_ref<const std::string&>());
        out.push_back({std::move(*peer), checked.ok() ? checked.value : std::string(),
                       session->get<std::string>()});
    }
    return out;
}

} // namespace

std::optional<PeerFrame> parse_peer_frame(std::string_view text, std::string* why) {
    const auto refuse = [why](std::string reason) -> std::optional<PeerFrame> {
        if (why) *why = std::move(reason);
        return std::nullopt;
    };
    if (text.size() > max_peer_frame_bytes) return refuse("frame too large");
    const json frame = json::parse(repair_utf8(text), nullptr, false);
    if (frame.is_discarded() || !frame.is_object()) return refuse("not a JSON object");
    const auto type_it = frame.find("type");
    if (type_it == frame.end() || !type_it->is_string()) return refuse("no type");
    const std::string& type = type_it->get_ref<const std::string&>();

    if (type == "auth") {
        auto mac = read_bytes(frame, "mac", sha256_bytes);
        auto sig = read_bytes(frame, "sig", ed25519_signature_bytes);
        if (!mac || !sig) return refuse("bad auth");
        return AuthFrame{std::move(*mac), std::move(*sig)};
    }
    if (type == "hello") {
        const auto v = frame.find("v");
        if (v == frame.end() || !v->is_number_unsigned() || v->get<std::uint64_t>() == 0)
            return refuse("hello without version");
        auto have = read_ids(frame, "have", max_sync_messages, true);
        if (!have) return refuse("bad hello id list");
        return HelloFrame{std::move(*have)};
    }
    if (type == "msg" || type == "sync") {
        const auto m = frame.find("message");
        if (m == frame.end()) return refuse("no message");
        std::string reason;
        std::optional<ChatMessage> message = chat_message_from_json(*m, &reason);
        if (!message) return refuse(reason);
        if (message->sig.empty()) return refuse("unsigned message");
        if (!is_peer_key_id(message->from)) return refuse("author is not a key");
        unsigned hops = 0;
        if (const auto h = frame.find("hops"); h != frame.end()) {
            if (type != "msg" || !h->is_number_unsigned() ||
                h->get<std::uint64_t>() >= max_relay_hops)
                return refuse("bad hop count");
            hops = static_cast<unsigned>(h->get<std::uint64_t>());
        }
        return ChatFrame{std::move(*message), type == "sync", hops};
    }
    if (type == "ack") {
        auto ids = read_ids(frame, "ids", max_ack_ids, false);
        if (!ids) return refuse("bad ack id list");
        auto counts = read_counts(frame, ids->size());
        if (!counts) return refuse("bad receipt counts");
        return AckFrame{std::move(*ids), std::move(*counts)};
    }
    if (type == "ihave" || type == "iwant") {
        auto listed = read_ids(frame, "ids", max_ack_ids, false);
        if (!listed) return refuse("bad id list");
        if (type == "ihave") return IHaveFrame{std::move(*listed)};
        return IWantFrame{std::move(*listed)};
    }
    if (type == "links") {
        auto peers = read_neighbors(frame);
        if (!peers) return refuse("bad neighbour list");
        return LinksFrame{std::move(*peers)};
    }
    if (type == "signal") {
        auto from = read_peer(frame, "from");
        auto to = read_peer(frame, "to");
        const auto data = frame.find("data");
        if (!from || !to || data == frame.end() || !data->is_object() ||
            dump(*data).size() > max_routed_signal_bytes)
            return refuse("bad routed signal");
        return RoutedSignalFrame{std::move(*from), std::move(*to), *data};
    }
    if (type == "ping" || type == "pong") {
        const auto n = read_counter(frame);
        if (!n) return refuse("bad ping counter");
        if (type == "ping") return PingFrame{*n};
        return PongFrame{*n};
    }
    if (type == "presence") {
        auto peer = read_peer(frame, "peer");
        const auto name = frame.find("name");
        const auto session = frame.find("session");
        const auto ts = frame.find("ts");
        auto sig = read_bytes(frame, "sig", ed25519_signature_bytes);
        if (!peer || !sig || name == frame.end() || !name->is_string() || session == frame.end() ||
            !session->is_string() || !is_valid_id(session->get_ref<const std::string&>()) ||
            ts == frame.end() || !ts->is_number_unsigned() || ts->get<std::uint64_t>() > max_json_integer)
            return refuse("bad presence");
        Checked checked = check_chat_name(name->get_ref<const std::string&>());
        // The name is signed as sent: one that needs repair would not verify anyway.
        if (!checked.ok() || checked.value != name->get_ref<const std::string&>())
            return refuse("bad presence name");
        return PresenceFrame{std::move(*peer), std::move(checked.value), session->get<std::string>(),
                             static_cast<std::int64_t>(ts->get<std::uint64_t>()), std::move(*sig)};
    }
    if (type == "photo-get" || type == "photo-none" || type == "photo-got") {
        const auto photo = frame.find("photo");
        if (photo == frame.end() || !photo->is_string() || !is_photo_hash(photo->get_ref<const std::string&>()))
            return refuse("bad photo hash");
        std::string hash = photo->get<std::string>();
        if (type == "photo-none") return PhotoNoneFrame{std::move(hash)};
        if (type == "photo-got") return PhotoGotFrame{std::move(hash)};
        const auto offset = frame.find("offset");
        if (offset == frame.end() || !offset->is_number_unsigned() ||
            offset->get<std::uint64_t>() >= max_photo_bytes)
            return refuse("bad photo offset");
        return PhotoGetFrame{std::move(hash), static_cast<std::uint32_t>(offset->get<std::uint64_t>())};
    }
    return refuse("unknown type");
}

std::string build_auth_frame(const AuthFrame& auth) {
    return dump(json{{"type", "auth"},
                     {"v", peer_protocol_version},
                     {"mac", base64url_encode(auth.mac)},
                     {"sig", base64url_encode(auth.sig)}});
}

std::string build_hello_frame(const std::vector<std::string>& have) {
    return dump(json{{"type", "hello"}, {"v", peer_protocol_version}, {"have", have}});
}

std::string build_chat_frame(const ChatMessage& m, bool relayed, unsigned hops) {
    json frame{{"type", relayed ? "sync" : "msg"}, {"message", chat_message_to_json(m)}};
    if (!relayed && hops > 0) frame["hops"] = hops;
    return dump(frame);
}

std::string build_ack_frame(const std::vector<std::string>& ids,
                            const std::vector<std::uint32_t>& counts) {
    json frame{{"type", "ack"}, {"ids", ids}};
    if (!counts.empty()) frame["n"] = counts;
    return dump(frame);
}

std::string build_ihave_frame(const std::vector<std::string>& ids) {
    return dump(json{{"type", "ihave"}, {"ids", ids}});
}

std::string build_iwant_frame(const std::vector<std::string>& ids) {
    return dump(json{{"type", "iwant"}, {"ids", ids}});
}

std::string build_links_frame(const std::vector<Neighbor>& peers) {
    json list = json::array();
    for (const Neighbor& n : peers)
        list.push_back(json{{"peer", n.peer}, {"name", n.name}, {"session", n.session}});
    return dump(json{{"type", "links"}, {"peers", std::move(list)}});
}

std::string build_presence_frame(const PresenceFrame& p) {
    return dump(json{{"type", "presence"}, {"peer", p.peer}, {"name", p.name}, {"session", p.session},
                     {"ts", p.ts_ms}, {"sig", base64url_encode(p.sig)}});
}

std::string build_routed_signal_frame(const std::string& from, const std::string& to,
                                      const json& data) {
    return dump(json{{"type", "signal"}, {"from", from}, {"to", to}, {"data", data}});
}

std::string build_photo_get_frame(const std::string& photo, std::uint32_t offset) {
    return dump(json{{"type", "photo-get"}, {"photo", photo}, {"offset", offset}});
}
std::string build_photo_none_frame(const std::string& photo) {
    return dump(json{{"type", "photo-none"}, {"photo", photo}});
}
std::string build_photo_got_frame(const std::string& photo) {
    return dump(json{{"type", "photo-got"}, {"photo", photo}});
}

std::string build_ping_frame(std::uint64_t n) { return dump(json{{"type", "ping"}, {"n", n}}); }
std::string build_pong_frame(std::uint64_t n) { return dump(json{{"type", "pong"}, {"n", n}}); }

} // namespace peddlenet
