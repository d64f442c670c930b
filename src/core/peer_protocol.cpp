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
        return ChatFrame{std::move(*message), type == "sync"};
    }
    if (type == "ack") {
        auto ids = read_ids(frame, "ids", max_ack_ids, false);
        if (!ids) return refuse("bad ack id list");
        return AckFrame{std::move(*ids)};
    }
    if (type == "ping" || type == "pong") {
        const auto n = read_counter(frame);
        if (!n) return refuse("bad ping counter");
        if (type == "ping") return PingFrame{*n};
        return PongFrame{*n};
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

std::string build_chat_frame(const ChatMessage& m, bool relayed) {
    return dump(json{{"type", relayed ? "sync" : "msg"}, {"message", chat_message_to_json(m)}});
}

std::string build_ack_frame(const std::vector<std::string>& ids) {
    return dump(json{{"type", "ack"}, {"ids", ids}});
}

std::string build_ping_frame(std::uint64_t n) { return dump(json{{"type", "ping"}, {"n", n}}); }
std::string build_pong_frame(std::uint64_t n) { return dump(json{{"type", "pong"}, {"n", n}}); }

} // namespace peddlenet
