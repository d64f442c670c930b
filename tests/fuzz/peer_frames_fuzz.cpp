// peer_frames_fuzz.cpp: the data channel frames peers exchange (core/peer_protocol.hpp) on
// hostile text. An accepted frame obeys every rule the engine relies on (ids, UTF-8, sizes,
// counts, signature and MAC sizes), and the builders write it as a frame that parses back to
// the same value and fits the frame limit.
#include "core/chat_log.hpp"
#include "core/peer_protocol.hpp"
#include "core/text.hpp"
#include "fuzz/fuzz_check.hpp"

#include <cstdint>
#include <string>
#include <string_view>

using namespace peddlenet;

namespace {

bool same_message(const ChatMessage& a, const ChatMessage& b) {
    return a.id == b.id && a.from == b.from && a.name == b.name && a.text == b.text &&
           a.ts_ms == b.ts_ms && a.lamport == b.lamport && a.sig == b.sig;
}

void check_ids(const std::vector<std::string>& ids) {
    for (const std::string& id : ids) FUZZ_CHECK(is_valid_id(id));
}

struct Rules {
    void operator()(const AuthFrame& a) const {
        FUZZ_CHECK(a.mac.size() == 32);
        FUZZ_CHECK(a.sig.size() == 64);
    }
    void operator()(const HelloFrame& h) const {
        FUZZ_CHECK(h.have.size() <= max_sync_messages);
        check_ids(h.have);
    }
    void operator()(const ChatFrame& c) const {
        const ChatMessage& m = c.message;
        FUZZ_CHECK(is_valid_id(m.id));
        FUZZ_CHECK(is_valid_utf8(m.text) && !m.text.empty() && m.text.size() <= max_text_bytes);
        FUZZ_CHECK(check_chat_name(m.name).ok());
        FUZZ_CHECK(m.lamport >= 1 && m.lamport <= max_json_integer);
        FUZZ_CHECK(!m.sent && m.acked_by.empty()); // never read from the wire
    }
    void operator()(const AckFrame& a) const {
        FUZZ_CHECK(!a.ids.empty() && a.ids.size() <= max_ack_ids);
        check_ids(a.ids);
    }
    void operator()(const PingFrame&) const {}
    void operator()(const PongFrame&) const {}
};

std::string rebuild(const PeerFrame& f) {
    if (auto* a = std::get_if<AuthFrame>(&f)) return build_auth_frame(*a);
    if (auto* h = std::get_if<HelloFrame>(&f)) return build_hello_frame(h->have);
    if (auto* c = std::get_if<ChatFrame>(&f)) return build_chat_frame(c->message, c->relayed);
    if (auto* a = std::get_if<AckFrame>(&f)) return build_ack_frame(a->ids);
    if (auto* p = std::get_if<PingFrame>(&f)) return build_ping_frame(p->n);
    return build_pong_frame(std::get<PongFrame>(f).n);
}

bool same(const PeerFrame& a, const PeerFrame& b) {
    if (a.index() != b.index()) return false;
    if (auto* x = std::get_if<AuthFrame>(&a)) {
        const AuthFrame& y = std::get<AuthFrame>(b);
        return x->mac == y.mac && x->sig == y.sig;
    }
    if (auto* x = std::get_if<HelloFrame>(&a)) return x->have == std::get<HelloFrame>(b).have;
    if (auto* x = std::get_if<ChatFrame>(&a)) {
        const ChatFrame& y = std::get<ChatFrame>(b);
        return x->relayed == y.relayed && same_message(x->message, y.message);
    }
    if (auto* x = std::get_if<AckFrame>(&a)) return x->ids == std::get<AckFrame>(b).ids;
    if (auto* x = std::get_if<PingFrame>(&a)) return x->n == std::get<PingFrame>(b).n;
    return std::get<PongFrame>(a).n == std::get<PongFrame>(b).n;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string why;
    const std::optional<PeerFrame> got = parse_peer_frame(text, &why);
    if (!got) {
        FUZZ_CHECK(!why.empty());
        return 0;
    }
    FUZZ_CHECK(text.size() <= max_peer_frame_bytes);
    std::visit(Rules{}, *got);
    const std::string again = rebuild(*got);
    FUZZ_CHECK(again.size() <= max_peer_frame_bytes);
    const std::optional<PeerFrame> reparsed = parse_peer_frame(again);
    FUZZ_CHECK(reparsed.has_value());
    FUZZ_CHECK(same(*reparsed, *got));
    return 0;
}
