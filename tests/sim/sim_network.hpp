// sim_network.hpp: the simulated WebRTC world of the mesh simulator: one SimRtc (an
// RtcTransport) per simulated phone, their RTCPeerConnections and data channels, and a latency
// model with time, jitter and loss. Much simpler than a browser, but it keeps the RtcTransport
// contract (core/rtc_transport.hpp); tests/unit/fake_rtc.hpp is the untimed model it follows.
// Needs: core/rtc_transport.hpp, event_queue.hpp (time, order, randomness).
//  [X] every completion and event is a later task, only for the connection it belongs to; none
//      after close_connection, none for a phone that vanished
//  [X] signaling states stable / have-local-offer / have-remote-offer; implicit
//      setLocalDescription (offer or answer); setRemoteDescription(offer) in have-local-offer
//      rolls the local offer back; operations complete in call order per connection
//  [X] negotiationneeded when the opener's channel is created or after restartIce, only while
//      stable with no operation pending (fake_rtc.hpp's flag rules)
//  [X] SDP text names the connection instance and its ICE credentials (ufrag), so stale
//      descriptions are detected; one host candidate per new set of credentials
//  [X] a connection connects once both sides hold each other's current descriptions and each
//      added a candidate of the other's current credentials; one round trip later (DTLS) both
//      report "connected" and the channel opens; a per-connection DTLS fingerprint
//  [X] ICE that never finds a pair (stale descriptions) fails after ice_timeout_ms
//  [X] data channel frames arrive after the pair's one-way latency plus jitter, in order; a lost
//      frame waits a retransmission timeout (maybe several) and holds later ones behind it
//  [X] close: the partner sees channel closed + "disconnected" one way later; a vanished phone
//      sends nothing: its partners see "disconnected" after consent_ms, "failed" after failed_ms
//  [ ] TURN, NAT types, bandwidth and congestion: every pair connects directly, without limits
#pragma once

#include "core/rtc_transport.hpp"
#include "event_queue.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace peddlenet::sim {

struct NetParams {
    // base_ms: ms, default 5. One-way latency between two phones at the same spot (Wi-Fi hop).
    double base_ms = 5.0;
    // distance_ms: ms, default 40. Added to the one-way latency between opposite corners of the
    // festival ground (the unit square), proportionally to the distance in between.
    double distance_ms = 40.0;
    // jitter_ms: ms, default 2. Each frame adds uniform 0..jitter_ms (order is kept anyway).
    double jitter_ms = 2.0;
    // loss: probability, default 0. A frame is lost with this probability and retransmitted
    // after max(200 ms, 2 RTT), maybe again (geometric); never dropped, never reordered.
    double loss = 0.0;
    // op_ms: ms, default 0.5. One setLocalDescription / setRemoteDescription / addIceCandidate.
    double op_ms = 0.5;
    // gather_ms: ms, default 2. From setLocalDescription with new credentials to its candidate.
    double gather_ms = 2.0;
    // ice_timeout_ms: ms, default 10000. Both descriptions set but no working pair (they belong
    // to other connections): "failed" after this long, as browsers give up after 5-30 s.
    double ice_timeout_ms = 10000.0;
    // consent_ms: ms, default 6000. The partner vanished: "disconnected" after this long plus up
    // to 1 s (consent freshness), then "failed" at failed_ms.
    double consent_ms = 6000.0;
    // failed_ms: ms after the partner vanished, default 30000 (consent expiry).
    double failed_ms = 30000.0;
};

// One simulated RTCPeerConnection: `owner`'s connection to `remote` (phone indices).
struct Pc {
    struct Desc {
        SdpType type = SdpType::offer;
        std::uint64_t inst = 0;  // the connection that made it
        std::uint64_t ufrag = 0; // its ICE credentials
    };

    std::uint64_t inst = 0;
    int owner = 0, remote = 0;
    std::string remote_id;
    bool opens_channel = false;
    double created_at = 0.0;
    bool closed = false;
    SignalingState state = SignalingState::stable;
    std::optional<Desc> local, remote_desc;            // pending or current
    std::optional<Desc> current_local, current_remote; // the last stable pair
    std::uint64_t ufrag = 0;                           // current local credentials; 0: none yet
    bool restart_pending = false;
    bool negotiation_flag = false;
    bool update_on_empty_chain = false;
    std::vector<std::uint64_t> remote_candidate_ufrags; // credentials of added candidates
    std::uint64_t failed_ufrag = 0;                     // ICE failed on these credentials
    std::pair<std::uint64_t, std::uint64_t> checking{}; // the credential pair an ICE timer watches
    bool dtls_pending = false;
    bool connected = false;
    bool channel_open = false;
    PeerConnectionState conn_state = PeerConnectionState::new_;
    unsigned ops_pending = 0;  // operations queued on its chain
    double ops_tail = 0.0;     // when the last queued operation completes
    double channel_tail = 0.0; // when the last sent frame arrives at the partner
};

// What the measurements learn about data channel traffic (mesh_sim.cpp implements it).
class FrameObserver {
public:
    // `from` handed `text` to an open channel; the tag comes back with the delivery.
    virtual std::uint64_t frame_sent(int from, std::string_view text) = 0;
    // That frame reaches `to`'s engine now.
    virtual void frame_delivered(int to, std::uint64_t tag) = 0;

protected:
    ~FrameObserver() = default;
};

class SimRtc;

// The shared world: phones' positions, their transports, and the connection rules.
class Network {
public:
    Network(EventQueue& queue, Rng& rng, NetParams params)
        : queue_(queue), rng_(rng), params_(params) {}

    // Registers phone `index` (dense, from 0) with its peer id, at a random spot.
    void add(SimRtc& rtc, const std::string& id);
    SimRtc& rtc(int index) { return *rtcs_[static_cast<std::size_t>(index)]; }
    // -1 for an id no phone has.
    int index_of(const std::string& id) const;
    const std::string& id_of(int index) const { return ids_[static_cast<std::size_t>(index)]; }

    double one_way_ms(int a, int b) const;
    // The phone dies: nothing reaches it and it sends nothing from now on; partners notice by
    // consent freshness.
    void vanish(int index);

    EventQueue& queue() { return queue_; }
    const NetParams& params() const { return params_; }
    FrameObserver* observer = nullptr;

    // Contract violations (calls for unknown connections, double creation): count + first few.
    std::uint64_t violations = 0;
    std::vector<std::string> violation_samples;
    void violation(int owner, const std::string& what);

    // Totals over all phones.
    std::uint64_t connections_created = 0;
    std::uint64_t channels_open = 0;    // right now
    std::uint64_t channel_changes = 0;  // openings + closings so far (formation has settled
                                        // when this stops moving)
    std::uint64_t frames_lost = 0;      // deliveries that found no open channel at the other end
    std::uint64_t retransmissions = 0;

    // ---- used by SimRtc --------------------------------------------------------------------
    std::uint64_t next_inst() { return ++inst_; }
    std::uint64_t next_ufrag() { return ++ufrag_; }
    // Runs `fn` at `t` unless the connection closed (or its phone went) by then. Events due at
    // one instant keep the order they were posted in.
    void event(const std::shared_ptr<Pc>& pc, double t, std::function<void(Pc&)> fn);
    void check_connectivity(const std::shared_ptr<Pc>& pc);
    void send_frame(const std::shared_ptr<Pc>& pc, std::string_view text);
    void closed_by_owner(const Pc& pc);
    void set_channel_open(Pc& pc, bool open);
    // The engine that `pc`'s events go to, or nullptr when its phone is gone.
    RtcEvents* events_of(const Pc& pc);

private:
    void start_ice_timer(const std::shared_ptr<Pc>& pc);
    void connect_pair(const std::weak_ptr<Pc>& a, const std::weak_ptr<Pc>& b);
    void consent_lost(const std::shared_ptr<Pc>& pc, std::uint64_t partner_inst, double at);

    EventQueue& queue_;
    Rng& rng_;
    NetParams params_;
    std::vector<SimRtc*> rtcs_;
    std::vector<std::string> ids_;
    std::vector<std::pair<double, double>> spots_;
    std::unordered_map<std::string, int> index_;
    std::uint64_t inst_ = 0;
    std::uint64_t ufrag_ = 0;
};

// The RtcTransport of one simulated phone.
class SimRtc final : public RtcTransport {
public:
    SimRtc(Network& net, int index) : net_(net), index_(index) {}

    // Set once the engine exists; events go nowhere while null or while !alive.
    RtcEvents* events = nullptr;
    // False once the phone vanished or left: nothing reaches `events` any more.
    bool alive = true;

    // Counters of this phone.
    std::uint64_t created = 0;     // RTCPeerConnections
    std::uint64_t frames_sent = 0; // data channel frames handed to an open channel
    std::uint64_t bytes_sent = 0;

    int index() const { return index_; }
    // The current connection to phone `remote`, or nullptr.
    std::shared_ptr<Pc> find(int remote) const;
    template <class Fn> void for_each_pc(Fn fn) const {
        for (const auto& entry : pcs_) fn(*entry.second);
    }
    // Marks every connection closed without telling anyone (the phone vanished).
    void drop_all();

    void create_connection(const std::string& peer, bool opens_channel) override;
    void close_connection(const std::string& peer) override;
    void set_local_description(const std::string& peer) override;
    void set_remote_description(const std::string& peer, const SessionDescription& d) override;
    void add_ice_candidate(const std::string& peer, const nlohmann::json& candidate) override;
    void restart_ice(const std::string& peer) override;
    bool send(const std::string& peer, std::string_view text) override;
    void get_fingerprints(const std::string& peer) override;
    SignalingState signaling_state(const std::string& peer) const override;

private:
    std::shared_ptr<Pc> lookup(const std::string& peer) const;
    // Queues an operation on the connection's chain; completions come in call order.
    void op(const std::string& peer, const char* name,
            std::function<void(const std::shared_ptr<Pc>&)> body);
    void fail(Pc& pc, RtcOperation op, const std::string& message);
    void commit_stable(const std::shared_ptr<Pc>& pc);
    void update_negotiation_needed(const std::shared_ptr<Pc>& pc);

    Network& net_;
    int index_;
    // By the remote phone's index. Iteration order never decides anything in a run.
    std::unordered_map<int, std::shared_ptr<Pc>> pcs_;
};

} // namespace peddlenet::sim
