// server_frames_fuzz.cpp: the signaling messages in both directions.
//  - server -> client: the app's parser (protocol::parse_server) on hostile text; an accepted
//    frame, written again with the server's builders, parses back to the same message, and
//    every id it accepted follows the protocol's rules (a `joined` also its size and bounds, an
//    `ice-servers` the rules of the ICE servers setting);
//  - client -> server: frames the app's builders write from arbitrary field values are accepted
//    by the server's parser exactly when the fields follow the rules, and parse back unchanged.
#include "core/signaling_protocol.hpp"
#include "core/text.hpp"
#include "core/trust.hpp"
#include "fuzz/fuzz_check.hpp"
#include "server/frame_scanner.hpp"

#include <fuzzer/FuzzedDataProvider.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

using namespace peddlenet;
using namespace peddlenet::protocol;
using nlohmann::json;

namespace {

std::string rebuild(const ServerMessage& m) {
    struct Writer {
        std::string operator()(const Challenge& c) const { return build_challenge(c.nonce); }
        std::string operator()(const Joined& j) const {
            return build_joined(j.room, j.peer, j.session, j.size, j.peers);
        }
        std::string operator()(const PeerJoined& p) const {
            return build_peer_joined(p.peer, p.name, p.session);
        }
        std::string operator()(const PeerLeft& p) const { return build_peer_left(p.peer); }
        std::string operator()(const PeerRejoined& p) const {
            return build_peer_rejoined(p.peer, p.name, p.session);
        }
        std::string operator()(const SignalFrom& s) const {
            return build_signal_from(s.from, s.data.dump());
        }
        // Entries need not share one credential (the app's check allows any list), so not
        // build_ice_servers: the same JSON the server's builder writes, entry by entry.
        std::string operator()(const IceServers& i) const {
            return json{{"type", "ice-servers"}, {"servers", i.servers}, {"expires", i.expires_unix}}.dump();
        }
        std::string operator()(const Pong&) const { return build_pong(); }
        std::string operator()(const ServerError& e) const {
            return json{{"type", "error"}, {"code", e.code}, {"message", e.message}}.dump();
        }
    };
    return std::visit(Writer{}, m);
}

bool same(const ServerMessage& a, const ServerMessage& b) {
    if (a.index() != b.index()) return false;
    if (auto* x = std::get_if<Challenge>(&a)) return x->nonce == std::get<Challenge>(b).nonce;
    if (auto* x = std::get_if<Joined>(&a)) {
        const Joined& y = std::get<Joined>(b);
        return x->room == y.room && x->peer == y.peer && x->session == y.session &&
               x->size == y.size && x->peers == y.peers;
    }
    if (auto* x = std::get_if<PeerJoined>(&a)) {
        const PeerJoined& y = std::get<PeerJoined>(b);
        return x->peer == y.peer && x->name == y.name && x->session == y.session;
    }
    if (auto* x = std::get_if<PeerRejoined>(&a)) {
        const PeerRejoined& y = std::get<PeerRejoined>(b);
        return x->peer == y.peer && x->name == y.name && x->session == y.session;
    }
    if (auto* x = std::get_if<PeerLeft>(&a)) return x->peer == std::get<PeerLeft>(b).peer;
    if (auto* x = std::get_if<SignalFrom>(&a)) {
        const SignalFrom& y = std::get<SignalFrom>(b);
        return x->from == y.from && x->data == y.data;
    }
    if (auto* x = std::get_if<IceServers>(&a)) {
        const IceServers& y = std::get<IceServers>(b);
        return x->servers == y.servers && x->expires_unix == y.expires_unix;
    }
    if (auto* x = std::get_if<ServerError>(&a)) {
        const ServerError& y = std::get<ServerError>(b);
        return x->code == y.code && x->message == y.message;
    }
    return true;
}

// What reaches RTCPeerConnection: at most 8 entries of one stun:, turn: or turns: URL each,
// TURN with a string username and credential, STUN with neither.
void check_ice_servers(const IceServers& i) {
    FUZZ_CHECK(i.servers.is_array() && i.servers.size() <= 8);
    for (const json& server : i.servers) {
        const auto urls = server.find("urls");
        FUZZ_CHECK(urls != server.end() && urls->is_string());
        const std::string& url = urls->get_ref<const std::string&>();
        FUZZ_CHECK(is_valid_utf8(url) && url.size() <= 512);
        const bool turn = url.rfind("turn:", 0) == 0 || url.rfind("turns:", 0) == 0;
        FUZZ_CHECK(turn || url.rfind("stun:", 0) == 0);
        FUZZ_CHECK(server.contains("username") == turn && server.contains("credential") == turn);
        if (turn) FUZZ_CHECK(server["username"].is_string() && server["credential"].is_string());
    }
}

void server_to_client(std::string_view text) {
    const Parsed<ServerMessage> got = parse_server(text);
    FUZZ_CHECK(got.ok() || !got.problem.message.empty());
    if (!got.ok()) return;
    if (auto* c = std::get_if<Challenge>(&*got.value))
        FUZZ_CHECK(c->nonce.size() == nonce_chars && is_valid_id(c->nonce));
    if (auto* j = std::get_if<Joined>(&*got.value)) {
        FUZZ_CHECK(is_valid_id(j->session));
        FUZZ_CHECK(j->peers.size() <= max_joined_peers);
        FUZZ_CHECK(j->size > j->peers.size() && j->size <= max_joined_size);
        for (const PeerInfo& p : j->peers)
            FUZZ_CHECK(is_peer_key_id(p.peer) && is_valid_id(p.session));
    }
    if (auto* s = std::get_if<SignalFrom>(&*got.value)) FUZZ_CHECK(s->data.is_object());
    if (auto* i = std::get_if<IceServers>(&*got.value)) check_ice_servers(*i);
    const std::string again = rebuild(*got.value);
    FUZZ_CHECK(is_valid_utf8(again));
    const Parsed<ServerMessage> reparsed = parse_server(again);
    FUZZ_CHECK(reparsed.ok());
    FUZZ_CHECK(same(*reparsed.value, *got.value));
}

std::size_t nesting(const json& j) {
    if (!j.is_structured()) return 0;
    std::size_t deepest = 0;
    for (const json& child : j) deepest = std::max(deepest, nesting(child));
    return deepest + 1;
}

void client_to_server(FuzzedDataProvider& in) {
    // The app's forms repair UTF-8 before anything is sent; the builders need valid UTF-8.
    auto field = [&in] { return repair_utf8(in.ConsumeRandomLengthString(80)); };
    if (in.ConsumeBool()) {
        const std::string room = field(), peer = field(), name = field(), sig = field();
        const Parsed<ClientMessage> got = parse_client(build_join(room, peer, name, sig));
        const bool valid = !check_id("room", room) && !check_id("peer", peer) && !check_name(name);
        FUZZ_CHECK(got.ok() == valid);
        if (!valid) {
            FUZZ_CHECK(got.problem.code == ErrorCode::bad_field);
            return;
        }
        const Join& j = std::get<Join>(*got.value);
        FUZZ_CHECK(j.room == room && j.peer == peer && j.name == name && j.sig == sig);
    } else {
        const std::string to = field();
        json data = json::parse(in.ConsumeRemainingBytesAsString(), nullptr, false);
        if (!data.is_object()) data = json::object({{"candidate", field()}});
        const std::string data_text = data.dump(-1, ' ', false, json::error_handler_t::replace);
        const Parsed<ClientMessage> got = parse_client(build_signal(to, data_text));
        // The frame object is one level, so `data` may nest max_json_depth - 1 levels.
        const bool valid = !check_id("to", to) && nesting(data) < max_json_depth;
        FUZZ_CHECK(got.ok() == valid);
        if (!got.ok()) return;
        const Signal& s = std::get<Signal>(*got.value);
        FUZZ_CHECK(s.to == to && s.data == data_text);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    if (data[0] != '!') {
        server_to_client(std::string_view(reinterpret_cast<const char*>(data), size));
        return 0;
    }
    FuzzedDataProvider in(data + 1, size - 1);
    client_to_server(in);
    return 0;
}
