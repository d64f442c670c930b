// fake_rtc.hpp: an in-memory WebRTC world for native tests of the room engine: simulated peers,
// their RTCPeerConnections, data channels and a signaling server relay, all in one process.
// Needs: core/room_engine.hpp (the engine under test), core/rtc_transport.hpp (the interface
// faked here). Header-only because the unit test glob compiles *_test.cpp files only.
//  [X] asynchronous everything: every completion and event is a task in a FIFO "lane" (one per
//      connection's operations chain, one per connection's event queue, one per signaling
//      socket); a seeded scheduler picks the next lane at random, so each seed is a different
//      but reproducible interleaving
//  [X] RTCPeerConnection signaling state machine: stable / have-local-offer / have-remote-offer,
//      implicit setLocalDescription (offer or answer), setRemoteDescription(offer) in
//      have-local-offer performs the implicit rollback, setRemoteDescription(answer) outside
//      have-local-offer fails like in browsers
//  [X] negotiationneeded per the spec's flag rules: fires when the data channel is created or
//      after restartIce, only while stable with an empty operations chain, again on reaching
//      stable while still needed
//  [X] ICE: every new set of credentials (ufrag) gathers two host candidates after
//      setLocalDescription; addIceCandidate fails without a remote description or with a ufrag
//      the remote description does not carry; an offer's credentials vanish on rollback
//  [X] a connection (and its negotiated channel) opens once both sides completed offer/answer with
//      each other's current instance and each side added a candidate of the other's credentials
//  [X] data channel delivery in order, close events on the remote side, ICE failure and restart;
//      a connection whose descriptions do not match the other side's (stale signals) goes
//      "failed" after ice_timeout_ms of simulated time, as browsers do
//  [X] signaling server: join / peer-joined / peer-rejoined / peer-left / signal relay, a fresh
//      session name per join; `data` crosses as JSON text like on the real wire; can be stopped
//  [X] DTLS fingerprints: one certificate per connection; a test can make a connection see
//      another certificate than its partner's (a relay in the middle)
//  [X] crypto: each tab has a real OpenSSL identity (its peer id is its public key, from its
//      label), with completions on its own scheduler lane like Web Crypto's promises
//  [X] contract checks: calls for unknown connections, double creation, ... become `violations`
#pragma once

#include "core/room_engine.hpp"
#include "core/trust.hpp"
#include "openssl_crypto.hpp"
#include "split_mix.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace peddlenet::fake {

using nlohmann::json;

// Deterministic 32-bit random source for engines (SplitMix64 by Sebastiano Vigna).
struct SplitMix {
    std::uint64_t state;
    std::uint32_t operator()() { return static_cast<std::uint32_t>(testing::split_mix_next(state) >> 32); }
};

// Runs tasks from FIFO lanes, choosing the lane at random (seeded).
class Scheduler {
public:
    explicit Scheduler(std::uint64_t seed) : rng_(seed) {}

    void post(const std::string& lane, std::function<void()> task) {
        lanes_[lane].push_back(std::move(task));
    }
    std::size_t lane_size(const std::string& lane) const {
        const auto it = lanes_.find(lane);
        return it == lanes_.end() ? 0 : it->second.size();
    }
    bool idle() const { return lanes_.empty(); }

    // A task that becomes runnable at simulated time `due`, unless `live` says it no longer
    // matters by then (a cancelled timer does not move the clock).
    struct Timer {
        std::string lane;
        std::function<bool()> live;
        std::function<void()> task;
    };
    void post_at(double due, Timer timer) { timers_.emplace(due, std::move(timer)); }
    // Releases the earliest live timer into its lane; returns its due time, or nullopt.
    std::optional<double> release_next_timer() {
        while (!timers_.empty()) {
            auto it = timers_.begin();
            const double due = it->first;
            Timer timer = std::move(it->second);
            timers_.erase(it);
            if (!timer.live()) continue;
            post(timer.lane, std::move(timer.task));
            return due;
        }
        return std::nullopt;
    }
    // Runs one task; false when there is none.
    bool step() {
        if (lanes_.empty()) return false;
        auto it = lanes_.begin();
        std::advance(it, static_cast<long>(rng_() % lanes_.size()));
        std::function<void()> task = std::move(it->second.front());
        it->second.pop_front();
        if (it->second.empty()) lanes_.erase(it);
        task();
        return true;
    }

private:
    std::map<std::string, std::deque<std::function<void()>>> lanes_;
    std::multimap<double, Timer> timers_;
    std::mt19937_64 rng_;
};

class World;
class FakeRtc;

// One simulated RTCPeerConnection (owner's connection to `remote`) and its data channel.
struct FakePc {
    struct Desc {
        SdpType type;
        std::uint64_t inst;  // the connection that created it
        std::string ufrag;   // its ICE credentials
    };

    std::uint64_t inst = 0;
    std::string owner, remote;
    FakeRtc* rtc = nullptr;
    bool closed = false;
    SignalingState state = SignalingState::stable;
    std::optional<Desc> local, remote_desc;                 // pending or current
    std::optional<Desc> current_local, current_remote;      // last stable pair
    std::string ufrag;                                      // current local credentials
    bool opens_channel = false;                             // created the channel: offers first
    bool restart_pending = false;
    bool negotiation_flag = false;
    bool update_on_empty_chain = false;
    std::set<std::string> remote_candidate_ufrags;          // credentials of added candidates
    std::string failed_ufrag;                               // ICE failed on these credentials
    std::string checking;                                   // the pair an ICE timer watches
    bool connected = false;
    bool channel_open = false;
    std::vector<std::string> outbox;                        // sent while ICE is down
    PeerConnectionState conn_state = PeerConnectionState::new_;

    std::string ops_lane() const { return "ops#" + std::to_string(inst); }
    std::string events_lane() const { return "ev#" + std::to_string(inst); }
};

inline std::string encode_sdp(const FakePc::Desc& d) {
    return "v=0\r\no=- " + std::to_string(d.inst) + " 2 IN IP4 127.0.0.1\r\ns=-\r\na=ice-ufrag:" +
           d.ufrag + "\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
}

// Reads back what encode_sdp wrote; nullopt for anything else (hostile SDP in tests).
inline std::optional<FakePc::Desc> decode_sdp(const SessionDescription& d) {
    const std::string& s = d.sdp;
    const auto o = s.find("o=- ");
    const auto u = s.find("a=ice-ufrag:");
    if (o == std::string::npos || u == std::string::npos) return std::nullopt;
    const auto o_end = s.find(' ', o + 4);
    const auto u_end = s.find("\r\n", u);
    if (o_end == std::string::npos || u_end == std::string::npos || o_end == o + 4 ||
        o_end - o > 20)
        return std::nullopt;
    std::uint64_t inst = 0;
    for (std::size_t i = o + 4; i < o_end; ++i) {
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
        inst = inst * 10 + static_cast<std::uint64_t>(s[i] - '0');
    }
    return FakePc::Desc{d.type, inst, s.substr(u + 12, u_end - u - 12)};
}

// The shared simulation: scheduler, clock, connection registry, contract violations.
class World {
public:
    explicit World(std::uint64_t seed) : scheduler(seed) {}

    Scheduler scheduler;
    double now_ms = 0.0;
    // Simulated time per scheduler step, so round trips take measurable time.
    double step_ms = 0.05;
    // Connectivity checks give up this long after both descriptions are in place without a
    // working pair (browsers take 5-30 s): the connection goes "failed".
    double ice_timeout_ms = 5000.0;
    std::vector<std::string> violations;
    std::uint64_t next_inst = 1;
    std::uint64_t next_ufrag = 1;
    // Current connection per (owner, remote).
    std::map<std::pair<std::string, std::string>, std::shared_ptr<FakePc>> pcs;
    std::size_t candidates_added = 0;
    std::size_t rollbacks = 0;
    // Test hook: what a connection's getStats reports as the remote certificate's fingerprint,
    // given the honest one (a relay in the middle shows its own certificate instead).
    std::function<std::string(const FakePc& pc, const std::string& honest)> remote_fingerprint;
    // Test hook: true drops a data channel message that `from` sends (an old app that never
    // sends some frame, say).
    std::function<bool(const FakePc& from, const std::string& text)> drop_frame;
    // The certificate fingerprint of connection `inst`, in the browser's spelling.
    static std::string fingerprint(std::uint64_t inst) {
        static const char* hex = "0123456789ABCDEF";
        std::string raw = testing::hmac("fake dtls certificate", std::to_string(inst));
        std::string out;
        for (unsigned char c : raw) {
            if (!out.empty()) out += ':';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
        return out;
    }
    // Debugging aid: when set, every operation and relayed signal is appended here.
    std::vector<std::string>* trace = nullptr;
    void note(const std::string& line) {
        if (trace) trace->push_back(line);
    }

    std::shared_ptr<FakePc> current(const std::string& owner, const std::string& remote) const {
        const auto it = pcs.find({owner, remote});
        return it == pcs.end() ? nullptr : it->second;
    }

    // Runs until nothing is left (or max_steps, a livelock guard); returns the steps taken.
    // When nothing else is left to run, the clock jumps to the next live timer (ICE timeouts).
    std::size_t run(std::size_t max_steps = 2'000'000) {
        std::size_t n = 0;
        while (n < max_steps) {
            if (!scheduler.step()) {
                const std::optional<double> due = scheduler.release_next_timer();
                if (!due) break;
                now_ms = std::max(now_ms, *due);
                continue;
            }
            ++n;
            now_ms += step_ms;
        }
        if (n == max_steps) violations.push_back("scheduler did not settle");
        return n;
    }

    std::string new_ufrag() { return "uf" + std::to_string(next_ufrag++); }

    void check_connectivity(const std::shared_ptr<FakePc>& pc);
    void break_ice(const std::string& a, const std::string& b);
};

// The RtcTransport of one simulated browser tab.
class FakeRtc : public RtcTransport {
public:
    FakeRtc(World& world, std::string owner) : world_(world), owner_(std::move(owner)) {}
    ~FakeRtc() override {
        for (auto& entry : world_.pcs)
            if (entry.second->rtc == this) entry.second->rtc = nullptr;
    }

    RtcEvents* engine = nullptr;
    std::size_t created = 0, closed = 0;

    void create_connection(const std::string& peer, bool opens_channel) override {
        if (world_.current(owner_, peer)) violation("create_connection twice for " + peer);
        auto pc = std::make_shared<FakePc>();
        pc->inst = world_.next_inst++;
        pc->owner = owner_;
        pc->remote = peer;
        pc->rtc = this;
        pc->opens_channel = opens_channel;
        world_.pcs[{owner_, peer}] = pc;
        ++created;
        update_negotiation_needed(pc); // createDataChannel
    }

    void close_connection(const std::string& peer) override {
        auto pc = world_.current(owner_, peer);
        if (!pc) return violation("close_connection without connection to " + peer);
        world_.pcs.erase({owner_, peer});
        ++closed;
        pc->closed = true;
        pc->state = SignalingState::closed;
        auto partner = world_.current(peer, owner_);
        if (partner && partner->channel_open && partner->current_remote &&
            partner->current_remote->inst == pc->inst) {
            partner->connected = false;
            event(partner, [](FakePc& p) {
                p.channel_open = false;
                p.rtc->engine->on_channel_closed(p.remote);
                p.conn_state = PeerConnectionState::disconnected;
                p.rtc->engine->on_connection_state(p.remote, p.conn_state);
            });
        }
    }

    void set_local_description(const std::string& peer) override {
        op(peer, "setLocalDescription", [this](const std::shared_ptr<FakePc>& pc) {
            bool gather = false;
            if (pc->state == SignalingState::stable || pc->state == SignalingState::have_local_offer) {
                if (pc->ufrag.empty() || pc->restart_pending) {
                    pc->ufrag = world_.new_ufrag();
                    pc->restart_pending = false;
                    gather = true;
                }
                pc->local = FakePc::Desc{SdpType::offer, pc->inst, pc->ufrag};
                pc->state = SignalingState::have_local_offer;
            } else if (pc->state == SignalingState::have_remote_offer) {
                // Answerers take new credentials when the offer restarts ICE (or on first use).
                const bool remote_restart = pc->current_remote &&
                                            pc->current_remote->ufrag != pc->remote_desc->ufrag;
                if (pc->ufrag.empty() || remote_restart || pc->restart_pending) {
                    pc->ufrag = world_.new_ufrag();
                    pc->restart_pending = false;
                    gather = true;
                }
                pc->local = FakePc::Desc{SdpType::answer, pc->inst, pc->ufrag};
                commit_stable(pc);
            } else {
                return fail(pc, RtcOperation::set_local_description, "InvalidStateError");
            }
            const SessionDescription d{pc->local->type, encode_sdp(*pc->local)};
            world_.note(pc->owner + "#" + std::to_string(pc->inst) + " SLD " +
                        std::string(to_string(d.type)) + " " + pc->ufrag + " -> " +
                        std::string(to_string(pc->state)));
            pc->rtc->engine->on_local_description(pc->remote, d);
            if (gather) {
                for (int i = 0; i < 2; ++i) {
                    const json c{{"candidate", "candidate:" + std::to_string(i) +
                                                   " 1 udp 2122260223 127.0.0.1 " +
                                                   std::to_string(50000 + pc->inst * 2 + i) +
                                                   " typ host"},
                                 {"sdpMid", "0"},
                                 {"sdpMLineIndex", 0},
                                 {"usernameFragment", pc->ufrag}};
                    event(pc, [c](FakePc& p) { p.rtc->engine->on_ice_candidate(p.remote, c); });
                }
            }
        });
    }

    void set_remote_description(const std::string& peer, const SessionDescription& d) override {
        op(peer, "setRemoteDescription", [this, d](const std::shared_ptr<FakePc>& pc) {
            const auto desc = decode_sdp(d);
            if (!desc) return fail(pc, RtcOperation::set_remote_description, "bad SDP");
            world_.note(pc->owner + "#" + std::to_string(pc->inst) + " SRD " +
                        std::string(to_string(d.type)) + " " + std::to_string(desc->inst) + "/" +
                        desc->ufrag + " in " + std::string(to_string(pc->state)));
            if (d.type == SdpType::offer) {
                if (pc->state == SignalingState::have_local_offer) {
                    // Implicit rollback: the offer and credentials it introduced are gone.
                    ++world_.rollbacks;
                    const bool offer_took_new_ufrag =
                        !pc->current_local || pc->current_local->ufrag != pc->ufrag;
                    if (offer_took_new_ufrag) {
                        if (pc->current_local) pc->restart_pending = true;
                        pc->ufrag = pc->current_local ? pc->current_local->ufrag : "";
                    }
                    pc->local = pc->current_local;
                    pc->state = SignalingState::stable;
                }
                if (pc->state != SignalingState::stable &&
                    pc->state != SignalingState::have_remote_offer)
                    return fail(pc, RtcOperation::set_remote_description, "InvalidStateError");
                pc->remote_desc = desc;
                pc->state = SignalingState::have_remote_offer;
            } else {
                if (pc->state != SignalingState::have_local_offer)
                    return fail(pc, RtcOperation::set_remote_description,
                                "InvalidStateError: Called in wrong state: " +
                                    std::string(to_string(pc->state)));
                pc->remote_desc = desc;
                commit_stable(pc);
            }
            pc->rtc->engine->on_remote_description_set(pc->remote);
        });
    }

    void add_ice_candidate(const std::string& peer, const json& candidate) override {
        op(peer, "addIceCandidate", [this, candidate](const std::shared_ptr<FakePc>& pc) {
            if (!pc->remote_desc)
                return fail(pc, RtcOperation::add_ice_candidate,
                            "InvalidStateError: The remote description was null");
            const json& ufrag = candidate["usernameFragment"];
            if (!ufrag.is_string() || ufrag.get<std::string>() != pc->remote_desc->ufrag)
                return fail(pc, RtcOperation::add_ice_candidate, "OperationError: Unknown ufrag");
            pc->remote_candidate_ufrags.insert(ufrag.get<std::string>());
            ++world_.candidates_added;
        });
    }

    void restart_ice(const std::string& peer) override {
        auto pc = world_.current(owner_, peer);
        if (!pc) return violation("restart_ice without connection to " + peer);
        pc->restart_pending = true;
        update_negotiation_needed(pc);
    }

    bool send(const std::string& peer, std::string_view text) override {
        auto pc = world_.current(owner_, peer);
        if (!pc) {
            violation("send without connection to " + peer);
            return false;
        }
        if (!pc->channel_open) return false;
        ++sent;
        if (!pc->connected) {
            pc->outbox.emplace_back(text); // SCTP retransmits once ICE is back
            return true;
        }
        deliver(*pc, std::string(text));
        return true;
    }

    void get_fingerprints(const std::string& peer) override {
        auto pc = world_.current(owner_, peer);
        if (!pc) return violation("get_fingerprints without connection to " + peer);
        World* world = &world_;
        event(pc, [world](FakePc& p) {
            std::string remote;
            if (p.current_remote) remote = World::fingerprint(p.current_remote->inst);
            if (world->remote_fingerprint) remote = world->remote_fingerprint(p, remote);
            p.rtc->engine->on_fingerprints(p.remote, World::fingerprint(p.inst), remote);
        });
    }

    SignalingState signaling_state(const std::string& peer) const override {
        auto pc = world_.current(owner_, peer);
        return pc ? pc->state : SignalingState::stable;
    }

    // Test hook: makes the peer's side of the channel deliver `text` to us, as if sent by it.
    void inject(const std::string& peer, const std::string& text) {
        auto pc = world_.current(owner_, peer);
        if (pc && engine) engine->on_channel_message(peer, text);
    }

    std::size_t sent = 0;

    void deliver(const FakePc& from, std::string text) {
        if (world_.drop_frame && world_.drop_frame(from, text)) return;
        auto partner = world_.current(from.remote, from.owner);
        if (!partner) return;
        const std::uint64_t from_inst = from.inst;
        event(partner, [from_inst, text = std::move(text)](FakePc& p) {
            if (!p.channel_open || !p.current_remote || p.current_remote->inst != from_inst) return;
            p.rtc->engine->on_channel_message(p.remote, text);
        });
    }

    // Runs `fn` later on the connection's event queue, unless it was closed by then.
    void event(const std::shared_ptr<FakePc>& pc, std::function<void(FakePc&)> fn) {
        std::weak_ptr<FakePc> weak = pc;
        world_.scheduler.post(pc->events_lane(), [weak, fn = std::move(fn)] {
            auto p = weak.lock();
            if (p && !p->closed && p->rtc && p->rtc->engine) fn(*p);
        });
    }

    void update_negotiation_needed(const std::shared_ptr<FakePc>& pc) {
        if (pc->closed) return;
        if (world_.scheduler.lane_size(pc->ops_lane()) != 0) {
            pc->update_on_empty_chain = true;
            return;
        }
        if (pc->state != SignalingState::stable) return;
        // Without a channel of its own a connection has nothing to negotiate until it answers.
        const bool needed = (pc->opens_channel && !pc->current_local) || pc->restart_pending;
        if (!needed) {
            pc->negotiation_flag = false;
            return;
        }
        if (pc->negotiation_flag) return;
        pc->negotiation_flag = true;
        event(pc, [](FakePc& p) {
            if (!p.negotiation_flag || p.state != SignalingState::stable) return;
            p.rtc->engine->on_negotiation_needed(p.remote);
        });
    }

private:
    void violation(std::string what) { world_.violations.push_back(owner_ + ": " + what); }

    // Queues an operation on the connection's operations chain.
    void op(const std::string& peer, const char* name,
            std::function<void(const std::shared_ptr<FakePc>&)> body) {
        auto pc = world_.current(owner_, peer);
        if (!pc) return violation(std::string(name) + " without connection to " + peer);
        std::weak_ptr<FakePc> weak = pc;
        world_.scheduler.post(pc->ops_lane(), [this, weak, body = std::move(body)] {
            auto p = weak.lock();
            if (!p || p->closed || !p->rtc || !p->rtc->engine) return;
            body(p);
            if (p->closed) return;
            world_.check_connectivity(p);
            if (p->update_on_empty_chain && world_.scheduler.lane_size(p->ops_lane()) == 0) {
                p->update_on_empty_chain = false;
                update_negotiation_needed(p);
            }
        });
    }

    void fail(const std::shared_ptr<FakePc>& pc, RtcOperation op, const std::string& message) {
        world_.note(pc->owner + "#" + std::to_string(pc->inst) + " FAIL " +
                    std::string(to_string(op)) + " " + message);
        pc->rtc->engine->on_rtc_error(pc->remote, op, message);
    }

    void commit_stable(const std::shared_ptr<FakePc>& pc) {
        pc->state = SignalingState::stable;
        pc->current_local = pc->local;
        pc->current_remote = pc->remote_desc;
        pc->negotiation_flag = false;
        update_negotiation_needed(pc);
    }

    World& world_;
    std::string owner_;
};

inline void World::check_connectivity(const std::shared_ptr<FakePc>& pc) {
    if (pc->connected || pc->closed) return;
    // Both descriptions in place: ICE checks run, and fail unless a pair works in time.
    if (pc->state == SignalingState::stable && pc->current_local && pc->current_remote &&
        pc->ufrag != pc->failed_ufrag) {
        const std::string pair = pc->ufrag + "/" + pc->current_remote->ufrag;
        if (pc->checking != pair) {
            pc->checking = pair;
            std::weak_ptr<FakePc> weak = pc;
            const auto pending = [weak, pair] {
                auto p = weak.lock();
                return p && !p->closed && !p->connected && p->checking == pair;
            };
            scheduler.post_at(now_ms + ice_timeout_ms,
                              {pc->events_lane(), pending, [weak, pending] {
                                   auto p = weak.lock();
                                   if (!pending() || !p->rtc || !p->rtc->engine) return;
                                   p->failed_ufrag = p->ufrag;
                                   p->conn_state = PeerConnectionState::failed;
                                   p->rtc->engine->on_connection_state(p->remote, p->conn_state);
                               }});
        }
    }
    auto partner = current(pc->remote, pc->owner);
    if (!partner || !pc->rtc || !partner->rtc) return;
    const auto ready = [](const FakePc& a, const FakePc& b) {
        return a.state == SignalingState::stable && a.current_remote && a.current_local &&
               a.current_remote->inst == b.inst && a.current_remote->ufrag == b.ufrag &&
               a.remote_candidate_ufrags.count(b.ufrag) && a.ufrag != a.failed_ufrag;
    };
    if (!ready(*pc, *partner) || !ready(*partner, *pc)) return;
    for (const auto& p : {pc, partner}) {
        p->connected = true;
        p->checking.clear();
        p->rtc->event(p, [](FakePc& q) {
            q.conn_state = PeerConnectionState::connected;
            q.rtc->engine->on_connection_state(q.remote, q.conn_state);
            if (!q.channel_open) {
                q.channel_open = true;
                q.rtc->engine->on_channel_open(q.remote);
            }
        });
    }
    for (const auto& p : {pc, partner}) {
        for (std::string& text : p->outbox) p->rtc->deliver(*p, std::move(text));
        p->outbox.clear();
    }
}

inline void World::break_ice(const std::string& a, const std::string& b) {
    for (const auto& p : {current(a, b), current(b, a)}) {
        if (!p) continue;
        p->connected = false;
        p->failed_ufrag = p->ufrag;
        p->checking.clear();
        p->rtc->event(p, [](FakePc& q) {
            q.conn_state = PeerConnectionState::failed;
            q.rtc->engine->on_connection_state(q.remote, q.conn_state);
        });
    }
}

class SimPeer;

// The signaling server: rooms of clients, the v1 events, and the signal relay. `data` is
// serialized and parsed again, as it crosses the wire as text.
class FakeServer {
public:
    explicit FakeServer(World& world) : world_(world) {}

    bool up = true;
    // Test knob: candidate signals travel apart from descriptions (their own FIFO per receiver),
    // so they can overtake the description they belong to, though never the membership event
    // that introduced the sender. The real server keeps order; this exercises the engine's
    // buffering of early candidates.
    bool candidates_overtake = false;

    void join(SimPeer& client, const std::string& room);
    // Explicit leave (or socket closed and the grace period over): peer-left to the others.
    void leave(SimPeer& client);
    // The socket drops with no news for the others (within the grace period).
    void drop_socket(SimPeer& client);
    void relay(SimPeer& from, const std::string& to, const json& data);
    // The server process restarts: every room is forgotten.
    void restart() {
        rooms_.clear();
        up = true;
    }
    std::size_t members(const std::string& room) const {
        const auto it = rooms_.find(room);
        return it == rooms_.end() ? 0 : it->second.size();
    }
    std::size_t relayed = 0;
    std::map<std::pair<std::string, std::string>, json> last_signal; // by (from, to)

private:
    struct Member {
        SimPeer* client;
        std::string name;
        std::string session;
    };
    void post(SimPeer* client, std::function<void(RoomEngine&)> fn, const char* lane = "sig#");

    World& world_;
    std::map<std::string, std::map<std::string, Member>> rooms_;
    std::uint64_t next_session_ = 0;
};

// An open room's keys, computed at once (tests want them before the world runs).
inline RoomKeys open_room_keys(const std::string& name) {
    testing::OpenSslCrypto crypto;
    std::optional<RoomKeys> keys;
    derive_open_room(crypto, name, [&](std::optional<RoomKeys> k) { keys = std::move(k); });
    return *keys;
}
inline RoomKeys private_room_keys(const std::string& key) {
    testing::OpenSslCrypto crypto;
    std::optional<RoomKeys> keys;
    derive_private_room(crypto, key, [&](std::optional<RoomKeys> k) { keys = std::move(k); });
    return *keys;
}

// One simulated browser tab running the app's engine.
class SimPeer {
public:
    // `label` names the identity: the same label is the same device key (a reloaded tab).
    SimPeer(World& world, FakeServer& server, const std::string& label, std::string display_name,
            std::uint64_t seed, RoomParams params = {})
        : world(world), server(server), crypto(label), id(crypto.peer_id()), serial(next_serial()),
          rtc(world, id), random{seed},
          engine(rtc, crypto, callbacks(), clock(), [this] { return random(); }, id, display_name,
                 params) {
        rtc.engine = &engine;
        alive().insert(serial);
        const std::uint64_t me = serial;
        crypto.set_defer([this, me](std::function<void()> task) {
            this->world.scheduler.post("crypto#" + std::to_string(me), [me, task = std::move(task)] {
                if (alive().count(me)) task();
            });
        });
    }
    // A closed tab: its connections close (the engine's destructor), its socket drops.
    ~SimPeer() {
        alive().erase(serial);
        server.drop_socket(*this);
    }
    SimPeer(const SimPeer&) = delete;
    SimPeer& operator=(const SimPeer&) = delete;

    World& world;
    FakeServer& server;
    testing::OpenSslCrypto crypto;
    std::string id;
    std::uint64_t serial;
    FakeRtc rtc;
    SplitMix random;
    std::vector<std::string> errors;
    std::size_t history_changes = 0;
    std::map<std::string, std::size_t> arrivals; // message id -> times the engine stored it
    std::map<std::string, unsigned> hops;        // message id -> links it crossed to reach us
    RoomEngine engine;

    // Joins the open room `room` (id = name).
    void join(const std::string& room) { join(open_room_keys(room)); }
    void join(const RoomKeys& keys) {
        engine.enter_room(keys);
        server.join(*this, keys.id);
    }
    void leave() {
        server.leave(*this);
        engine.leave_room();
    }
    SendResult say(const std::string& text) { return engine.send(text); }
    std::vector<std::string> texts() const {
        std::vector<std::string> out;
        for (const ChatMessage& m : engine.messages()) out.push_back(m.text);
        return out;
    }
    std::vector<std::string> ids() const {
        std::vector<std::string> out;
        for (const ChatMessage& m : engine.messages()) out.push_back(m.id);
        return out;
    }
    std::size_t open_links() const {
        std::size_t n = 0;
        for (const LinkInfo& l : engine.peers()) n += l.state == LinkState::open;
        return n;
    }

    static std::set<std::uint64_t>& alive() {
        static std::set<std::uint64_t> set;
        return set;
    }

private:
    static std::uint64_t next_serial() {
        static std::uint64_t n = 0;
        return ++n;
    }
    RoomCallbacks callbacks() {
        RoomCallbacks c;
        c.send_signal = [this](const std::string& to, const json& data) {
            server.relay(*this, to, data);
        };
        c.history_changed = [this] { ++history_changes; };
        c.message_arrived = [this](const ChatMessage& m, unsigned h) {
            ++arrivals[m.id];
            hops[m.id] = h;
        };
        c.error = [this](const std::string& peer, const std::string& what) {
            errors.push_back(peer + ": " + what);
        };
        return c;
    }
    RoomClock clock() {
        return RoomClock{[this] { return this->world.now_ms; },
                         [this] { return std::int64_t{1'700'000'000'000} +
                                         static_cast<std::int64_t>(this->world.now_ms); }};
    }
};

inline void FakeServer::post(SimPeer* client, std::function<void(RoomEngine&)> fn,
                             const char* lane) {
    const std::uint64_t serial = client->serial;
    world_.scheduler.post(lane + std::to_string(serial), [client, serial, fn = std::move(fn)] {
        if (SimPeer::alive().count(serial)) fn(client->engine);
    });
}

inline void FakeServer::join(SimPeer& client, const std::string& room) {
    if (!up) return;
    auto& members = rooms_[room];
    std::vector<RoomMember> others;
    for (const auto& [peer, m] : members)
        if (peer != client.id) others.push_back({peer, m.name, m.session});
    const bool rejoin = members.count(client.id) != 0;
    const std::string name = client.engine.name();
    const std::string session = "s" + std::to_string(++next_session_);
    members[client.id] = Member{&client, name, session};
    const std::string id = client.id;
    for (const auto& [peer, m] : members) {
        if (peer == id || !m.client) continue;
        post(m.client, [id, name, rejoin, session](RoomEngine& e) {
            if (rejoin) e.on_peer_rejoined(id, name, session);
            else e.on_peer_joined(id, name, session);
        });
    }
    post(&client, [room, id, session, others](RoomEngine& e) {
        e.on_joined(room, id, session, others);
    });
}

inline void FakeServer::leave(SimPeer& client) {
    for (auto& [room, members] : rooms_) {
        const auto it = members.find(client.id);
        if (it == members.end() || it->second.client != &client) continue;
        members.erase(it);
        const std::string id = client.id;
        for (const auto& [peer, m] : members)
            if (m.client) post(m.client, [id](RoomEngine& e) { e.on_peer_left(id); });
    }
}

inline void FakeServer::drop_socket(SimPeer& client) {
    for (auto& [room, members] : rooms_) {
        const auto it = members.find(client.id);
        if (it != members.end() && it->second.client == &client) it->second.client = nullptr;
    }
}

inline void FakeServer::relay(SimPeer& from, const std::string& to, const json& data) {
    if (!up) return;
    for (const auto& [room, members] : rooms_) {
        const auto sender = members.find(from.id);
        const auto target = members.find(to);
        if (sender == members.end() || sender->second.client != &from || target == members.end() ||
            !target->second.client)
            continue;
        ++relayed;
        last_signal[{from.id, to}] = data;
        const std::string text = data.dump();
        world_.note("signal " + from.id + " -> " + to + " " + text.substr(0, 60));
        const std::string id = from.id;
        post(target->second.client,
             [id, text](RoomEngine& e) { e.on_signal(id, json::parse(text)); },
             candidates_overtake && data.contains("candidate") &&
                     target->second.client->engine.peer(id).has_value()
                 ? "cand#"
                 : "sig#");
    }
}

} // namespace peddlenet::fake
