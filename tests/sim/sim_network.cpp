// sim_network.cpp: see sim_network.hpp.
//
// Index
//  [SECTION] SDP and fingerprints
//  [SECTION] Network
//  [SECTION] SimRtc
#include "sim_network.hpp"

#include <algorithm>
#include <cmath>

namespace peddlenet::sim {

using nlohmann::json;

//-----------------------------------------------------------------------------------------------
// [SECTION] SDP and fingerprints
//-----------------------------------------------------------------------------------------------

namespace {

std::string ufrag_text(std::uint64_t ufrag) { return "u" + std::to_string(ufrag); }

std::string encode_sdp(const Pc::Desc& d) {
    return "v=0\r\no=- " + std::to_string(d.inst) +
           " 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
           "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
           "a=ice-ufrag:" + ufrag_text(d.ufrag) + "\r\na=mid:0\r\na=sctp-port:5000\r\n";
}

std::optional<std::uint64_t> parse_number(std::string_view s) {
    if (s.empty() || s.size() > 19) return std::nullopt;
    std::uint64_t v = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
}

// Reads back what encode_sdp wrote; nullopt for anything else.
std::optional<Pc::Desc> decode_sdp(const SessionDescription& d) {
    const std::string& s = d.sdp;
    const auto o = s.find("o=- ");
    const auto u = s.find("a=ice-ufrag:u");
    if (o == std::string::npos || u == std::string::npos) return std::nullopt;
    const auto o_end = s.find(' ', o + 4);
    const auto u_end = s.find("\r\n", u);
    if (o_end == std::string::npos || u_end == std::string::npos) return std::nullopt;
    const auto inst = parse_number(std::string_view(s).substr(o + 4, o_end - o - 4));
    const auto ufrag = parse_number(std::string_view(s).substr(u + 13, u_end - u - 13));
    if (!inst || !ufrag) return std::nullopt;
    return Pc::Desc{d.type, *inst, *ufrag};
}

std::optional<std::uint64_t> candidate_ufrag(const json& candidate) {
    const auto it = candidate.find("usernameFragment");
    if (it == candidate.end() || !it->is_string()) return std::nullopt;
    const std::string& s = it->get_ref<const std::string&>();
    if (s.size() < 2 || s[0] != 'u') return std::nullopt;
    return parse_number(std::string_view(s).substr(1));
}

// The DTLS certificate fingerprint of connection `inst` in the browser's spelling: 32 hex pairs
// ("AB:CD:..."), distinct per connection (SplitMix64 of the instance number).
std::string fingerprint(std::uint64_t inst) {
    static constexpr char hex[] = "0123456789ABCDEF";
    Rng bits(inst * 0x2545F4914F6CDD1Dull);
    std::string out;
    out.reserve(95);
    for (int word = 0; word < 4; ++word) {
        std::uint64_t v = bits.next();
        for (int i = 0; i < 8; ++i, v >>= 8) {
            if (!out.empty()) out += ':';
            out += hex[(v >> 4) & 15];
            out += hex[v & 15];
        }
    }
    return out;
}

bool holds(const std::vector<std::uint64_t>& v, std::uint64_t x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

// `a` is ready to connect to `b`: offer/answer with b's current connection and credentials
// complete, and a candidate of those credentials added.
bool ready(const Pc& a, const Pc& b) {
    return a.state == SignalingState::stable && a.current_local && a.current_remote &&
           a.current_remote->inst == b.inst && a.current_remote->ufrag == b.ufrag &&
           holds(a.remote_candidate_ufrags, b.ufrag) && a.ufrag != a.failed_ufrag;
}

} // namespace

//-----------------------------------------------------------------------------------------------
// [SECTION] Network
//-----------------------------------------------------------------------------------------------

void Network::add(SimRtc& rtc, const std::string& id) {
    rtcs_.push_back(&rtc);
    ids_.push_back(id);
    const double x = rng_.uniform();
    spots_.emplace_back(x, rng_.uniform());
    index_.emplace(id, rtc.index());
}

int Network::index_of(const std::string& id) const {
    const auto it = index_.find(id);
    return it == index_.end() ? -1 : it->second;
}

double Network::one_way_ms(int a, int b) const {
    const auto& [ax, ay] = spots_[static_cast<std::size_t>(a)];
    const auto& [bx, by] = spots_[static_cast<std::size_t>(b)];
    return params_.base_ms + params_.distance_ms * std::hypot(ax - bx, ay - by) / std::sqrt(2.0);
}

void Network::violation(int owner, const std::string& what) {
    ++violations;
    if (violation_samples.size() < 10)
        violation_samples.push_back("phone " + std::to_string(owner) + ": " + what);
}

RtcEvents* Network::events_of(const Pc& pc) {
    SimRtc& owner = rtc(pc.owner);
    return owner.alive ? owner.events : nullptr;
}

void Network::event(const std::shared_ptr<Pc>& pc, double t, std::function<void(Pc&)> fn) {
    queue_.at(t, [this, pc, fn = std::move(fn)] {
        if (!pc->closed && events_of(*pc)) fn(*pc);
    });
}

void Network::set_channel_open(Pc& pc, bool open) {
    if (pc.channel_open == open) return;
    pc.channel_open = open;
    ++channel_changes;
    if (open) ++channels_open;
    else --channels_open;
}

void Network::check_connectivity(const std::shared_ptr<Pc>& pc) {
    if (pc->connected || pc->closed) return;
    start_ice_timer(pc);
    const std::shared_ptr<Pc> partner = rtc(pc->remote).find(pc->owner);
    if (!partner || partner->closed || pc->dtls_pending || !ready(*pc, *partner) ||
        !ready(*partner, *pc))
        return;
    pc->dtls_pending = partner->dtls_pending = true;
    const double rtt = 2.0 * one_way_ms(pc->owner, pc->remote);
    queue_.after(rtt, [this, a = std::weak_ptr<Pc>(pc), b = std::weak_ptr<Pc>(partner)] {
        connect_pair(a, b);
    });
}

// Both descriptions in place: connectivity checks run, and fail unless a pair works in time.
void Network::start_ice_timer(const std::shared_ptr<Pc>& pc) {
    if (pc->state != SignalingState::stable || !pc->current_local || !pc->current_remote ||
        pc->ufrag == pc->failed_ufrag)
        return;
    const std::pair<std::uint64_t, std::uint64_t> pair{pc->ufrag, pc->current_remote->ufrag};
    if (pc->checking == pair) return;
    pc->checking = pair;
    queue_.after(params_.ice_timeout_ms, [this, weak = std::weak_ptr<Pc>(pc), pair] {
        const std::shared_ptr<Pc> p = weak.lock();
        if (!p || p->closed || p->connected || p->checking != pair || !events_of(*p)) return;
        p->failed_ufrag = p->ufrag;
        p->checking = {};
        p->conn_state = PeerConnectionState::failed;
        events_of(*p)->on_connection_state(p->remote_id, p->conn_state);
    });
}

// DTLS is done one round trip after both sides became ready, if they still belong together.
void Network::connect_pair(const std::weak_ptr<Pc>& weak_a, const std::weak_ptr<Pc>& weak_b) {
    const std::shared_ptr<Pc> a = weak_a.lock(), b = weak_b.lock();
    if (a) a->dtls_pending = false;
    if (b) b->dtls_pending = false;
    if (!a || !b || a->closed || b->closed || !events_of(*a) || !events_of(*b) ||
        !a->current_remote || !b->current_remote || a->current_remote->inst != b->inst ||
        b->current_remote->inst != a->inst)
        return;
    for (const auto& p : {a, b}) {
        p->connected = true;
        p->checking = {};
        event(p, queue_.now(), [this](Pc& q) {
            q.conn_state = PeerConnectionState::connected;
            events_of(q)->on_connection_state(q.remote_id, q.conn_state);
            if (q.closed || q.channel_open) return; // the engine may close it in its handler
            set_channel_open(q, true);
            events_of(q)->on_channel_open(q.remote_id);
        });
    }
}

void Network::send_frame(const std::shared_ptr<Pc>& pc, std::string_view text) {
    const double one_way = one_way_ms(pc->owner, pc->remote);
    double arrival = queue_.now() + one_way + rng_.uniform(0.0, params_.jitter_ms);
    if (params_.loss > 0.0) {
        const double rto = std::max(200.0, 4.0 * one_way);
        while (rng_.chance(params_.loss)) {
            arrival += rto;
            ++retransmissions;
        }
    }
    // SCTP on a data channel is reliable and ordered: a late frame holds the later ones back.
    arrival = std::max(arrival, pc->channel_tail);
    pc->channel_tail = arrival;
    const std::uint64_t tag = observer ? observer->frame_sent(pc->owner, text) : 0;
    queue_.at(arrival, [this, from = pc->owner, to = pc->remote, inst = pc->inst,
                        text = std::string(text), tag] {
        SimRtc& receiver = rtc(to);
        const std::shared_ptr<Pc> p = receiver.find(from);
        if (!receiver.alive || !receiver.events || !p || p->closed || !p->channel_open ||
            !p->current_remote || p->current_remote->inst != inst) {
            ++frames_lost;
            return;
        }
        if (observer) observer->frame_delivered(to, tag);
        receiver.events->on_channel_message(p->remote_id, text);
    });
}

// The partner's connection, if it is bound to `pc`, learns of the close after its last frame.
void Network::closed_by_owner(const Pc& pc) {
    const std::shared_ptr<Pc> partner = rtc(pc.remote).find(pc.owner);
    if (!partner) return;
    const double at = std::max(queue_.now() + one_way_ms(pc.owner, pc.remote), pc.channel_tail);
    event(partner, at, [this, inst = pc.inst](Pc& q) {
        if (!q.channel_open || !q.current_remote || q.current_remote->inst != inst) return;
        q.connected = false;
        set_channel_open(q, false);
        q.conn_state = PeerConnectionState::disconnected;
        events_of(q)->on_channel_closed(q.remote_id);
        if (q.closed) return; // the engine may close it in its handler
        events_of(q)->on_connection_state(q.remote_id, q.conn_state);
    });
}

void Network::vanish(int index) {
    SimRtc& gone = rtc(index);
    gone.alive = false;
    // Sorted, so the random consent delays are drawn in an order that does not depend on
    // the hash map's layout.
    std::vector<std::pair<int, std::uint64_t>> bound;
    gone.for_each_pc([&](const Pc& pc) {
        if (pc.connected) bound.emplace_back(pc.remote, pc.inst);
    });
    std::sort(bound.begin(), bound.end());
    gone.drop_all();
    for (const auto& [remote, inst] : bound) {
        const std::shared_ptr<Pc> partner = rtc(remote).find(index);
        if (partner && partner->connected && partner->current_remote &&
            partner->current_remote->inst == inst)
            consent_lost(partner, inst,
                         queue_.now() + params_.consent_ms + rng_.uniform(0.0, 1000.0));
    }
}

// Consent freshness: no answers from the partner any more -> disconnected, later failed.
void Network::consent_lost(const std::shared_ptr<Pc>& pc, std::uint64_t partner_inst, double at) {
    const double failed_at = queue_.now() + params_.failed_ms;
    event(pc, at, [this, partner_inst, failed_at, pc](Pc& q) {
        if (!q.connected || !q.current_remote || q.current_remote->inst != partner_inst) return;
        q.connected = false;
        q.conn_state = PeerConnectionState::disconnected;
        events_of(q)->on_connection_state(q.remote_id, q.conn_state);
        event(pc, failed_at, [this](Pc& r) {
            if (r.connected || r.conn_state != PeerConnectionState::disconnected) return;
            r.failed_ufrag = r.ufrag;
            r.conn_state = PeerConnectionState::failed;
            events_of(r)->on_connection_state(r.remote_id, r.conn_state);
        });
    });
}

//-----------------------------------------------------------------------------------------------
// [SECTION] SimRtc
//-----------------------------------------------------------------------------------------------

std::shared_ptr<Pc> SimRtc::find(int remote) const {
    const auto it = pcs_.find(remote);
    return it == pcs_.end() ? nullptr : it->second;
}

std::shared_ptr<Pc> SimRtc::lookup(const std::string& peer) const {
    const int remote = net_.index_of(peer);
    return remote < 0 ? nullptr : find(remote);
}

void SimRtc::drop_all() {
    for (auto& entry : pcs_) {
        if (entry.second->channel_open) net_.set_channel_open(*entry.second, false);
        entry.second->closed = true;
    }
    pcs_.clear();
}

void SimRtc::create_connection(const std::string& peer, bool opens_channel) {
    const int remote = net_.index_of(peer);
    if (remote < 0 || remote == index_)
        return net_.violation(index_, "create_connection for " + peer);
    if (find(remote)) net_.violation(index_, "create_connection twice for " + peer);
    auto pc = std::make_shared<Pc>();
    pc->inst = net_.next_inst();
    pc->owner = index_;
    pc->remote = remote;
    pc->remote_id = peer;
    pc->opens_channel = opens_channel;
    pc->created_at = net_.queue().now();
    pcs_[remote] = pc;
    ++created;
    ++net_.connections_created;
    update_negotiation_needed(pc); // createDataChannel
}

void SimRtc::close_connection(const std::string& peer) {
    const int remote = net_.index_of(peer);
    const auto it = remote < 0 ? pcs_.end() : pcs_.find(remote);
    // A second close of the same connection is harmless (pc.close() is idempotent).
    if (it == pcs_.end()) return;
    const std::shared_ptr<Pc> pc = it->second;
    pcs_.erase(it);
    net_.set_channel_open(*pc, false);
    pc->closed = true;
    pc->state = SignalingState::closed;
    if (alive) net_.closed_by_owner(*pc);
}

void SimRtc::op(const std::string& peer, const char* name,
                std::function<void(const std::shared_ptr<Pc>&)> body) {
    const std::shared_ptr<Pc> pc = lookup(peer);
    if (!pc) return net_.violation(index_, std::string(name) + " without a connection to " + peer);
    pc->ops_tail = std::max(net_.queue().now(), pc->ops_tail) + net_.params().op_ms;
    ++pc->ops_pending;
    net_.queue().at(pc->ops_tail, [this, pc, body = std::move(body)] {
        --pc->ops_pending;
        if (pc->closed || !net_.events_of(*pc)) return;
        body(pc);
        if (pc->closed) return;
        net_.check_connectivity(pc);
        if (pc->update_on_empty_chain && pc->ops_pending == 0) {
            pc->update_on_empty_chain = false;
            update_negotiation_needed(pc);
        }
    });
}

void SimRtc::fail(Pc& pc, RtcOperation op, const std::string& message) {
    net_.events_of(pc)->on_rtc_error(pc.remote_id, op, message);
}

void SimRtc::commit_stable(const std::shared_ptr<Pc>& pc) {
    pc->state = SignalingState::stable;
    pc->current_local = pc->local;
    pc->current_remote = pc->remote_desc;
    pc->negotiation_flag = false;
    update_negotiation_needed(pc);
}

void SimRtc::update_negotiation_needed(const std::shared_ptr<Pc>& pc) {
    if (pc->closed) return;
    if (pc->ops_pending != 0) {
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
    net_.event(pc, net_.queue().now(), [this](Pc& p) {
        if (!p.negotiation_flag || p.state != SignalingState::stable) return;
        net_.events_of(p)->on_negotiation_needed(p.remote_id);
    });
}

void SimRtc::set_local_description(const std::string& peer) {
    op(peer, "set_local_description", [this](const std::shared_ptr<Pc>& pc) {
        bool gather = false;
        if (pc->state == SignalingState::stable || pc->state == SignalingState::have_local_offer) {
            if (pc->ufrag == 0 || pc->restart_pending) {
                pc->ufrag = net_.next_ufrag();
                pc->restart_pending = false;
                gather = true;
            }
            pc->local = Pc::Desc{SdpType::offer, pc->inst, pc->ufrag};
            pc->state = SignalingState::have_local_offer;
        } else if (pc->state == SignalingState::have_remote_offer) {
            // Answerers take new credentials when the offer restarts ICE (or on first use).
            const bool remote_restart =
                pc->current_remote && pc->current_remote->ufrag != pc->remote_desc->ufrag;
            if (pc->ufrag == 0 || remote_restart || pc->restart_pending) {
                pc->ufrag = net_.next_ufrag();
                pc->restart_pending = false;
                gather = true;
            }
            pc->local = Pc::Desc{SdpType::answer, pc->inst, pc->ufrag};
            commit_stable(pc);
        } else {
            return fail(*pc, RtcOperation::set_local_description, "InvalidStateError");
        }
        net_.events_of(*pc)->on_local_description(
            pc->remote_id, SessionDescription{pc->local->type, encode_sdp(*pc->local)});
        if (!gather) return;
        const json candidate{
            {"candidate", "candidate:1 1 udp 2122260223 10." + std::to_string(pc->owner / 250) +
                              "." + std::to_string(pc->owner % 250) + ".1 " +
                              std::to_string(40000 + pc->inst % 20000) + " typ host"},
            {"sdpMid", "0"},
            {"sdpMLineIndex", 0},
            {"usernameFragment", ufrag_text(pc->ufrag)}};
        net_.event(pc, net_.queue().now() + net_.params().gather_ms, [this, candidate](Pc& p) {
            net_.events_of(p)->on_ice_candidate(p.remote_id, candidate);
        });
    });
}

void SimRtc::set_remote_description(const std::string& peer, const SessionDescription& d) {
    op(peer, "set_remote_description", [this, d](const std::shared_ptr<Pc>& pc) {
        const std::optional<Pc::Desc> desc = decode_sdp(d);
        if (!desc) return fail(*pc, RtcOperation::set_remote_description, "bad SDP");
        if (d.type == SdpType::offer) {
            if (pc->state == SignalingState::have_local_offer) {
                // Implicit rollback: the offer and the credentials it introduced are gone.
                const bool offer_took_new_ufrag =
                    !pc->current_local || pc->current_local->ufrag != pc->ufrag;
                if (offer_took_new_ufrag) {
                    if (pc->current_local) pc->restart_pending = true;
                    pc->ufrag = pc->current_local ? pc->current_local->ufrag : 0;
                }
                pc->local = pc->current_local;
                pc->state = SignalingState::stable;
            }
            if (pc->state != SignalingState::stable &&
                pc->state != SignalingState::have_remote_offer)
                return fail(*pc, RtcOperation::set_remote_description, "InvalidStateError");
            pc->remote_desc = desc;
            pc->state = SignalingState::have_remote_offer;
        } else {
            if (pc->state != SignalingState::have_local_offer)
                return fail(*pc, RtcOperation::set_remote_description,
                            "InvalidStateError: Called in wrong state: " +
                                std::string(to_string(pc->state)));
            pc->remote_desc = desc;
            commit_stable(pc);
        }
        net_.events_of(*pc)->on_remote_description_set(pc->remote_id);
    });
}

void SimRtc::add_ice_candidate(const std::string& peer, const json& candidate) {
    op(peer, "add_ice_candidate", [this, candidate](const std::shared_ptr<Pc>& pc) {
        if (!pc->remote_desc)
            return fail(*pc, RtcOperation::add_ice_candidate,
                        "InvalidStateError: The remote description was null");
        const std::optional<std::uint64_t> ufrag = candidate_ufrag(candidate);
        if (!ufrag || *ufrag != pc->remote_desc->ufrag)
            return fail(*pc, RtcOperation::add_ice_candidate, "OperationError: Unknown ufrag");
        if (!holds(pc->remote_candidate_ufrags, *ufrag))
            pc->remote_candidate_ufrags.push_back(*ufrag);
    });
}

void SimRtc::restart_ice(const std::string& peer) {
    const std::shared_ptr<Pc> pc = lookup(peer);
    if (!pc) return net_.violation(index_, "restart_ice without a connection to " + peer);
    pc->restart_pending = true;
    update_negotiation_needed(pc);
}

bool SimRtc::send(const std::string& peer, std::string_view text) {
    const std::shared_ptr<Pc> pc = lookup(peer);
    if (!pc) {
        net_.violation(index_, "send without a connection to " + peer);
        return false;
    }
    if (!pc->channel_open) return false;
    ++frames_sent;
    bytes_sent += text.size();
    net_.send_frame(pc, text);
    return true;
}

void SimRtc::get_fingerprints(const std::string& peer) {
    const std::shared_ptr<Pc> pc = lookup(peer);
    if (!pc) return net_.violation(index_, "get_fingerprints without a connection to " + peer);
    net_.event(pc, net_.queue().now(), [this](Pc& p) {
        const std::string remote = p.current_remote ? fingerprint(p.current_remote->inst) : "";
        net_.events_of(p)->on_fingerprints(p.remote_id, fingerprint(p.inst), remote);
    });
}

SignalingState SimRtc::signaling_state(const std::string& peer) const {
    const std::shared_ptr<Pc> pc = lookup(peer);
    return pc ? pc->state : SignalingState::stable;
}

} // namespace peddlenet::sim
