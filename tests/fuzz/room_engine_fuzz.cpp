// room_engine_fuzz.cpp: a real RoomEngine "A" (core/room_engine.hpp) fed hostile data channel
// input from one proven peer B, with real Ed25519/HMAC (tests/unit/openssl_crypto.hpp).
// Per input: A enters a room, joins with B listed, opens B's channel, answers the fingerprints
// and receives B's valid auth frame (made with B's real key), so B's link is proven. The rest of
// the input is a sequence of records:
//   raw frame bytes | msg/sync signed validly by B (or C, or A's own key) with fields from the
//   input | the same, altered after signing or signed over other bytes | hello / ack / ping /
//   pong with ids from the input or ids A holds | time + tick() | A's send() | channel close /
//   reopen | peer rejoined (re-proven or not) | restore_history(null).
// After every record the "Trust rules" of room_engine.hpp that can be observed are checked:
//  - a message authored by A is in A's log only if A's send() made it;
//  - every other stored message carries a signature of its author over message_signing_payload
//    (re-checked with OpenSSL here), its text/name are valid UTF-8 within the limits;
//  - a msg frame only ever adds a message authored by B; a sync only adds after A's hello on this
//    channel opening; nothing is read while B's link is not proven;
//  - a Lamport jump over max_lamport_jump is never stored; first id wins (stored messages never
//    change, except own delivery bookkeeping and signature);
//  - acks and hellos only mark A's own messages, and only as delivered to B;
//  - a second hello in one channel opening is dropped and answered with nothing;
//  - a frame counted as dropped changes neither the log nor the links;
//  - the log is sorted, unique and within capacity; delivery acked <= of; <= 1 link; stats never
//    decrease; every frame A sends parses, and before B is proven A sends nothing but its auth.
#include "core/base64url.hpp"
#include "core/peer_protocol.hpp"
#include "core/room_engine.hpp"
#include "core/text.hpp"
#include "core/trust.hpp"
#include "fuzz/fuzz_check.hpp"
#include "unit/openssl_crypto.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

using namespace peddlenet;
using peddlenet::testing::OpenSslCrypto;

namespace {

// Memoized real crypto: identical inputs give identical results, so caching keeps setup cheap.
struct Memo {
    std::unordered_map<std::string, std::string> signs;
    std::unordered_map<std::string, bool> verifies;
    void bound() {
        if (signs.size() > 50000) signs.clear();
        if (verifies.size() > 50000) verifies.clear();
    }
};
Memo& memo() {
    static Memo m;
    return m;
}

std::string cache_key(std::initializer_list<const std::string*> parts) {
    std::string k;
    for (const std::string* p : parts) {
        k += std::to_string(p->size());
        k += ':';
        k += *p;
    }
    return k;
}

bool verify_memo(const std::string& pub, const std::string& data, const std::string& sig) {
    const std::string k = cache_key({&pub, &data, &sig});
    auto& v = memo().verifies;
    if (auto it = v.find(k); it != v.end()) return it->second;
    memo().bound();
    return v[k] = peddlenet::testing::ed25519_verify(pub, data, sig);
}

std::string sign_memo(const OpenSslCrypto& who, const std::string& data) {
    const std::string k = cache_key({&who.public_key(), &data});
    auto& s = memo().signs;
    if (auto it = s.find(k); it != s.end()) return it->second;
    memo().bound();
    return s[k] = who.sign_now(data);
}

// The provider A's engine uses: A's real key, memoized, completions at once.
class MemoCrypto final : public Crypto {
public:
    explicit MemoCrypto(const OpenSslCrypto& self) : self_(self) {}
    void sign(std::string data, BytesDone done) override { done(sign_memo(self_, data)); }
    void verify(std::string public_key, std::string data, std::string signature,
                CheckDone done) override {
        done(verify_memo(public_key, data, signature));
    }
    void hmac_sha256(std::string key, std::string data, BytesDone done) override {
        done(peddlenet::testing::hmac(key, data));
    }
    void verify_hmac_sha256(std::string key, std::string data, std::string tag,
                            CheckDone done) override {
        done(tag == peddlenet::testing::hmac(key, data));
    }
    void sha256(std::string, BytesDone done) override { done(std::nullopt); }

private:
    const OpenSslCrypto& self_;
};

struct Identities {
    OpenSslCrypto a{std::string(32, 'A')};
    OpenSslCrypto b{std::string(32, 'B')};
    OpenSslCrypto c{std::string(32, 'C')};
    std::string a_id = a.peer_id(), b_id = b.peer_id(), c_id = c.peer_id();
    std::string room = "fuzz-room";
    std::string proof_key = std::string(32, '\x42');
    std::string fp_a = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";
    std::string fp_b = "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF";
    std::string b_auth; // B's valid auth frame for A on a connection with these fingerprints
    Identities() {
        const std::string payload = link_proof_payload(room, b_id, a_id, *normalize_fingerprint(fp_b),
                                                       *normalize_fingerprint(fp_a));
        b_auth = build_auth_frame(AuthFrame{peddlenet::testing::hmac(proof_key, payload),
                                            b.sign_now(payload)});
    }
};
const Identities& ids() {
    static Identities i;
    return i;
}

// The smallest transport: remembers what A asks for and sends.
class MiniRtc final : public RtcTransport {
public:
    RoomEngine* engine = nullptr;
    bool channel_open = false;
    std::vector<std::string> sent; // frames A sent to B, in order
    int fingerprint_requests = 0;
    int connections = 0;

    void create_connection(const std::string&, bool) override { ++connections; }
    void close_connection(const std::string& peer) override {
        if (peer == ids().b_id) channel_open = false;
    }
    void set_local_description(const std::string&) override {}
    void set_remote_description(const std::string&, const SessionDescription&) override {}
    void add_ice_candidate(const std::string&, const nlohmann::json&) override {}
    void restart_ice(const std::string&) override {}
    bool send(const std::string& peer, std::string_view text) override {
        FUZZ_CHECK(peer == ids().b_id);
        // Builders' output always parses, and only the proof crosses an unproven link.
        const std::optional<PeerFrame> f = parse_peer_frame(text);
        FUZZ_CHECK(f.has_value());
        if (!std::holds_alternative<AuthFrame>(*f)) {
            const auto info = engine->peer(peer);
            FUZZ_CHECK(info && info->proof == ProofState::ok);
        }
        if (!channel_open) return false;
        sent.emplace_back(text);
        return true;
    }
    void get_fingerprints(const std::string&) override { ++fingerprint_requests; }
    SignalingState signaling_state(const std::string&) const override {
        return SignalingState::stable;
    }
};

std::uint64_t stat_sum(const RoomStats& s, int i) {
    const std::uint64_t v[] = {s.frames_dropped,  s.forged_dropped,   s.signatures_dropped,
                               s.proofs_failed,   s.unproven_dropped, s.sync_dropped,
                               s.clock_dropped,   s.duplicates,       s.signals_dropped,
                               s.signals_ignored, s.signals_stale,    s.errors_swallowed,
                               s.errors_reported};
    return v[i];
}
constexpr int stat_count = 13;

// Drop counters of data channel frames (a frame that bumps one of these changes nothing).
std::uint64_t frame_drops(const RoomStats& s) {
    return s.frames_dropped + s.forged_dropped + s.signatures_dropped + s.unproven_dropped +
           s.sync_dropped + s.clock_dropped;
}

// The fields of a message that must never change once stored.
using Fixed = std::tuple<std::string, std::string, std::string, std::int64_t, std::uint64_t>;
Fixed fixed(const ChatMessage& m) { return {m.from, m.name, m.text, m.ts_ms, m.lamport}; }

std::string make_id(FuzzedDataProvider& in) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(1, 20);
    std::string id;
    for (std::size_t i = 0; i < n; ++i) id += alphabet[in.ConsumeIntegral<std::uint8_t>() % 64];
    return id;
}

struct Harness {
    FuzzedDataProvider& in;
    MiniRtc rtc;
    MemoCrypto crypto{ids().a};
    double now = 1000.0;
    std::int64_t wall = 1'700'000'000'000;
    std::uint32_t rng = 12345;
    std::vector<std::string> own_ids;   // ids A's send() returned
    std::vector<std::string> seen_ids;  // ids the input used, for duplicates, acks and hellos
    std::map<std::string, Fixed> stored; // id -> fields of the messages the log holds
    RoomStats last_stats;
    std::size_t capacity;
    bool hello_sent_this_opening = false; // A sent hello since the channel (re)opened
    unsigned msg_hops = 0;                // hops of this step's msg frame
    bool hello_answered_this_opening = false;
    bool awaiting = false;
    std::unique_ptr<RoomEngine> engine;

    explicit Harness(FuzzedDataProvider& input) : in(input) {
        const std::size_t caps[] = {1, 2, 3, 5, 8, max_history_messages};
        capacity = caps[in.ConsumeIntegralInRange<std::size_t>(0, 5)];
        RoomParams params;
        params.history_capacity = capacity;
        RoomCallbacks cb;
        cb.send_signal = [](const std::string&, const nlohmann::json&) {};
        RoomClock clock{[this] { return now; }, [this] { return wall; }};
        engine = std::make_unique<RoomEngine>(
            rtc, crypto, std::move(cb), clock,
            [this] { return rng = rng * 1664525u + 1013904223u; }, ids().a_id, "Alice", params);
        rtc.engine = engine.get();
        FUZZ_CHECK(engine->enter_room(RoomKeys{ids().room, ids().proof_key, false, {}}));
        awaiting = in.ConsumeBool();
        if (awaiting) engine->await_history();
        engine->on_joined(ids().room, ids().a_id, "sessA", {{ids().b_id, "Bob", "sessB"}});
        FUZZ_CHECK(engine->link_count() == 1);
        prove();
        last_stats = engine->stats();
    }

    // Opens B's channel and runs the link proof with B's valid auth frame.
    void prove() {
        if (proof() == ProofState::failed) return; // refused for the rest of the visit
        rtc.channel_open = true;
        hello_sent_this_opening = hello_answered_this_opening = false;
        const std::size_t before = rtc.sent.size();
        engine->on_channel_open(ids().b_id);
        engine->on_fingerprints(ids().b_id, ids().fp_a, ids().fp_b);
        engine->on_channel_message(ids().b_id, ids().b_auth);
        FUZZ_CHECK(engine->peer(ids().b_id)->proof == ProofState::ok);
        scan_sent(before);
    }

    ProofState proof() const {
        const auto p = engine->peer(ids().b_id);
        return p ? p->proof : ProofState::failed;
    }

    // What A sent since `from`: notes hellos; every sync/msg it sends is signed and never B's.
    void scan_sent(std::size_t from) {
        for (std::size_t i = from; i < rtc.sent.size(); ++i) {
            const std::optional<PeerFrame> f = parse_peer_frame(rtc.sent[i]);
            FUZZ_CHECK(f.has_value());
            if (std::holds_alternative<HelloFrame>(*f)) hello_sent_this_opening = true;
            if (const auto* c = std::get_if<ChatFrame>(&*f)) {
                FUZZ_CHECK(c->message.from != ids().b_id);
                // Our own live messages, or ones relayed on (hops > 0: an iwant answered).
                FUZZ_CHECK(c->relayed || c->hops > 0 || c->message.from == ids().a_id);
                check_signature(c->message);
            }
        }
    }

    void check_signature(const ChatMessage& m) {
        const auto key = peer_public_key(m.from);
        const auto sig = base64url_decode(m.sig);
        FUZZ_CHECK(key && sig);
        FUZZ_CHECK(verify_memo(*key, message_signing_payload(ids().room, m), *sig));
    }

    // A message with fields from the input, as check_chat_* leaves them (so the signature holds).
    ChatMessage compose(const std::string& from) {
        ChatMessage m;
        if (!seen_ids.empty() && in.ConsumeIntegralInRange(0, 3) == 0)
            m.id = seen_ids[in.ConsumeIntegralInRange<std::size_t>(0, seen_ids.size() - 1)];
        else
            m.id = make_id(in);
        m.from = from;
        Checked name = check_chat_name(in.ConsumeRandomLengthString(40));
        m.name = name.ok() ? name.value : "Bob";
        Checked text = check_chat_text(in.ConsumeRandomLengthString(200));
        m.text = text.ok() ? text.value : "hi";
        m.ts_ms = static_cast<std::int64_t>(in.ConsumeIntegralInRange<std::uint64_t>(0, max_json_integer));
        const std::uint64_t clock = engine->log().lamport();
        switch (in.ConsumeIntegralInRange(0, 3)) {
        case 0: m.lamport = 1 + in.ConsumeIntegralInRange<std::uint64_t>(0, 20); break;
        case 1: m.lamport = clock + in.ConsumeIntegralInRange<std::uint64_t>(0, 3); break;
        case 2:
            m.lamport = clock + max_lamport_jump - 2 + in.ConsumeIntegralInRange<std::uint64_t>(0, 4);
            break;
        default: m.lamport = in.ConsumeIntegralInRange<std::uint64_t>(1, max_json_integer); break;
        }
        if (m.lamport == 0 || m.lamport > max_json_integer) m.lamport = 1;
        seen_ids.push_back(m.id);
        return m;
    }

    const OpenSslCrypto& signer(int who) const {
        return who == 0 ? ids().b : who == 1 ? ids().c : ids().a;
    }
    const std::string& author(int who) const {
        return who == 0 ? ids().b_id : who == 1 ? ids().c_id : ids().a_id;
    }

    // One record: returns the frame to deliver (empty for non-frame records) and its kind.
    enum class Kind { none, raw, msg, sync, hello, other };

    std::string pick_id() {
        if (!seen_ids.empty() && in.ConsumeBool())
            return seen_ids[in.ConsumeIntegralInRange<std::size_t>(0, seen_ids.size() - 1)];
        if (!own_ids.empty() && in.ConsumeBool())
            return own_ids[in.ConsumeIntegralInRange<std::size_t>(0, own_ids.size() - 1)];
        return make_id(in);
    }

    void step() {
        const auto before_msgs = engine->messages();
        const RoomStats before_stats = engine->stats();
        const ProofState before_proof = proof();
        const std::size_t sent_before = rtc.sent.size();
        const std::uint64_t clock_before = engine->log().lamport();
        const bool was_awaiting = awaiting;
        Kind kind = Kind::none;
        std::string frame;

        msg_hops = 0;
        switch (in.ConsumeIntegralInRange(0, 13)) {
        case 0: // raw bytes
            frame = in.ConsumeRandomLengthString(600);
            kind = Kind::raw;
            break;
        case 1:
        case 2: { // valid msg or sync: msg by B (or C/A: forged unless relayed, hops > 0), sync by anyone
            const bool relayed = in.ConsumeBool();
            const int who = relayed ? in.ConsumeIntegralInRange(0, 2)
                                    : (in.ConsumeIntegralInRange(0, 7) == 0 ? in.ConsumeIntegralInRange(1, 2) : 0);
            const unsigned hops = relayed ? 0 : in.ConsumeIntegralInRange(0u, max_relay_hops - 1);
            ChatMessage m = compose(author(who));
            m.sig = base64url_encode(sign_memo(signer(who), message_signing_payload(ids().room, m)));
            frame = build_chat_frame(m, relayed, hops);
            kind = relayed ? Kind::sync : Kind::msg;
            msg_hops = hops;
            break;
        }
        case 3: { // signed, then altered, or signed over other bytes
            const bool relayed = in.ConsumeBool();
            const int who = relayed ? in.ConsumeIntegralInRange(0, 1) : 0;
            ChatMessage m = compose(author(who));
            std::string room = ids().room;
            const int how = in.ConsumeIntegralInRange(0, 9);
            if (how == 0) room = "other-room";
            ChatMessage signed_m = m;
            if (how == 1) signed_m.text += "!";
            m.sig = base64url_encode(
                sign_memo(how == 2 ? signer(1 - who) : signer(who), message_signing_payload(room, signed_m)));
            switch (how) {
            case 3: m.text = m.text == "x" ? "y" : "x"; break;
            case 4: m.lamport = m.lamport == 1 ? 2 : m.lamport - 1; break;
            case 5: m.ts_ms ^= 1; break;
            case 6: m.name = m.name == "Eve" ? "Bob" : "Eve"; break;
            case 7: m.id += "x"; if (m.id.size() > max_id_length) m.id = "forged"; break;
            case 8: m.from = author(1 - who); break;
            case 9: {
                std::string raw = *base64url_decode(m.sig);
                raw[in.ConsumeIntegralInRange<std::size_t>(0, 63)] ^=
                    static_cast<char>(1u << in.ConsumeIntegralInRange(0, 7));
                m.sig = base64url_encode(raw);
                break;
            }
            default: break;
            }
            frame = build_chat_frame(m, relayed);
            kind = relayed ? Kind::sync : Kind::msg;
            break;
        }
        case 4: { // hello
            std::vector<std::string> have(in.ConsumeIntegralInRange<std::size_t>(0, 6));
            for (auto& id : have) id = pick_id();
            frame = build_hello_frame(have);
            kind = Kind::hello;
            break;
        }
        case 5: { // ack
            std::vector<std::string> list(in.ConsumeIntegralInRange<std::size_t>(1, 4));
            for (auto& id : list) id = pick_id();
            frame = build_ack_frame(list);
            kind = Kind::other;
            break;
        }
        case 6: { // ping, or pong (possibly echoing A's last ping)
            std::uint64_t n = in.ConsumeIntegralInRange<std::uint64_t>(0, 5);
            if (in.ConsumeBool()) {
                for (auto it = rtc.sent.rbegin(); it != rtc.sent.rend(); ++it)
                    if (const auto f = parse_peer_frame(*it); f && std::holds_alternative<PingFrame>(*f)) {
                        n = std::get<PingFrame>(*f).n;
                        break;
                    }
                frame = build_pong_frame(n);
            } else {
                frame = build_ping_frame(n);
            }
            kind = Kind::other;
            break;
        }
        case 7: { // time and tick
            const double dt[] = {0.0, 100.0, 2100.0, 10001.0, 60000.0};
            now += dt[in.ConsumeIntegralInRange(0, 4)];
            wall += in.ConsumeIntegralInRange<std::int64_t>(-5000, 5000);
            engine->tick();
            break;
        }
        case 8: { // A sends
            const SendResult r = engine->send(in.ConsumeRandomLengthString(100));
            if (r.ok()) {
                own_ids.push_back(r.id);
                seen_ids.push_back(r.id);
            }
            break;
        }
        case 9: // channel closes; reopens (on a proven connection, no new proof needed)
            if (rtc.channel_open) {
                rtc.channel_open = false;
                engine->on_channel_closed(ids().b_id);
            } else {
                rtc.channel_open = true;
                hello_sent_this_opening = hello_answered_this_opening = false;
                engine->on_channel_open(ids().b_id);
            }
            break;
        case 10: { // B's page reloads: a fresh link, proven again or left unproven
            engine->on_peer_rejoined(ids().b_id, "Bob", in.ConsumeBool() ? "sessB2" : "sessB3");
            rtc.channel_open = false;
            hello_sent_this_opening = hello_answered_this_opening = false;
            FUZZ_CHECK(engine->peer(ids().b_id).has_value());
            if (in.ConsumeBool()) {
                prove();
            } else {
                rtc.channel_open = true;
                engine->on_channel_open(ids().b_id);
            }
            break;
        }
        case 11: // the stored history arrives (nothing stored)
            engine->restore_history(nullptr);
            awaiting = false;
            break;
        case 12: { // big-room frames: ihave / iwant / links / receipts / a signal routed from C
            std::vector<std::string> list(in.ConsumeIntegralInRange<std::size_t>(1, 4));
            for (auto& id : list) id = pick_id();
            switch (in.ConsumeIntegralInRange(0, 5)) {
            case 0: frame = build_ihave_frame(list); break;
            case 5: { // C's presence, signed by C (or by B: forged), at a time near A's clock
                PresenceFrame p{ids().c_id, "Cy", "sessC", wall + in.ConsumeIntegralInRange<std::int64_t>(-700000, 700000), {}};
                if (p.ts_ms < 0) p.ts_ms = 0;
                const bool forged = in.ConsumeIntegralInRange(0, 3) == 0;
                p.sig = sign_memo(forged ? ids().b : ids().c,
                                  presence_signing_payload(ids().room, p.peer, p.name, p.session, p.ts_ms));
                frame = build_presence_frame(p);
                break;
            }
            case 1: frame = build_iwant_frame(list); break;
            case 2:
                frame = build_links_frame({{ids().c_id, "Cy", "sessC"}, {ids().a_id, "Me", "sessA"}});
                break;
            case 3:
                frame = build_ack_frame(list, std::vector<std::uint32_t>(
                                                  list.size(), in.ConsumeIntegralInRange(1u, 5000u)));
                break;
            default: {
                nlohmann::json data{{"knock", 1}, {"name", "Cy"}, {"session", "sessC"},
                                    {"to_session", in.ConsumeBool() ? "sessA" : "sessX"}};
                frame = build_routed_signal_frame(ids().c_id, in.ConsumeBool() ? ids().a_id : ids().c_id, data);
                break;
            }
            }
            kind = Kind::other;
            break;
        }
        default: { // the raw bytes of a valid frame with a few bytes changed
            ChatMessage m = compose(ids().b_id);
            m.sig = base64url_encode(sign_memo(ids().b, message_signing_payload(ids().room, m)));
            frame = build_chat_frame(m, in.ConsumeBool());
            const int changes = in.ConsumeIntegralInRange(1, 3);
            for (int i = 0; i < changes && !frame.empty(); ++i)
                frame[in.ConsumeIntegralInRange<std::size_t>(0, frame.size() - 1)] =
                    static_cast<char>(in.ConsumeIntegral<std::uint8_t>());
            kind = Kind::raw;
            break;
        }
        }

        if (kind == Kind::raw) {
            // Classify what the engine will see, to apply the per-type rules below.
            if (const auto f = parse_peer_frame(frame)) {
                if (const auto* c = std::get_if<ChatFrame>(&*f)) {
                    kind = c->relayed ? Kind::sync : Kind::msg;
                    msg_hops = c->hops;
                }
                else if (std::holds_alternative<HelloFrame>(*f)) kind = Kind::hello;
                else kind = Kind::other;
            }
        }
        bool valid_hello = false;
        if (kind == Kind::hello) valid_hello = parse_peer_frame(frame).has_value();
        if (kind != Kind::none) {
            if (!rtc.channel_open && proof() != ProofState::failed) {
                // A message proves the channel open (the binding may report it late).
                rtc.channel_open = true;
                hello_sent_this_opening = hello_answered_this_opening = false;
            }
            engine->on_channel_message(ids().b_id, frame);
        }
        scan_sent(sent_before);
        check(before_msgs, before_stats, before_proof, clock_before, kind, sent_before,
              was_awaiting, valid_hello);
    }

    void check(const std::deque<ChatMessage>& before, const RoomStats& before_stats,
               ProofState before_proof, std::uint64_t clock_before, Kind kind,
               std::size_t sent_before, bool was_awaiting, bool valid_hello) {
        const RoomEngine& e = *engine;
        const auto& msgs = e.messages();
        // B's link, and at most one that C asked for through B.
        FUZZ_CHECK(e.link_count() <= 2);
        FUZZ_CHECK(msgs.size() <= capacity);
        FUZZ_CHECK(e.log().size() == msgs.size());
        for (int i = 0; i < stat_count; ++i)
            FUZZ_CHECK(stat_sum(e.stats(), i) >= stat_sum(last_stats, i));
        last_stats = e.stats();

        std::map<std::string, const ChatMessage*> old;
        for (const ChatMessage& m : before) old[m.id] = &m;
        std::vector<const ChatMessage*> added;
        for (std::size_t i = 0; i < msgs.size(); ++i) {
            const ChatMessage& m = msgs[i];
            if (i > 0) FUZZ_CHECK(chat_order_less(msgs[i - 1], m)); // sorted, ids unique
            FUZZ_CHECK(e.log().contains(m.id) && e.log().find(m.id) == &m);
            FUZZ_CHECK(m.lamport <= e.log().lamport());
            FUZZ_CHECK(is_valid_utf8(m.text) && !m.text.empty() && m.text.size() <= max_text_bytes);
            FUZZ_CHECK(is_valid_utf8(m.name) && display_name_problem(m.name) == NameProblem::none);
            FUZZ_CHECK(is_valid_id(m.id));
            const Delivery d = e.delivery(m);
            FUZZ_CHECK(d.acked <= d.of);
            if (m.from == ids().a_id) {
                // Own: only what send() made; acked only by B.
                FUZZ_CHECK(std::find(own_ids.begin(), own_ids.end(), m.id) != own_ids.end());
                for (const std::string& p : m.acked_by) FUZZ_CHECK(p == ids().b_id);
                if (!m.sig.empty()) check_signature(m);
            } else {
                FUZZ_CHECK(m.from == ids().b_id || m.from == ids().c_id);
                FUZZ_CHECK(m.acked_by.empty() && !m.sent);
                FUZZ_CHECK(d.state == DeliveryState::received);
                check_signature(m);
            }
            // First id wins: a stored message never changes.
            auto [it, fresh] = stored.emplace(m.id, fixed(m));
            if (!fresh) FUZZ_CHECK(it->second == fixed(m));
            if (!old.count(m.id)) added.push_back(&m);
        }
        // The own messages send() made this step are the only own additions.
        for (const ChatMessage* m : added) {
            if (m->from == ids().a_id) {
                FUZZ_CHECK(kind == Kind::none);
                continue;
            }
            FUZZ_CHECK(kind == Kind::msg || kind == Kind::sync || kind == Kind::raw);
            // Nothing is read before the proof.
            FUZZ_CHECK(before_proof == ProofState::ok);
            if (kind == Kind::msg && msg_hops == 0) FUZZ_CHECK(m->from == ids().b_id);
            if (kind == Kind::sync) FUZZ_CHECK(hello_sent_this_opening);
            FUZZ_CHECK(m->lamport <= clock_before + max_lamport_jump);
        }
        // Only what the log still holds is protected: an evicted id may come back (signed).
        for (auto it = stored.begin(); it != stored.end();)
            it = e.log().contains(it->first) ? std::next(it) : stored.erase(it);
        if (kind != Kind::none && before_proof != ProofState::ok) FUZZ_CHECK(added.empty());
        // A dropped frame changes nothing (a single frame on a proven link).
        if (kind != Kind::none && before_proof == ProofState::ok &&
            frame_drops(e.stats()) != frame_drops(before_stats)) {
            FUZZ_CHECK(added.empty());
            FUZZ_CHECK(msgs.size() == before.size());
            for (std::size_t i = 0; i < msgs.size(); ++i) {
                FUZZ_CHECK(msgs[i].id == before[i].id && msgs[i].acked_by == before[i].acked_by &&
                           msgs[i].sent == before[i].sent);
            }
            FUZZ_CHECK(proof() == ProofState::ok);
        }
        // One hello per channel opening is answered; later ones are dropped, unanswered.
        if (valid_hello && before_proof == ProofState::ok && !was_awaiting) {
            if (hello_answered_this_opening) {
                FUZZ_CHECK(rtc.sent.size() == sent_before);
                FUZZ_CHECK(e.stats().frames_dropped == before_stats.frames_dropped + 1);
            }
            hello_answered_this_opening = true;
        }
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    Harness h(in);
    int steps = 0;
    while (in.remaining_bytes() > 0 && steps++ < 64) h.step();
    return 0;
}
