// fake_rtc.hpp: an in-memory WebRTC world for native tests of the room engine: simulated peers,
// their RTCPeerConnections, data channels and a signaling server, all in one process.
// Needs: core/room_engine.hpp (the engine under test), core/rtc_transport.hpp (the interface
// faked here), server/rooms.hpp (the server's real room model), core/signaling_protocol.hpp (the
// app's parser of server frames), rooms_support.hpp. Header-only because the unit test glob
// compiles *_test.cpp files only.
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
//  [X] signaling server: the real room model (joins, rejoins, leave, signal relay, a session per
//      join, peer-left only after the grace period of a closed socket, on simulated time); its
//      frames cross as the server's JSON text, read by the app's parser; can be stopped and
//      restarted
//  [X] DTLS fingerprints: one certificate per connection; a test can make a connection see
//      another certificate than its partner's (a relay in the middle)
//  [X] crypto: each tab has a real OpenSSL identity (its peer id is its public key, from its
//      label), with completions on its own scheduler lane like Web Crypto's promises
//  [X] contract checks: calls for unknown connections, double creation, ... become `violations`
#pragma once

#include "core/room_engine.hpp"
#include "core/signaling_protocol.hpp"
#include "core/trust.hpp"
#include "openssl_crypto.hpp"
#include "rooms_support.hpp"
#include "server/rooms.hpp"
#include "split_mix.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
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
#include <variant>
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
    std::vector<std::pair<std::string, bool>> outbox;       // sent while ICE is down (bytes, binary)
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
    // The network between a and b drops every packet (both data and ICE checks) until unblock:
    // their connections go "disconnected" at once and "failed" after ice_timeout_ms, no
    // connection between them opens, and messages wait in the outbox as SCTP would hold them.
    void block(const std::string& a, const std::string& b);
    // Packets flow again: a connection that has not failed reconnects by itself (browsers keep
    // checking its pair); a failed one needs new credentials (an ICE restart) first.
    void unblock(const std::string& a, const std::string& b);
    bool blocked(const std::string& a, const std::string& b) const {
        return blocked_.count({std::min(a, b), std::max(a, b)}) != 0;
    }
    // Only the data channel between a and b closes (as when one side closes it, or SCTP gives
    // up); both connections stay up.
    void close_channel(const std::string& a, const std::string& b);

private:
    std::set<std::pair<std::string, std::string>> blocked_;
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

    bool send(const std::string& peer, std::string_view text) override { return send_message(peer, text, false); }
    bool send_binary(const std::string& peer, std::string_view bytes) override { return send_message(peer, bytes, true); }

    // Delivery is a scheduled event, so nothing ever waits in a send buffer here.
    std::size_t buffered_amount(const std::string&) const override { return 0; }

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

    void deliver(const FakePc& from, std::string text, bool binary = false) {
        if (world_.drop_frame && world_.drop_frame(from, text)) return;
        auto partner = world_.current(from.remote, from.owner);
        if (!partner) return;
        const std::uint64_t from_inst = from.inst;
        event(partner, [from_inst, binary, text = std::move(text)](FakePc& p) {
            if (!p.channel_open || !p.current_remote || p.current_remote->inst != from_inst) return;
            if (binary) p.rtc->engine->on_channel_binary(p.remote, text);
            else p.rtc->engine->on_channel_message(p.remote, text);
        });
    }

    // One data channel message, text or binary, in order with the others.
    bool send_message(const std::string& peer, std::string_view bytes, bool binary) {
        auto pc = world_.current(owner_, peer);
        if (!pc) {
            violation(std::string(binary ? "send_binary" : "send") + " without connection to " + peer);
            return false;
        }
        if (!pc->channel_open) return false;
        ++sent;
        if (!pc->connected) {
            pc->outbox.emplace_back(bytes, binary); // SCTP retransmits once ICE is back
            return true;
        }
        deliver(*pc, std::string(bytes), binary);
        return true;
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
    if (!partner || !pc->rtc || !partner->rtc || blocked(pc->owner, pc->remote)) return;
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
        for (auto& [bytes, binary] : p->outbox) p->rtc->deliver(*p, std::move(bytes), binary);
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

inline void World::block(const std::string& a, const std::string& b) {
    blocked_.insert({std::min(a, b), std::max(a, b)});
    for (const auto& p : {current(a, b), current(b, a)}) {
        if (!p || !p->connected) continue;
        p->connected = false;
        const std::string ufrag = p->ufrag;
        p->rtc->event(p, [](FakePc& q) {
            q.conn_state = PeerConnectionState::disconnected;
            q.rtc->engine->on_connection_state(q.remote, q.conn_state);
        });
        // Consent checks go unanswered: the browser gives up on these credentials.
        std::weak_ptr<FakePc> weak = p;
        const auto pending = [weak, ufrag] {
            auto q = weak.lock();
            return q && !q->closed && !q->connected && q->ufrag == ufrag && q->failed_ufrag != ufrag;
        };
        scheduler.post_at(now_ms + ice_timeout_ms, {p->events_lane(), pending, [weak, pending] {
                              auto q = weak.lock();
                              if (!pending() || !q->rtc || !q->rtc->engine) return;
                              q->failed_ufrag = q->ufrag;
                              q->conn_state = PeerConnectionState::failed;
                              q->rtc->engine->on_connection_state(q->remote, q->conn_state);
                          }});
    }
}

inline void World::unblock(const std::string& a, const std::string& b) {
    blocked_.erase({std::min(a, b), std::max(a, b)});
    for (const auto& p : {current(a, b), current(b, a)})
        if (p) check_connectivity(p);
}

inline void World::close_channel(const std::string& a, const std::string& b) {
    for (const auto& p : {current(a, b), current(b, a)}) {
        if (!p || !p->channel_open) continue;
        p->rtc->event(p, [](FakePc& q) {
            if (!q.channel_open) return;
            q.channel_open = false;
            q.rtc->engine->on_channel_closed(q.remote);
        });
    }
}

class SimPeer;

// The signaling server: the real room model (server/rooms.hpp) with one simulated socket per
// tab, joins taken as proven (join_auth.hpp is tested elsewhere). A socket receives the JSON text
// the real server writes; the app's parser reads it and the engine gets the calls SignalingClient
// would make, on the tab's signaling lane.
class FakeServer {
public:
    explicit FakeServer(World& world) : world_(world) { restart(); }

    bool up = true;
    // Test knob: candidate signals travel apart from descriptions (their own FIFO per receiver),
    // so they can overtake the description they belong to, though never the membership event
    // that introduced the sender. The real server keeps order; this exercises the engine's
    // buffering of early candidates.
    bool candidates_overtake = false;

    // Each join comes on a new socket (a page's first, or the app's reconnect); the tab's
    // previous socket is replaced by it (same room) or closes.
    void join(SimPeer& client, const std::string& room);
    // Explicit leave: peer-left to the others.
    void leave(SimPeer& client);
    // The socket closes without leave (the tab closed or reloaded): the others get peer-left
    // once the grace period (Limits::grace of simulated time) is over, unless the peer joins
    // again before it ends (peer-rejoined). Also while the server is down, so that the room
    // model never keeps a closed tab's socket.
    void drop_socket(SimPeer& client);
    void relay(SimPeer& from, const std::string& to, const json& data);
    // The server process restarts: every room and socket is forgotten.
    void restart() {
        sockets_.clear();
        away_.clear();
        rooms_.emplace(limits_, metrics_, 1); // any seed: `joined` lists everyone, draws nothing
        up = true;
    }
    // Members of `room`, those in their grace period included.
    std::size_t members(const std::string& room) const;
    std::size_t relayed = 0;
    std::map<std::pair<std::string, std::string>, json> last_signal; // by (from, to)

private:
    struct Socket final : server::Outlet {
        Socket(FakeServer& server, SimPeer& client, std::string room)
            : server(server), client(&client), room(std::move(room)) {}
        void deliver(std::string frame) override { server.to_client(*this, frame); }
        // The real server sends `replaced`, which SignalingClient hands to the app, not the
        // engine.
        void replaced() override {}
        FakeServer& server;
        SimPeer* client;
        std::string room; // the one it joined
    };

    // The server's defaults, but `joined` lists every member (up to the client's bound of 500)
    // instead of a sample of 32, as the fake always did: the tests, rooms of up to 36 pages,
    // were written against a `joined` that names the whole room.
    static server::Limits limits() {
        server::Limits l;
        l.joined_sample = protocol::max_joined_peers;
        return l;
    }
    void close(Socket& socket);
    void to_client(const Socket& socket, const std::string& frame);
    void post(SimPeer* client, std::function<void(RoomEngine&)> fn, const char* lane);

    World& world_;
    const server::Limits limits_ = limits();
    server::Metrics metrics_;
    std::optional<server::Rooms> rooms_;
    std::map<std::uint64_t, std::unique_ptr<Socket>> sockets_; // by SimPeer::serial, its latest
    // (room, peer) -> end of its grace period, for the members whose peer-left is still to come.
    // Rooms keeps the same list inside; this copy serves members(), and tells the timer of a
    // member that came back that it no longer matters (so it does not move the clock).
    std::map<std::pair<std::string, std::string>, server::Rooms::Clock::time_point> away_;
    std::uint64_t sessions_ = 0; // kept by restart(): a new process names new sessions too
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
    std::map<std::string, std::string> photos;   // hash -> bytes, photos fetched and checked
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
    // The path aside from the server (pairing's bootstrap connection), when a test sets one.
    std::function<bool(const std::string& to, const json& data)> aside;
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
        c.send_signal_aside = [this](const std::string& to, const json& data) {
            return aside && aside(to, data);
        };
        c.history_changed = [this] { ++history_changes; };
        c.photo_fetched = [this](const std::string& hash, const std::shared_ptr<const std::string>& bytes) {
            photos[hash] = *bytes;
        };
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
    std::unique_ptr<Socket>& socket = sockets_[client.serial];
    const std::unique_ptr<Socket> old =
        std::exchange(socket, std::make_unique<Socket>(*this, client, room));
    away_.erase({room, client.id});
    const protocol::Join join{room, client.id, client.engine.name(), "unchecked"};
    if (const auto refused = rooms_->join(*socket, join, testing::numbered_session(++sessions_)))
        world_.violations.push_back(client.id + ": join refused: " + refused->message);
    if (old) close(*old);
}

inline void FakeServer::leave(SimPeer& client) {
    if (!up) return;
    const auto it = sockets_.find(client.serial);
    if (it != sockets_.end()) rooms_->leave(*it->second); // refused when in no room: nothing to do
}

inline void FakeServer::drop_socket(SimPeer& client) {
    const auto it = sockets_.find(client.serial);
    if (it == sockets_.end()) return;
    close(*it->second);
    sockets_.erase(it);
}

inline void FakeServer::relay(SimPeer& from, const std::string& to, const json& data) {
    if (!up) return;
    const auto it = sockets_.find(from.serial);
    if (it == sockets_.end()) return;
    const std::string text = data.dump();
    // A refusal (we are in no room, `to` is not in ours or in its grace period) is an error
    // frame for the app, which the engine never sees.
    if (rooms_->signal(*it->second, protocol::Signal{to, text})) return;
    ++relayed;
    last_signal[{from.id, to}] = data;
    world_.note("signal " + from.id + " -> " + to + " " + text.substr(0, 60));
}

inline std::size_t FakeServer::members(const std::string& room) const {
    std::size_t n = 0;
    for (const auto& [serial, socket] : sockets_) n += socket->in_room() && socket->room == room;
    for (const auto& [member, until] : away_) n += member.first == room;
    return n;
}

// The server sees the socket close: the member keeps its place for the grace period, and a
// timer at its end has the room model expire it. A server that is down by then expires nothing
// (restart() forgets the rooms anyway).
inline void FakeServer::close(Socket& socket) {
    if (!socket.in_room()) return;
    const server::Rooms::Clock::time_point now = testing::rooms_time(world_.now_ms);
    rooms_->disconnect(socket, now);
    const auto member = std::make_pair(socket.room, socket.client->id);
    const server::Rooms::Clock::time_point until = now + limits_.grace;
    away_[member] = until;
    const auto pending = [this, member, until] {
        const auto it = away_.find(member);
        return up && it != away_.end() && it->second == until;
    };
    Scheduler::Timer timer{"server", pending, [this, pending, until] {
        if (!pending()) return;
        rooms_->expire(until);
        std::erase_if(away_, [until](const auto& entry) { return entry.second <= until; });
    }};
    const double grace_ms = std::chrono::duration<double, std::milli>(limits_.grace).count();
    world_.scheduler.post_at(world_.now_ms + grace_ms, std::move(timer));
}

inline void FakeServer::to_client(const Socket& socket, const std::string& frame) {
    protocol::Parsed<protocol::ServerMessage> parsed = protocol::parse_server(frame);
    if (!parsed.ok()) {
        world_.violations.push_back("server frame the app refuses: " + parsed.problem.message);
        return;
    }
    SimPeer& client = *socket.client;
    const auto* signal = std::get_if<protocol::SignalFrom>(&*parsed.value);
    const bool overtakes = candidates_overtake && signal && signal->data.contains("candidate") &&
                           client.engine.peer(signal->from).has_value();
    post(&client, [m = std::move(*parsed.value)](RoomEngine& e) { testing::to_engine(e, m); },
         overtakes ? "cand#" : "sig#");
}

// Runs the scheduler's lanes and ticks every page's engine each 100 ms of simulated time, as the
// app's loop does, until `done()` holds or `ms` passed; returns the simulated time taken. Timers
// (ICE timeouts) are not jumped to: time moves only by the ticks and the steps.
template <typename Done>
double run_ticking(World& world, const std::vector<std::unique_ptr<SimPeer>>& pages, double ms, Done done) {
    const double start = world.now_ms;
    while (world.now_ms - start < ms && !done()) {
        for (std::size_t k = 0; k < 200000 && world.scheduler.step(); ++k) world.now_ms += world.step_ms;
        world.now_ms += 100.0;
        for (const auto& p : pages) p->engine.tick();
    }
    return world.now_ms - start;
}

inline double run_ticking(World& world, const std::vector<std::unique_ptr<SimPeer>>& pages, double ms) {
    return run_ticking(world, pages, ms, [] { return false; });
}

} // namespace peddlenet::fake
