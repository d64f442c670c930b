// peer_frames_fuzz.cpp: the data channel frames peers exchange (core/peer_protocol.hpp) on
// hostile text. An accepted frame obeys every rule the engine relies on (ids, UTF-8, sizes,
// counts, signature and MAC sizes), and the builders write it as a frame that parses back to
// the same value and fits the frame limit.
#include "core/chat_log.hpp"
#include "core/peer_protocol.hpp"
#include "core/text.hpp"
#include "core/trust.hpp"
#include "fuzz/fuzz_check.hpp"

#include <set>

#include <cstdint>
#include <string>
#include <string_view>

using namespace peddlenet;

namespace {

bool same_message(const ChatMessage& a, const ChatMessage& b) {
    return a.id == b.id && a.from == b.from && a.name == b.name && a.text == b.text &&
           a.ts_ms == b.ts_ms && a.lamport == b.lamport && a.sig == b.sig && a.photo == b.photo;
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
        FUZZ_CHECK(!m.sent && m.acked_by.empty() && m.receipts == 0); // never read from the wire
        FUZZ_CHECK(is_peer_key_id(m.from) && !m.sig.empty());
        FUZZ_CHECK(c.hops < max_relay_hops);
        FUZZ_CHECK(!c.relayed || c.hops == 0);
    }
    void operator()(const AckFrame& a) const {
        FUZZ_CHECK(!a.ids.empty() && a.ids.size() <= max_ack_ids);
        check_ids(a.ids);
        FUZZ_CHECK(a.counts.empty() || a.counts.size() == a.ids.size());
        for (std::uint32_t n : a.counts) FUZZ_CHECK(n >= 1 && n <= max_receipt_count);
    }
    void operator()(const IHaveFrame& f) const {
        FUZZ_CHECK(!f.ids.empty() && f.ids.size() <= max_ack_ids);
        check_ids(f.ids);
    }
    void operator()(const IWantFrame& f) const {
        FUZZ_CHECK(!f.ids.empty() && f.ids.size() <= max_ack_ids);
        check_ids(f.ids);
    }
    void operator()(const LinksFrame& f) const {
        FUZZ_CHECK(f.peers.size() <= max_listed_links);
        std::set<std::string> seen;
        for (const Neighbor& n : f.peers) {
            FUZZ_CHECK(is_peer_key_id(n.peer) && is_valid_id(n.session));
            FUZZ_CHECK(n.name.empty() || check_chat_name(n.name).ok());
            FUZZ_CHECK(seen.insert(n.peer).second);
        }
    }
    void operator()(const PresenceFrame& p) const {
        FUZZ_CHECK(is_peer_key_id(p.peer) && is_valid_id(p.session) && p.sig.size() == 64);
        FUZZ_CHECK(check_chat_name(p.name).ok() && check_chat_name(p.name).value == p.name);
        FUZZ_CHECK(p.ts_ms >= 0 && static_cast<std::uint64_t>(p.ts_ms) <= max_json_integer);
    }
    void operator()(const RoutedSignalFrame& f) const {
        FUZZ_CHECK(is_peer_key_id(f.from) && is_peer_key_id(f.to));
        FUZZ_CHECK(f.data.is_object());
    }
    void operator()(const PhotoGetFrame& f) const {
        FUZZ_CHECK(is_photo_hash(f.photo) && f.offset < max_photo_bytes);
    }
    void operator()(const PhotoNoneFrame& f) const { FUZZ_CHECK(is_photo_hash(f.photo)); }
    void operator()(const PhotoGotFrame& f) const { FUZZ_CHECK(is_photo_hash(f.photo)); }
    void operator()(const PingFrame&) const {}
    void operator()(const PongFrame&) const {}
};

std::string rebuild(const PeerFrame& f) {
    if (auto* a = std::get_if<AuthFrame>(&f)) return build_auth_frame(*a);
    if (auto* h = std::get_if<HelloFrame>(&f)) return build_hello_frame(h->have);
    if (auto* c = std::get_if<ChatFrame>(&f)) return build_chat_frame(c->message, c->relayed, c->hops);
    if (auto* a = std::get_if<AckFrame>(&f)) return build_ack_frame(a->ids, a->counts);
    if (auto* i = std::get_if<IHaveFrame>(&f)) return build_ihave_frame(i->ids);
    if (auto* w = std::get_if<IWantFrame>(&f)) return build_iwant_frame(w->ids);
    if (auto* l = std::get_if<LinksFrame>(&f)) return build_links_frame(l->peers);
    if (auto* r = std::get_if<RoutedSignalFrame>(&f)) return build_routed_signal_frame(r->from, r->to, r->data);
    if (auto* p = std::get_if<PresenceFrame>(&f)) return build_presence_frame(*p);
    if (auto* g = std::get_if<PhotoGetFrame>(&f)) return build_photo_get_frame(g->photo, g->offset);
    if (auto* n = std::get_if<PhotoNoneFrame>(&f)) return build_photo_none_frame(n->photo);
    if (auto* g = std::get_if<PhotoGotFrame>(&f)) return build_photo_got_frame(g->photo);
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
        return x->relayed == y.relayed && x->hops == y.hops && same_message(x->message, y.message);
    }
    if (auto* x = std::get_if<AckFrame>(&a))
        return x->ids == std::get<AckFrame>(b).ids && x->counts == std::get<AckFrame>(b).counts;
    if (auto* x = std::get_if<IHaveFrame>(&a)) return x->ids == std::get<IHaveFrame>(b).ids;
    if (auto* x = std::get_if<IWantFrame>(&a)) return x->ids == std::get<IWantFrame>(b).ids;
    if (auto* x = std::get_if<LinksFrame>(&a)) return x->peers == std::get<LinksFrame>(b).peers;
    if (auto* x = std::get_if<PresenceFrame>(&a)) {
        const PresenceFrame& y = std::get<PresenceFrame>(b);
        return x->peer == y.peer && x->name == y.name && x->session == y.session && x->ts_ms == y.ts_ms &&
               x->sig == y.sig;
    }
    if (auto* x = std::get_if<RoutedSignalFrame>(&a)) {
        const RoutedSignalFrame& y = std::get<RoutedSignalFrame>(b);
        return x->from == y.from && x->to == y.to && x->data == y.data;
    }
    if (auto* x = std::get_if<PhotoGetFrame>(&a))
        return x->photo == std::get<PhotoGetFrame>(b).photo && x->offset == std::get<PhotoGetFrame>(b).offset;
    if (auto* x = std::get_if<PhotoNoneFrame>(&a)) return x->photo == std::get<PhotoNoneFrame>(b).photo;
    if (auto* x = std::get_if<PhotoGotFrame>(&a)) return x->photo == std::get<PhotoGotFrame>(b).photo;
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
