// signaling_protocol.cpp: see signaling_protocol.hpp.
// Index: [SECTION] error slugs, [SECTION] field rules, [SECTION] builders,
//        [SECTION] server frames (client side)
#include "core/signaling_protocol.hpp"

#include "core/ice_servers.hpp"
#include "core/text.hpp"
#include "core/trust.hpp"

#include <array>

namespace peddlenet::protocol {

// [SECTION] error slugs ------------------------------------------------------------------------

namespace {
constexpr std::array<std::string_view, error_code_count> slugs = {
    "bad-json",     "bad-utf8",       "bad-type",     "bad-field",     "too-large",
    "not-joined",   "already-joined", "no-such-peer", "peer-away",     "room-full",
    "too-many-rooms", "rate-limited", "server-full",  "replaced",      "shutting-down",
    "auth-required",  "bad-key",      "bad-signature",
};
} // namespace

std::string_view slug(ErrorCode code) { return slugs[static_cast<std::size_t>(code)]; }

std::optional<ErrorCode> error_code_from_slug(std::string_view s) {
    for (std::size_t i = 0; i < slugs.size(); ++i)
        if (slugs[i] == s) return static_cast<ErrorCode>(i);
    return std::nullopt;
}

namespace {

Problem problem(ErrorCode code, std::string message) { return {code, std::move(message)}; }

template <class T> Parsed<T> refuse(ErrorCode code, std::string message) {
    Parsed<T> r;
    r.problem = problem(code, std::move(message));
    return r;
}

} // namespace

// [SECTION] field rules ------------------------------------------------------------------------

std::optional<Problem> check_id(std::string_view field, std::string_view value) {
    if (is_valid_id(value)) return std::nullopt;
    return problem(ErrorCode::bad_field, "\"" + std::string(field) +
                                             "\" must be 1-64 characters of A-Z a-z 0-9 _ -");
}

std::optional<Problem> check_name(std::string_view name) {
    switch (display_name_problem(name)) {
    case NameProblem::none: return std::nullopt;
    case NameProblem::invalid_utf8: return problem(ErrorCode::bad_field, "\"name\" must be valid UTF-8");
    case NameProblem::empty:
    case NameProblem::too_long:
        return problem(ErrorCode::bad_field,
                       "\"name\" must be 1-" + std::to_string(max_display_name_chars) + " characters");
    case NameProblem::control_char:
        return problem(ErrorCode::bad_field, "\"name\" must not contain control characters");
    }
    return std::nullopt;
}

std::string echo(std::string_view s) {
    std::string out;
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size() && n < 32; ++i, ++n) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        out += (c < 0x20 || c == 0x7F) ? '?' : static_cast<char>(c);
    }
    if (n == 32 && s.size() > out.size()) out += "...";
    return repair_utf8(out); // the cut may have split a character
}

// [SECTION] builders ---------------------------------------------------------------------------

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    std::size_t run = 0; // start of the pending stretch that needs no escaping
    for (std::size_t i = 0; i < s.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(s.substr(run, i - run));
        run = i + 1;
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
    }
    out.append(s.substr(run));
    out += '"';
}

namespace {
// `{"type":"T"` followed by `,"key":"value"` pairs; the caller closes the object.
std::string start(std::string_view type, std::size_t extra) {
    std::string out;
    out.reserve(16 + type.size() + extra);
    out += R"({"type":")";
    out += type;
    out += '"';
    return out;
}
void add(std::string& out, std::string_view key, std::string_view value) {
    out += ",\"";
    out += key;
    out += "\":";
    append_json_string(out, value);
}
} // namespace

std::string join_signing_payload(std::string_view nonce, std::string_view room,
                                 std::string_view peer) {
    constexpr std::string_view label = "peddlenet-join-v2\n";
    std::string out;
    out.reserve(label.size() + nonce.size() + room.size() + peer.size() + 2);
    out += label;
    out += nonce;
    out += '\n';
    out += room;
    out += '\n';
    out += peer;
    return out;
}

std::string build_join(std::string_view room, std::string_view peer, std::string_view name,
                       std::string_view sig) {
    std::string out = start("join", 40 + room.size() + peer.size() + name.size() + sig.size());
    add(out, "room", room);
    add(out, "peer", peer);
    add(out, "name", name);
    add(out, "sig", sig);
    out += '}';
    return out;
}

std::string build_signal(std::string_view to, std::string_view data_json) {
    std::string out = start("signal", 16 + to.size() + data_json.size());
    add(out, "to", to);
    out += ",\"data\":";
    out += data_json;
    out += '}';
    return out;
}

std::string build_leave() { return R"({"type":"leave"})"; }
std::string build_ping() { return R"({"type":"ping"})"; }

std::string build_challenge(std::string_view nonce) {
    std::string out = start("challenge", 24 + nonce.size());
    out += ",\"v\":";
    out += std::to_string(version);
    add(out, "nonce", nonce);
    out += '}';
    return out;
}

std::string build_joined(std::string_view room, std::string_view peer, std::string_view session,
                         std::size_t size, std::span<const PeerInfo> others) {
    std::string out = start("joined", 64 + room.size() + peer.size() + session.size() +
                                          others.size() * 112);
    add(out, "room", room);
    add(out, "peer", peer);
    add(out, "session", session);
    out += ",\"size\":";
    out += std::to_string(size);
    out += ",\"peers\":[";
    for (std::size_t i = 0; i < others.size(); ++i) {
        if (i) out += ',';
        out += "{\"peer\":";
        append_json_string(out, others[i].peer);
        out += ",\"name\":";
        append_json_string(out, others[i].name);
        out += ",\"session\":";
        append_json_string(out, others[i].session);
        out += '}';
    }
    out += "]}";
    return out;
}

std::string build_peer_joined(std::string_view peer, std::string_view name,
                              std::string_view session) {
    std::string out = start("peer-joined", 40 + peer.size() + name.size() + session.size());
    add(out, "peer", peer);
    add(out, "name", name);
    add(out, "session", session);
    out += '}';
    return out;
}

std::string build_ice_servers(std::span<const std::string> urls, std::string_view username,
                              std::string_view credential, std::int64_t expires_unix) {
    std::string out = start("ice-servers", 64 + urls.size() * (48 + username.size() + credential.size()));
    out += ",\"servers\":[";
    for (std::size_t i = 0; i < urls.size(); ++i) {
        if (i) out += ',';
        out += "{\"urls\":";
        append_json_string(out, urls[i]);
        out += ",\"username\":";
        append_json_string(out, username);
        out += ",\"credential\":";
        append_json_string(out, credential);
        out += '}';
    }
    out += "],\"expires\":";
    out += std::to_string(expires_unix);
    out += '}';
    return out;
}

std::string build_peer_left(std::string_view peer) {
    std::string out = start("peer-left", 16 + peer.size());
    add(out, "peer", peer);
    out += '}';
    return out;
}

std::string build_peer_rejoined(std::string_view peer, std::string_view name,
                                std::string_view session) {
    std::string out = start("peer-rejoined", 40 + peer.size() + name.size() + session.size());
    add(out, "peer", peer);
    add(out, "name", name);
    add(out, "session", session);
    out += '}';
    return out;
}

std::string build_signal_from(std::string_view from, std::string_view data_json) {
    std::string out = start("signal", 20 + from.size() + data_json.size());
    add(out, "from", from);
    out += ",\"data\":";
    out += data_json;
    out += '}';
    return out;
}

std::string build_pong() { return R"({"type":"pong"})"; }

std::string build_error(ErrorCode code, std::string_view message) {
    std::string out = start("error", 32 + message.size());
    add(out, "code", slug(code));
    add(out, "message", message);
    out += '}';
    return out;
}

// [SECTION] server frames (client side) --------------------------------------------------------
// The client parses few, small frames, so the full nlohmann DOM is fine here.

namespace {
using json = nlohmann::json;

const std::string* string_at(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}
} // namespace

Parsed<ServerMessage> parse_server(std::string_view text) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return refuse<ServerMessage>(ErrorCode::bad_json, "a message is one JSON object");
    const std::string* type = string_at(j, "type");
    if (!type) return refuse<ServerMessage>(ErrorCode::bad_field, "missing string \"type\"");

    auto missing = [&](const char* key) {
        return refuse<ServerMessage>(ErrorCode::bad_field,
                                     *type + " needs the string field \"" + key + "\"");
    };
    auto bad_session = [&] {
        return refuse<ServerMessage>(ErrorCode::bad_field,
                                     *type + ": \"session\" must be an id");
    };
    Parsed<ServerMessage> r;
    const std::string* peer = string_at(j, "peer");
    const std::string* name = string_at(j, "name");
    const std::string* session = string_at(j, "session");
    if (*type == "signal") {
        const std::string* from = string_at(j, "from");
        if (!from) return missing("from");
        const auto data = j.find("data");
        if (data == j.end() || !data->is_object())
            return refuse<ServerMessage>(ErrorCode::bad_field, "\"data\" must be a JSON object");
        r.value = SignalFrom{*from, std::move(*data)}; // handed on parsed: no dump and re-parse
    } else if (*type == "challenge") {
        const std::string* nonce = string_at(j, "nonce");
        if (!nonce) return missing("nonce");
        if (nonce->size() != nonce_chars || !is_valid_id(*nonce))
            return refuse<ServerMessage>(ErrorCode::bad_field,
                                         "\"nonce\" must be 43 characters of A-Z a-z 0-9 _ -");
        r.value = Challenge{*nonce};
    } else if (*type == "joined") {
        const std::string* room = string_at(j, "room");
        if (!room) return missing("room");
        if (!peer) return missing("peer");
        if (!session) return missing("session");
        if (!is_valid_id(*session)) return bad_session();
        const auto peers = j.find("peers");
        if (peers == j.end() || !peers->is_array())
            return refuse<ServerMessage>(ErrorCode::bad_field, "\"peers\" must be an array");
        if (peers->size() > max_joined_peers)
            return refuse<ServerMessage>(ErrorCode::bad_field,
                                         "\"peers\" lists more than " +
                                             std::to_string(max_joined_peers) + " members");
        Joined joined{*room, *peer, *session, peers->size() + 1, {}};
        if (const auto size = j.find("size"); size != j.end()) {
            // Negative integers stay signed in nlohmann, and 2.0 or 1e3 are floats: 0 (never
            // valid, the joiner counts) stands for all of those.
            const std::uint64_t n = size->is_number_unsigned() ? size->get<std::uint64_t>() : 0;
            if (n < joined.size || n > max_joined_size)
                return refuse<ServerMessage>(
                    ErrorCode::bad_field, "\"size\" must be an integer from the number of "
                                          "\"peers\" plus one to " +
                                              std::to_string(max_joined_size));
            joined.size = static_cast<std::size_t>(n);
        }
        joined.peers.reserve(peers->size());
        for (const json& p : *peers) {
            const std::string* id = p.is_object() ? string_at(p, "peer") : nullptr;
            const std::string* nm = p.is_object() ? string_at(p, "name") : nullptr;
            const std::string* ss = p.is_object() ? string_at(p, "session") : nullptr;
            if (!id || !nm || !ss)
                return refuse<ServerMessage>(
                    ErrorCode::bad_field, "each of \"peers\" needs string peer, name and session");
            if (!is_peer_key_id(*id))
                return refuse<ServerMessage>(ErrorCode::bad_field,
                                             "each of \"peers\" needs a \"peer\" that is a key");
            if (!is_valid_id(*ss)) return bad_session();
            joined.peers.push_back({*id, *nm, *ss});
        }
        r.value = std::move(joined);
    } else if (*type == "peer-joined" || *type == "peer-rejoined") {
        if (!peer) return missing("peer");
        if (!name) return missing("name");
        if (!session) return missing("session");
        if (!is_valid_id(*session)) return bad_session();
        if (*type == "peer-joined") r.value = PeerJoined{*peer, *name, *session};
        else r.value = PeerRejoined{*peer, *name, *session};
    } else if (*type == "peer-left") {
        if (!peer) return missing("peer");
        r.value = PeerLeft{*peer};
    } else if (*type == "ice-servers") {
        const auto servers = j.find("servers");
        const auto expires = j.find("expires");
        if (servers == j.end() || expires == j.end() || !expires->is_number_integer())
            return refuse<ServerMessage>(ErrorCode::bad_field,
                                         "ice-servers needs \"servers\" and an integer \"expires\"");
        IceServersParse checked = check_ice_server_list(*servers);
        if (!checked.ok()) return refuse<ServerMessage>(ErrorCode::bad_field, "ice-servers: " + i18n::to_string(checked.error));
        r.value = IceServers{std::move(checked.servers), expires->get<std::int64_t>()};
    } else if (*type == "pong") {
        r.value = Pong{};
    } else if (*type == "error") {
        const std::string* code = string_at(j, "code");
        if (!code) return missing("code");
        const std::string* message = string_at(j, "message");
        r.value = ServerError{*code, message ? *message : std::string()};
    } else {
        return refuse<ServerMessage>(ErrorCode::bad_type, "unknown type \"" + echo(*type) + "\"");
    }
    return r;
}

} // namespace peddlenet::protocol
