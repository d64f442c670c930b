// mesh_sim.cpp: a native, deterministic network simulator that runs hundreds to thousands of
// real RoomEngine instances (real Ed25519 and HMAC through OpenSSL) in one room, over a simulated
// WebRTC network (sim_network.hpp) and the real signaling room model (sim_server.hpp), and
// measures how chat messages spread: delivery, time, hops, copies, links, bytes.
// Needs: core/room_engine.hpp, server/rooms.hpp (via sim_server.hpp), unit/openssl_crypto.hpp,
// event_queue.hpp, sim_network.hpp. Run `mesh_sim --help` for the options.
//  [X] one seeded generator per run: the same seed prints byte-identical stdout (wall-clock
//      figures go to stderr)
//  [X] join storm over --join-spread, mesh formation until link counts settle (capped by
//      --warmup), then --messages from random online peers, one every --interval
//  [X] churn: a share of the peers vanish at once (or leave cleanly); messages right after the
//      churn and again after --churn-heal are reported as separate rows
//  [X] per message: who got it, when, at how many hops (RoomCallbacks::message_arrived, else
//      the simulator's own count along the frames), copies received
//  [X] links per peer (engine view), in-degree (transport view: links the other side started),
//      RTCPeerConnections per peer, data channel bytes by frame type, crypto operations
//  [X] the signaling server can be stopped (--server-stop-at): engines lose their socket
//  [X] --check for ctest: nonzero exit on contract violations, or when delivery < 100 % in a run
//      without churn; --json for machines
//
// Index
//  [SECTION] options
//  [SECTION] peers
//  [SECTION] simulation
//  [SECTION] measurements
//  [SECTION] report
//  [SECTION] main
#include "core/room_engine.hpp"
#include "core/signaling_protocol.hpp"
#include "core/trust.hpp"
#include "event_queue.hpp"
#include "sim_network.hpp"
#include "sim_server.hpp"
#include "unit/openssl_crypto.hpp"
#include "unit/rooms_support.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace peddlenet::sim {
namespace {

using nlohmann::json;
using ordered_json = nlohmann::ordered_json;

//-----------------------------------------------------------------------------------------------
// [SECTION] options
//-----------------------------------------------------------------------------------------------

struct Options {
    // peers: phones in the room, default 100.
    std::size_t peers = 100;
    // messages: chat messages per phase, default 20, sent by random online peers.
    std::size_t messages = 20;
    // interval_s: seconds between two messages, default 2.
    double interval_s = 2.0;
    // seed: the run's random seed, default 1.
    std::uint64_t seed = 1;
    // join_spread_s: seconds over which the peers join (uniformly at random), default 10.
    double join_spread_s = 10.0;
    // warmup_s: most seconds after the join spread to wait for the mesh to settle, default 60.
    double warmup_s = 60.0;
    // settle_s: the mesh counts as formed once no connection was created and no channel opened
    // or closed for this many seconds, default 10.
    double settle_s = 10.0;
    // drain_s: seconds simulated after the last message of a phase, default 20.
    double drain_s = 20.0;
    // churn: share of online peers that go at once when the mesh has formed, default 0.
    double churn = 0.0;
    // churn_leave: false (default): they vanish (phone dies); true: they leave cleanly.
    bool churn_leave = false;
    // churn_heal_s: seconds after the churn before the second ("healed") phase, default 30; at
    // least as long as the first phase's messages take.
    double churn_heal_s = 30.0;
    // server_stop_s: seconds into the run when the signaling server becomes unreachable;
    // negative (default): never.
    double server_stop_s = -1.0;
    // crypto_ms: ms, default 0.05. Each crypto operation of a phone completes this long after
    // its previous one (one operation at a time per phone).
    double crypto_ms = 0.05;
    // tick_ms: ms between two engine.tick() calls of a phone, default 100.
    double tick_ms = 100.0;
    // joined_sample: members the server lists in `joined`, default 32 (server Limits).
    std::size_t joined_sample = 32;
    NetParams net;
    RoomParams room;
    std::string label;  // row label; default: derived from the options
    bool check = false; // exit nonzero on violations or (without churn) delivery < 100 %
    bool json = false;  // JSON on stdout instead of the table
    std::string json_out; // also write the JSON document to this file
    bool header = true; // print the table header
    bool verbose = false;
};

// The server closes a dead phone's socket after its idle timeout: pinged after 30 s of silence,
// closed after 60 s (server Limits::idle_timeout); the phone died at a random point in between.
constexpr double dead_socket_min_ms = 30000.0;
constexpr double dead_socket_max_ms = 60000.0;

const char* const usage_text =
    R"(mesh_sim: many real RoomEngines over a simulated network, one room.
Usage: mesh_sim [options]
  --peers N              phones in the room (100)
  --messages M           messages per phase (20)
  --interval S           seconds between messages (2)
  --seed S               random seed (1); the same seed prints the same stdout
  --join-spread S        joins spread uniformly over S seconds (10)
  --warmup S             most seconds after the joins to wait for the mesh to settle (60)
  --settle S             formed = no new connection, no channel change for S seconds (10)
  --drain S              seconds simulated after the last message of a phase (20)
  --churn F              share of peers that go at once after formation (0)
  --churn-mode M         vanish (phone dies, default) | leave (clean leave)
  --churn-heal S         seconds after the churn before the "healed" phase (30)
  --server-stop-at S     the signaling server is unreachable from S seconds into the run
  --loss P               frame loss probability (0); lost frames are retransmitted, in order
  --consent-timeout S    vanished partner -> "disconnected" after S s (+0..1 s) (6)
  --crypto-ms MS         cost of one crypto operation (0.05)
  --joined-sample N      members listed in `joined` (32)
  --full-mesh-max N      RoomParams::full_mesh_max (12; the engine caps it at 65)
  --degree N             RoomParams::degree (6)
  --degree-low N         RoomParams::degree_low (4)
  --degree-high N        RoomParams::degree_high (12)
  --eager-fanout N       RoomParams::eager_fanout (3)
  --label TEXT           scenario label of the rows
  --check                exit 1 on contract violations, or delivery < 100 % without churn
  --json                 print JSON instead of the table
  --json-out PATH        also write the JSON document to PATH
  --no-header            table rows only
  --verbose              progress on stderr
)";

std::optional<double> parse_double(const std::string& s) {
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

using Setter = std::function<bool(const std::string&)>;

// An option value in [lo, hi], stored times `scale` (seconds given, milliseconds kept).
Setter number(double& target, double lo, double hi, double scale = 1.0) {
    return [&target, lo, hi, scale](const std::string& s) {
        const std::optional<double> v = parse_double(s);
        if (!v || *v < lo || *v > hi) return false;
        target = *v * scale;
        return true;
    };
}

template <class Int> Setter count(Int& target, double lo, double hi) {
    return [&target, lo, hi](const std::string& s) {
        const std::optional<double> v = parse_double(s);
        if (!v || *v < lo || *v > hi || *v != std::floor(*v)) return false;
        target = static_cast<Int>(*v);
        return true;
    };
}

// Parses argv; an error sentence (or the usage text) when it does not describe a run.
std::variant<Options, std::string> parse_options(int argc, char** argv) {
    Options o;
    constexpr double huge = 1e9;
    const std::map<std::string, Setter> with_value = {
        {"--peers", count(o.peers, 2, 1e6)},
        {"--messages", count(o.messages, 0, 1e6)},
        {"--interval", number(o.interval_s, 0.001, huge)},
        {"--seed", count(o.seed, 0, 9e15)},
        {"--join-spread", number(o.join_spread_s, 0, huge)},
        {"--warmup", number(o.warmup_s, 0, huge)},
        {"--settle", number(o.settle_s, 1, huge)},
        {"--drain", number(o.drain_s, 0, huge)},
        {"--churn", number(o.churn, 0, 0.99)},
        {"--churn-mode",
         [&o](const std::string& s) {
             o.churn_leave = s == "leave";
             return s == "leave" || s == "vanish";
         }},
        {"--churn-heal", number(o.churn_heal_s, 0, huge)},
        {"--server-stop-at", number(o.server_stop_s, 0, huge)},
        {"--loss", number(o.net.loss, 0, 0.9)},
        {"--consent-timeout", number(o.net.consent_ms, 0.001, huge, 1000.0)},
        {"--crypto-ms", number(o.crypto_ms, 0, huge)},
        {"--joined-sample", count(o.joined_sample, 1, protocol::max_joined_peers)},
        {"--full-mesh-max", count(o.room.full_mesh_max, 0, huge)},
        {"--degree", count(o.room.degree, 1, huge)},
        {"--degree-low", count(o.room.degree_low, 0, huge)},
        {"--degree-high", count(o.room.degree_high, 1, huge)},
        {"--eager-fanout", count(o.room.eager_fanout, 0, huge)},
        {"--label", [&o](const std::string& s) { return !(o.label = s).empty(); }},
        {"--json-out", [&o](const std::string& s) { return !(o.json_out = s).empty(); }},
    };
    const std::map<std::string, bool*> switches = {
        {"--check", &o.check},
        {"--json", &o.json},
        {"--verbose", &o.verbose},
    };
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") return std::string(usage_text);
        if (arg == "--no-header") {
            o.header = false;
            continue;
        }
        if (const auto s = switches.find(arg); s != switches.end()) {
            *s->second = true;
            continue;
        }
        const auto f = with_value.find(arg);
        if (f == with_value.end()) return "unknown option " + arg + "\n" + usage_text;
        if (i + 1 >= argc) return arg + " needs a value";
        const std::string value = argv[++i];
        if (!f->second(value)) return "bad value for " + arg + ": " + value;
    }
    if (o.room.degree_low > o.room.degree || o.room.degree > o.room.degree_high)
        return "need --degree-low <= --degree <= --degree-high";
    return o;
}

//-----------------------------------------------------------------------------------------------
// [SECTION] peers
//-----------------------------------------------------------------------------------------------

class Simulation;

enum class PeerState : std::uint8_t { waiting, online, vanished, left };

// One simulated phone running the app's engine.
struct Peer {
    Peer(Simulation& sim, Network& net, int index, std::string key_seed, std::uint64_t random_seed);
    Peer(const Peer&) = delete;
    Peer& operator=(const Peer&) = delete;

    Simulation& sim;
    int index;
    testing::OpenSslCrypto crypto;
    std::string id;
    SimRtc rtc;
    Rng random;
    RoomEngine engine;
    PeerState state = PeerState::waiting;
    double crypto_free_at = 0.0; // when its previous crypto operation completes

private:
    RoomCallbacks callbacks();
    RoomClock clock();
};

//-----------------------------------------------------------------------------------------------
// [SECTION] simulation
//-----------------------------------------------------------------------------------------------

// Frame types told apart in the byte counts (peer_protocol.hpp), "other" for the rest.
constexpr std::array<std::string_view, 13> frame_types = {
    "auth", "hello", "msg", "sync", "ack", "ihave", "iwant", "links", "signal", "presence",
    "ping", "pong", "other"};
constexpr std::size_t type_msg = 2, type_sync = 3, type_other = frame_types.size() - 1;
// Frames that exist because of chat messages: the message itself and its bookkeeping.
constexpr std::array<std::size_t, 5> message_types = {2, 3, 4, 5, 6}; // msg sync ack ihave iwant
using ByteCounts = std::array<std::uint64_t, frame_types.size()>;

// The frame's "type" (frames are nlohmann dumps with sorted keys: the top-level "type" is the
// last one in the text, after any nested object's).
std::size_t classify_frame(std::string_view text) {
    constexpr std::string_view key = "\"type\":\"";
    const auto at = text.rfind(key);
    if (at == std::string_view::npos) return type_other;
    const auto start = at + key.size();
    const auto end = text.find('"', start);
    if (end == std::string_view::npos) return type_other;
    const std::string_view type = text.substr(start, end - start);
    for (std::size_t i = 0; i < type_other; ++i)
        if (frame_types[i] == type) return i;
    return type_other;
}

// The message id in a msg or sync frame (the message object's only "id" key).
std::string_view frame_message_id(std::string_view text) {
    constexpr std::string_view key = "\"id\":\"";
    const auto at = text.find(key);
    if (at == std::string_view::npos) return {};
    const auto start = at + key.size();
    const auto end = text.find('"', start);
    return end == std::string_view::npos ? std::string_view() : text.substr(start, end - start);
}

// A measured chat message.
struct Tracked {
    std::string id;
    int author = 0;
    std::size_t phase = 0;
    double sent_at = 0.0;
    // Per peer (index):
    std::vector<char> online_at_send;
    std::vector<double> arrived_at;        // < 0: not (yet) stored
    std::vector<std::uint16_t> hops;       // from message_arrived
    std::vector<char> reported;            // message_arrived was called
    std::vector<std::uint16_t> wire_hops;  // hops of the first copy received (0: none yet)
    std::vector<std::uint32_t> copies;     // msg frames received
    std::vector<std::uint32_t> sync_copies;
};

struct Phase {
    std::string name;
    double start_ms = 0.0;
    double end_ms = 0.0; // next phase's start, or the end of the run
    ByteCounts bytes_at_start{};
    ByteCounts bytes_at_end{};
};

// One line of the report: one message phase of a run.
struct Row {
    std::string label;
    std::size_t peers = 0;
    std::size_t online = 0;   // at the end of the run
    std::size_t messages = 0; // sent in this phase
    // Delivery over the peers online at the end that were online when the message was sent.
    std::uint64_t expected = 0;
    std::uint64_t delivered = 0;
    // Time from send until 99 % of those peers stored the message: median and worst over the
    // phase's messages (infinite for a message that never got there; `t99_missed` counts them).
    double t99_p50_ms = 0.0;
    double t99_max_ms = 0.0;
    std::size_t t99_missed = 0;
    // Links crossed, over every first arrival.
    unsigned hops_p50 = 0, hops_p99 = 0, hops_max = 0;
    double hops_reported = 0.0; // share of arrivals whose hops came from message_arrived
    double hops_disagree = 0.0; // share of those where the simulator's count along the frames
                                // (sender's hops + 1 for the first copy received) differs
    // msg (and sync) frames received per arrival.
    double copies = 0.0;
    double sync_copies = 0.0;
    // Open links per peer at the end (engine view), and the most links other peers started to
    // one peer (transport view).
    double links_mean = 0.0;
    std::size_t links_min = 0, links_max = 0, in_degree_max = 0;
    // Data channel bytes per message per online peer during the phase: frames that exist for
    // messages (msg sync ack ihave iwant), and everything minus the background (pings, link
    // lists) measured in an equally long quiet window after the last phase.
    double message_bytes = 0.0;
    double net_bytes = 0.0;
    std::uint64_t phase_bytes = 0;
    double background_bytes = 0.0;
    // RTCPeerConnections created per peer that joined.
    double pcs_mean = 0.0;
    std::uint64_t pcs_max = 0;
    double sim_s = 0.0; // simulated seconds of the whole run, the quiet window included
};

double delivery_share(const Row& r) {
    return r.expected ? static_cast<double>(r.delivered) / static_cast<double>(r.expected) : 1.0;
}

// Bytes per message per online peer.
double bytes_divisor(const Row& r) {
    return static_cast<double>(std::max<std::size_t>(1, r.messages * r.online));
}

class Simulation final : public FrameObserver {
public:
    explicit Simulation(const Options& options);
    ~Simulation();
    Simulation(const Simulation&) = delete;
    Simulation& operator=(const Simulation&) = delete;

    void run();
    // One row per message phase, measured when the last phase ended.
    const std::vector<Row>& rows() const { return rows_; }
    ordered_json totals() const;
    std::uint64_t violations() const { return net_.violations; }
    const std::vector<std::string>& violation_samples() const { return net_.violation_samples; }
    std::uint64_t events() const { return queue_.executed(); }
    double crypto_wall_s() const { return crypto_wall_s_; }

    // ---- from the peers ----------------------------------------------------------------------
    EventQueue& queue() { return queue_; }
    const Options& options() const { return o_; }
    void post_crypto(Peer& peer, std::function<void()> task);
    void send_signal(Peer& peer, const std::string& to, const json& data);
    void history_changed(Peer& peer);
    void message_arrived(Peer& peer, const std::string& id, unsigned hops);
    void engine_error(const std::string& what) { ++engine_errors_[what]; }

    // ---- FrameObserver -----------------------------------------------------------------------
    std::uint64_t frame_sent(int from, std::string_view text) override;
    void frame_delivered(int to, std::uint64_t tag) override;

private:
    Peer& peer(int i) { return *peers_[static_cast<std::size_t>(i)]; }
    void join(int i);
    void tick(int i);
    void server_frame(int i, const std::string& frame);
    void stop_server();
    void churn();
    void send_message(std::size_t phase);
    void report_missing() const;
    std::vector<Row> measure();
    std::string default_label() const;
    void record_arrival(Tracked& t, int peer);
    int find_tracked(std::string_view id) const;
    std::vector<int> online() const;
    void note(const std::string& line) const;

    Options o_;
    EventQueue queue_;
    Rng rng_;
    Network net_;
    SimServer server_;
    RoomKeys keys_;
    std::vector<std::unique_ptr<Peer>> peers_;
    std::vector<Tracked> tracked_;
    std::vector<Phase> phases_;
    std::vector<Row> rows_;
    ByteCounts bytes_{};
    ByteCounts frames_{};
    double formed_at_ = 0.0;
    double background_bytes_per_ms_ = 0.0;
    std::uint64_t quiet_message_bytes_ = 0; // msg sync ack ihave iwant in the quiet window
    double open_links_at_formation_ = 0.0;
    std::size_t messages_skipped_ = 0; // no online peer to send from
    std::uint64_t server_frames_bad_ = 0;
    std::map<std::string, std::uint64_t> engine_errors_;
    double crypto_wall_s_ = 0.0;
};

// An open room's keys, computed at once with a synchronous provider.
RoomKeys open_room_keys(const std::string& name) {
    testing::OpenSslCrypto crypto;
    std::optional<RoomKeys> keys;
    derive_open_room(crypto, name, [&](std::optional<RoomKeys> k) { keys = std::move(k); });
    return *keys;
}

server::Limits server_limits(const Options& o) {
    server::Limits limits;
    limits.joined_sample = o.joined_sample;
    return limits;
}

Peer::Peer(Simulation& sim, Network& net, int index, std::string key_seed,
           std::uint64_t random_seed)
    : sim(sim), index(index), crypto(std::move(key_seed)), id(crypto.peer_id()), rtc(net, index),
      random(random_seed),
      engine(rtc, crypto, callbacks(), clock(),
             [this] { return static_cast<std::uint32_t>(random.next() >> 32); }, id,
             "phone " + std::to_string(index), sim.options().room) {
    rtc.events = &engine;
    crypto.set_defer(
        [this](std::function<void()> task) { this->sim.post_crypto(*this, std::move(task)); });
}

RoomCallbacks Peer::callbacks() {
    RoomCallbacks c;
    c.send_signal = [this](const std::string& to, const json& data) {
        sim.send_signal(*this, to, data);
    };
    c.history_changed = [this] { sim.history_changed(*this); };
    c.error = [this](const std::string&, const std::string& what) { sim.engine_error(what); };
    c.message_arrived = [this](const ChatMessage& m, unsigned hops) {
        sim.message_arrived(*this, m.id, hops);
    };
    return c;
}

RoomClock Peer::clock() {
    // Wall clock: a fixed date plus simulated time, so message timestamps repeat too.
    return RoomClock{[this] { return sim.queue().now(); },
                     [this] {
                         return std::int64_t{1'750'000'000'000} +
                                static_cast<std::int64_t>(sim.queue().now());
                     }};
}

Simulation::Simulation(const Options& options)
    : o_(options), rng_(options.seed), net_(queue_, rng_, options.net),
      server_(queue_, rng_.next(), server_limits(options),
              [this](int i, const std::string& frame) { server_frame(i, frame); }),
      keys_(open_room_keys("festival")) {
    net_.observer = this;
    peers_.reserve(o_.peers);
    for (std::size_t n = 0; n < o_.peers; ++n) {
        const int i = static_cast<int>(n);
        std::string key_seed(32, '\0');
        for (char& c : key_seed) c = static_cast<char>(rng_.next() & 0xff);
        peers_.push_back(std::make_unique<Peer>(*this, net_, i, std::move(key_seed), rng_.next()));
        net_.add(peer(i).rtc, peer(i).id);
        server_.add_client(i, rng_.uniform(10.0, 30.0));
        queue_.at(rng_.uniform(0.0, o_.join_spread_s * 1000.0), [this, i] { join(i); });
    }
    if (o_.server_stop_s >= 0) queue_.at(o_.server_stop_s * 1000.0, [this] { stop_server(); });
}

// The engines close their connections as they go; with every phone gone first, nobody looks up
// a partner that was destroyed before it.
Simulation::~Simulation() {
    for (const auto& p : peers_) p->rtc.alive = false;
}

void Simulation::note(const std::string& line) const {
    if (o_.verbose)
        std::cerr << "[" << static_cast<long long>(queue_.now() / 1000.0) << " s] " << line << "\n";
}

std::vector<int> Simulation::online() const {
    std::vector<int> out;
    for (const auto& p : peers_)
        if (p->state == PeerState::online) out.push_back(p->index);
    return out;
}

void Simulation::join(int i) {
    Peer& p = peer(i);
    p.state = PeerState::online;
    p.engine.enter_room(keys_);
    p.engine.restore_history(nullptr);
    server_.join(i, keys_.id, p.id, p.engine.name());
    queue_.after(rng_.uniform(0.0, o_.tick_ms), [this, i] { tick(i); });
}

void Simulation::tick(int i) {
    Peer& p = peer(i);
    if (p.state != PeerState::online) return;
    p.engine.tick();
    queue_.after(o_.tick_ms, [this, i] { tick(i); });
}

void Simulation::post_crypto(Peer& p, std::function<void()> task) {
    p.crypto_free_at = std::max(queue_.now(), p.crypto_free_at) + o_.crypto_ms;
    queue_.at(p.crypto_free_at, [this, &p, task = std::move(task)] {
        if (p.state == PeerState::vanished) return;
        const auto start = std::chrono::steady_clock::now();
        task();
        crypto_wall_s_ +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    });
}

void Simulation::send_signal(Peer& p, const std::string& to, const json& data) {
    if (p.state == PeerState::online) server_.signal(p.index, to, data.dump());
}

void Simulation::server_frame(int i, const std::string& frame) {
    Peer& p = peer(i);
    if (p.state != PeerState::online) return;
    protocol::Parsed<protocol::ServerMessage> parsed = protocol::parse_server(frame);
    if (!parsed.ok()) {
        ++server_frames_bad_;
        return;
    }
    if (!testing::to_engine(p.engine, *parsed.value))
        ++server_frames_bad_; // the room model sends nothing else
}

void Simulation::stop_server() {
    server_.stop();
    for (const int i : online()) peer(i).engine.on_signaling_lost();
    note("signaling server stopped");
}

void Simulation::churn() {
    std::vector<int> candidates = online();
    const auto count =
        static_cast<std::size_t>(std::llround(o_.churn * static_cast<double>(candidates.size())));
    for (std::size_t k = 0; k < count; ++k)
        std::swap(candidates[k], candidates[k + rng_.below(candidates.size() - k)]);
    for (std::size_t k = 0; k < count; ++k) {
        const int i = candidates[k];
        Peer& p = peer(i);
        if (o_.churn_leave) {
            p.engine.leave_room();
            server_.leave(i);
            p.state = PeerState::left;
            p.rtc.alive = false;
        } else {
            p.state = PeerState::vanished;
            net_.vanish(i);
            queue_.after(rng_.uniform(dead_socket_min_ms, dead_socket_max_ms),
                         [this, i] { server_.socket_dead(i); });
        }
    }
    note(std::to_string(count) + " peers " + (o_.churn_leave ? "left" : "vanished"));
}

void Simulation::send_message(std::size_t phase) {
    // Any online peer, joined or not: with the server stopped, chat goes on over the mesh.
    const std::vector<int> candidates = online();
    if (candidates.empty()) {
        ++messages_skipped_;
        return;
    }
    const int author = candidates[rng_.below(candidates.size())];
    const std::string text = "message " + std::to_string(tracked_.size() + 1) +
                             ": meet at the main stage after this set?";
    const SendResult sent = peer(author).engine.send(text);
    if (!sent.ok()) {
        ++messages_skipped_;
        return;
    }
    const std::size_t n = peers_.size();
    Tracked t;
    t.id = sent.id;
    t.author = author;
    t.phase = phase;
    t.sent_at = queue_.now();
    t.online_at_send.resize(n);
    for (std::size_t i = 0; i < n; ++i) t.online_at_send[i] = peers_[i]->state == PeerState::online;
    t.arrived_at.assign(n, -1.0);
    t.hops.assign(n, 0);
    t.reported.assign(n, 0);
    t.wire_hops.assign(n, 0);
    t.copies.assign(n, 0);
    t.sync_copies.assign(n, 0);
    tracked_.push_back(std::move(t));
}

void Simulation::run() {
    const double spread_end = o_.join_spread_s * 1000.0;
    queue_.run_until(spread_end);

    // Formation: wait until no connection is created and no channel opens or closes for
    // settle_s.
    const auto shape = [this] { return std::pair(net_.channel_changes, net_.connections_created); };
    auto last = shape();
    double t = spread_end, stable_since = t;
    const double cap = spread_end + o_.warmup_s * 1000.0;
    while (t < cap && t - stable_since < o_.settle_s * 1000.0) {
        t += 1000.0;
        queue_.run_until(t);
        if (shape() != last) {
            last = shape();
            stable_since = t;
        }
    }
    formed_at_ = t;
    std::size_t open_links = 0;
    const std::vector<int> up = online();
    for (const int i : up)
        for (const LinkInfo& l : peer(i).engine.peers()) open_links += l.state == LinkState::open;
    open_links_at_formation_ =
        up.empty() ? 0.0 : static_cast<double>(open_links) / static_cast<double>(up.size());
    note("mesh formed: " + std::to_string(net_.channels_open) + " open channels, " +
         std::to_string(net_.connections_created) + " connections created");

    // Message phases: one without churn; with churn, one right after it and one once healed.
    const double span = static_cast<double>(o_.messages) * o_.interval_s * 1000.0;
    std::vector<std::pair<std::string, double>> starts;
    if (o_.churn > 0) {
        churn();
        starts = {{"after churn", t + 1000.0},
                  {"healed", t + std::max(o_.churn_heal_s * 1000.0, span + 1000.0)}};
    } else {
        starts = {{"steady", t + 1000.0}};
    }
    const double end = starts.back().second + std::max(0.0, span - o_.interval_s * 1000.0) +
                       o_.drain_s * 1000.0;
    for (std::size_t ph = 0; ph < starts.size(); ++ph) {
        Phase phase;
        phase.name = starts[ph].first;
        phase.start_ms = starts[ph].second;
        phase.end_ms = ph + 1 < starts.size() ? starts[ph + 1].second : end;
        phases_.push_back(phase);
        // Posted before the sends, so the snapshot at the start precedes the first message.
        queue_.at(phase.start_ms, [this, ph] { phases_[ph].bytes_at_start = bytes_; });
        queue_.at(phase.end_ms, [this, ph] { phases_[ph].bytes_at_end = bytes_; });
        for (std::size_t k = 0; k < o_.messages; ++k)
            queue_.at(phase.start_ms + static_cast<double>(k) * o_.interval_s * 1000.0,
                      [this, ph] { send_message(ph); });
    }
    queue_.run_until(end);
    note("done: " + std::to_string(tracked_.size()) + " messages sent");
    report_missing();
    rows_ = measure();

    // The background: as long again without messages, on the mesh the messages crossed.
    const ByteCounts before = bytes_;
    const double quiet = phases_.back().end_ms - phases_.back().start_ms;
    queue_.run_until(end + quiet);
    std::uint64_t background = 0;
    for (std::size_t type = 0; type < frame_types.size(); ++type)
        background += bytes_[type] - before[type];
    for (const std::size_t type : message_types)
        quiet_message_bytes_ += bytes_[type] - before[type];
    background_bytes_per_ms_ = quiet > 0 ? static_cast<double>(background) / quiet : 0.0;
    for (std::size_t ph = 0; ph < phases_.size(); ++ph) {
        Row& r = rows_[ph];
        r.background_bytes = background_bytes_per_ms_ * (phases_[ph].end_ms - phases_[ph].start_ms);
        r.net_bytes = (static_cast<double>(r.phase_bytes) - r.background_bytes) / bytes_divisor(r);
        r.sim_s = queue_.now() / 1000.0;
    }
}

// --verbose: who missed which message (the first ten such messages), with the links it had at
// the end.
void Simulation::report_missing() const {
    if (!o_.verbose) return;
    std::size_t lines = 0;
    for (std::size_t k = 0; k < tracked_.size() && lines < 10; ++k) {
        const Tracked& t = tracked_[k];
        std::string line;
        std::size_t missing = 0;
        for (const auto& p : peers_) {
            const auto i = static_cast<std::size_t>(p->index);
            if (p->index == t.author || !t.online_at_send[i] || p->state != PeerState::online ||
                t.arrived_at[i] >= 0)
                continue;
            if (++missing > 8) continue;
            std::size_t open = 0;
            for (const LinkInfo& l : p->engine.peers()) open += l.state == LinkState::open;
            line += " " + std::to_string(p->index) + "(" + std::to_string(open) + " links)";
        }
        if (missing > 0 && ++lines)
            note("message " + std::to_string(k + 1) + " from phone " + std::to_string(t.author) +
                 " missed by " + std::to_string(missing) + ":" + line +
                 (missing > 8 ? " ..." : ""));
    }
}

//-----------------------------------------------------------------------------------------------
// [SECTION] measurements
//-----------------------------------------------------------------------------------------------

int Simulation::find_tracked(std::string_view id) const {
    if (id.empty()) return -1;
    for (std::size_t k = tracked_.size(); k-- > 0;)
        if (tracked_[k].id == id) return static_cast<int>(k);
    return -1;
}

void Simulation::record_arrival(Tracked& t, int i) {
    t.arrived_at[static_cast<std::size_t>(i)] = queue_.now();
}

// Every change of a peer's log: a tracked message it did not hold may have been stored (by
// whatever path: live, relayed, reconciled).
void Simulation::history_changed(Peer& p) {
    if (tracked_.empty() || p.state != PeerState::online) return;
    const auto i = static_cast<std::size_t>(p.index);
    for (Tracked& t : tracked_)
        if (t.author != p.index && t.arrived_at[i] < 0 && p.engine.log().contains(t.id))
            record_arrival(t, p.index);
}

void Simulation::message_arrived(Peer& p, const std::string& id, unsigned hops) {
    const int k = find_tracked(id);
    if (k < 0) return;
    Tracked& t = tracked_[static_cast<std::size_t>(k)];
    const auto i = static_cast<std::size_t>(p.index);
    t.hops[i] = static_cast<std::uint16_t>(std::min(hops, 65535u));
    t.reported[i] = 1;
    if (t.arrived_at[i] < 0) record_arrival(t, p.index);
}

std::uint64_t Simulation::frame_sent(int from, std::string_view text) {
    const std::size_t type = classify_frame(text);
    bytes_[type] += text.size();
    ++frames_[type];
    if (tracked_.empty() || (type != type_msg && type != type_sync)) return 0;
    const int k = find_tracked(frame_message_id(text));
    if (k < 0) return 0;
    // The copy's hops: the sender's own (0 for the author) plus this link.
    const Tracked& t = tracked_[static_cast<std::size_t>(k)];
    const auto f = static_cast<std::size_t>(from);
    const unsigned sender = from == t.author ? 0u : (t.reported[f] ? t.hops[f] : t.wire_hops[f]);
    return (static_cast<std::uint64_t>(k + 1) << 32) |
           (static_cast<std::uint64_t>(sender + 1) << 1) |
           (type == type_sync ? 1u : 0u);
}

void Simulation::frame_delivered(int to, std::uint64_t tag) {
    if (tag == 0) return;
    Tracked& t = tracked_[(tag >> 32) - 1];
    const auto i = static_cast<std::size_t>(to);
    ++((tag & 1) ? t.sync_copies : t.copies)[i];
    if (t.wire_hops[i] == 0) t.wire_hops[i] = static_cast<std::uint16_t>((tag & 0xffffffffu) >> 1);
}

// "full" or "d6/4-12/f3" (degree, low-high, eager fanout), then the churn, if any.
std::string Simulation::default_label() const {
    const RoomParams& r = o_.room;
    // The engine caps a full mesh at max_room_links + 1 members (RoomEngine's constructor).
    std::string label = std::min(r.full_mesh_max, max_room_links + 1) >= o_.peers
                            ? std::string("full")
                            : "d" + std::to_string(r.degree) + "/" + std::to_string(r.degree_low) +
                                  "-" + std::to_string(r.degree_high) + "/f" +
                                  std::to_string(r.eager_fanout);
    if (o_.churn > 0)
        label += std::string(o_.churn_leave ? " leave" : " vanish") +
                 std::to_string(std::lround(o_.churn * 100)) + "%";
    return label;
}

// Nearest-rank percentile of a sorted, non-empty list.
template <class T> T percentile(const std::vector<T>& sorted, double p) {
    const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
    return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

// Everything but the background, which the quiet window after the phases gives.
std::vector<Row> Simulation::measure() {
    const std::vector<int> up = online();
    const std::size_t n = peers_.size();

    // Links at the end (the same for every phase).
    std::vector<std::size_t> links, in_degree(n, 0);
    for (const int i : up) {
        std::size_t open = 0;
        for (const LinkInfo& l : peer(i).engine.peers()) open += l.state == LinkState::open;
        links.push_back(open);
        // Transport view: a connected link counts for the side that did not create it first.
        peer(i).rtc.for_each_pc([&](const Pc& pc) {
            if (!pc.channel_open || !pc.connected) return;
            const std::shared_ptr<Pc> other = net_.rtc(pc.remote).find(i);
            if (!other || !other->channel_open || !other->current_remote ||
                other->current_remote->inst != pc.inst)
                return;
            if (std::pair(other->created_at, other->inst) < std::pair(pc.created_at, pc.inst))
                ++in_degree[static_cast<std::size_t>(i)];
        });
    }
    std::vector<std::uint64_t> pcs;
    for (const auto& p : peers_)
        if (p->state != PeerState::waiting) pcs.push_back(p->rtc.created);

    std::vector<Row> out;
    for (std::size_t ph = 0; ph < phases_.size(); ++ph) {
        const Phase& phase = phases_[ph];
        Row r;
        r.label = (o_.label.empty() ? default_label() : o_.label) + " " + phase.name;
        r.peers = n;
        r.online = up.size();
        std::vector<double> t99;
        std::vector<unsigned> hops;
        std::uint64_t reported = 0, disagree = 0, copies = 0, sync_copies = 0;
        for (const Tracked& t : tracked_) {
            if (t.phase != ph) continue;
            ++r.messages;
            std::vector<double> delays;
            std::size_t expected = 0;
            for (const int i : up) {
                const auto u = static_cast<std::size_t>(i);
                if (i == t.author || !t.online_at_send[u]) continue;
                ++expected;
                if (t.arrived_at[u] < 0) continue;
                delays.push_back(t.arrived_at[u] - t.sent_at);
                hops.push_back(t.reported[u] ? t.hops[u] : t.wire_hops[u]);
                reported += t.reported[u] != 0;
                disagree += t.reported[u] && t.hops[u] != t.wire_hops[u];
                copies += t.copies[u];
                sync_copies += t.sync_copies[u];
            }
            r.expected += expected;
            r.delivered += delays.size();
            std::sort(delays.begin(), delays.end());
            const auto need =
                static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(expected)));
            if (need == 0) t99.push_back(0.0);
            else if (delays.size() >= need) t99.push_back(delays[need - 1]);
            else {
                t99.push_back(std::numeric_limits<double>::infinity());
                ++r.t99_missed;
            }
        }
        std::sort(t99.begin(), t99.end());
        std::sort(hops.begin(), hops.end());
        if (!t99.empty()) {
            r.t99_p50_ms = percentile(t99, 0.5);
            r.t99_max_ms = t99.back();
        }
        if (!hops.empty()) {
            r.hops_p50 = percentile(hops, 0.5);
            r.hops_p99 = percentile(hops, 0.99);
            r.hops_max = hops.back();
            r.hops_reported = static_cast<double>(reported) / static_cast<double>(hops.size());
            r.hops_disagree =
                reported ? static_cast<double>(disagree) / static_cast<double>(reported) : 0.0;
            r.copies = static_cast<double>(copies) / static_cast<double>(hops.size());
            r.sync_copies = static_cast<double>(sync_copies) / static_cast<double>(hops.size());
        }
        if (!links.empty()) {
            std::size_t sum = 0;
            for (const std::size_t l : links) sum += l;
            r.links_mean = static_cast<double>(sum) / static_cast<double>(links.size());
            r.links_min = *std::min_element(links.begin(), links.end());
            r.links_max = *std::max_element(links.begin(), links.end());
        }
        r.in_degree_max = *std::max_element(in_degree.begin(), in_degree.end());
        std::uint64_t message_bytes = 0;
        for (const std::size_t type : message_types)
            message_bytes += phase.bytes_at_end[type] - phase.bytes_at_start[type];
        for (std::size_t type = 0; type < frame_types.size(); ++type)
            r.phase_bytes += phase.bytes_at_end[type] - phase.bytes_at_start[type];
        r.message_bytes = static_cast<double>(message_bytes) / bytes_divisor(r);
        if (!pcs.empty()) {
            std::uint64_t sum = 0;
            for (const std::uint64_t c : pcs) sum += c;
            r.pcs_mean = static_cast<double>(sum) / static_cast<double>(pcs.size());
            r.pcs_max = *std::max_element(pcs.begin(), pcs.end());
        }
        out.push_back(r);
    }
    return out;
}

// Three decimals (`scale` 1000), so JSON shows 0.051 and not 0.051000000000000004.
double rounded(double v, double scale = 1000.0) {
    return std::isfinite(v) ? std::round(v * scale) / scale : v;
}

// The engine's counters, summed over the peers in the JSON totals.
constexpr std::pair<const char*, std::uint64_t RoomStats::*> stat_fields[] = {
    {"frames_dropped", &RoomStats::frames_dropped},
    {"forged_dropped", &RoomStats::forged_dropped},
    {"signatures_dropped", &RoomStats::signatures_dropped},
    {"proofs_failed", &RoomStats::proofs_failed},
    {"unproven_dropped", &RoomStats::unproven_dropped},
    {"sync_dropped", &RoomStats::sync_dropped},
    {"clock_dropped", &RoomStats::clock_dropped},
    {"duplicates", &RoomStats::duplicates},
    {"signals_dropped", &RoomStats::signals_dropped},
    {"signals_ignored", &RoomStats::signals_ignored},
    {"signals_stale", &RoomStats::signals_stale},
    {"errors_swallowed", &RoomStats::errors_swallowed},
    {"errors_reported", &RoomStats::errors_reported},
    {"relayed", &RoomStats::relayed},
    {"announced", &RoomStats::announced},
    {"fetched", &RoomStats::fetched},
    {"signals_routed", &RoomStats::signals_routed},
    {"signals_unroutable", &RoomStats::signals_unroutable},
    {"links_shed", &RoomStats::links_shed},
    {"links_refused_busy", &RoomStats::links_refused_busy},
    {"links_timed_out", &RoomStats::links_timed_out},
    {"presence_announced", &RoomStats::presence_announced},
    {"presence_relayed", &RoomStats::presence_relayed},
    {"presence_dropped", &RoomStats::presence_dropped},
};

ordered_json Simulation::totals() const {
    std::map<std::string, std::uint64_t> sum;
    std::uint64_t crypto_ops = 0, joined = 0, bytes_sum = 0, bytes_max = 0, frames_sum = 0,
                  frames_max = 0;
    for (const auto& p : peers_) {
        if (p->state == PeerState::waiting) continue;
        ++joined;
        crypto_ops += p->crypto.operations;
        bytes_sum += p->rtc.bytes_sent;
        bytes_max = std::max(bytes_max, p->rtc.bytes_sent);
        frames_sum += p->rtc.frames_sent;
        frames_max = std::max(frames_max, p->rtc.frames_sent);
        const RoomStats& s = p->engine.stats();
        for (const auto& [name, field] : stat_fields) sum[name] += s.*field;
    }
    ordered_json bytes = ordered_json::object(), frames = ordered_json::object();
    for (std::size_t type = 0; type < frame_types.size(); ++type) {
        bytes[std::string(frame_types[type])] = bytes_[type];
        frames[std::string(frame_types[type])] = frames_[type];
    }
    ordered_json errors = ordered_json::object();
    for (const auto& [what, count] : engine_errors_) errors[what] = count;
    const double per_peer = static_cast<double>(std::max<std::uint64_t>(joined, 1));
    return ordered_json{
        {"sim_s", rounded(queue_.now() / 1000.0)},
        {"events", queue_.executed()},
        {"formed_at_s", rounded(formed_at_ / 1000.0)},
        {"open_links_at_formation", rounded(open_links_at_formation_)},
        {"background_bytes_per_s", rounded(background_bytes_per_ms_ * 1000.0)},
        {"quiet_message_bytes", quiet_message_bytes_},
        {"messages_skipped", messages_skipped_},
        {"crypto_ops_per_peer", rounded(static_cast<double>(crypto_ops) / per_peer)},
        {"crypto_model_ms_per_peer",
         rounded(static_cast<double>(crypto_ops) * o_.crypto_ms / per_peer)},
        {"violations", net_.violations},
        {"violation_samples", net_.violation_samples},
        {"connections_created", net_.connections_created},
        {"channels_open_at_end", net_.channels_open},
        {"frames_lost", net_.frames_lost},
        {"retransmissions", net_.retransmissions},
        {"data_bytes_sent_per_peer",
         {{"mean", rounded(static_cast<double>(bytes_sum) / per_peer)}, {"max", bytes_max}}},
        {"data_frames_sent_per_peer",
         {{"mean", rounded(static_cast<double>(frames_sum) / per_peer)}, {"max", frames_max}}},
        {"data_bytes_by_type", bytes},
        {"data_frames_by_type", frames},
        {"server",
         {{"frames_to_clients", server_.frames_to_clients},
          {"bytes_to_clients", server_.bytes_to_clients},
          {"signals_relayed", server_.signals_relayed},
          {"refused", server_.refused},
          {"members_at_end", server_.members()},
          {"frames_unparsed", server_frames_bad_}}},
        {"engine_errors", errors},
        {"engine_stats", sum},
    };
}

//-----------------------------------------------------------------------------------------------
// [SECTION] report
//-----------------------------------------------------------------------------------------------

ordered_json row_json(const Row& r) {
    return ordered_json{
        {"label", r.label},
        {"peers", r.peers},
        {"online", r.online},
        {"messages", r.messages},
        {"expected", r.expected},
        {"delivered", r.delivered},
        {"delivery", rounded(delivery_share(r), 1e6)},
        {"t99_p50_ms", rounded(r.t99_p50_ms)},
        {"t99_max_ms", rounded(r.t99_max_ms)},
        {"t99_missed", r.t99_missed},
        {"hops_p50", r.hops_p50},
        {"hops_p99", r.hops_p99},
        {"hops_max", r.hops_max},
        {"hops_reported", rounded(r.hops_reported)},
        {"hops_disagree", rounded(r.hops_disagree)},
        {"copies", rounded(r.copies)},
        {"sync_copies", rounded(r.sync_copies)},
        {"links_mean", rounded(r.links_mean)},
        {"links_min", r.links_min},
        {"links_max", r.links_max},
        {"in_degree_max", r.in_degree_max},
        {"message_bytes_per_msg_peer", rounded(r.message_bytes)},
        {"net_bytes_per_msg_peer", rounded(r.net_bytes)},
        {"phase_bytes", r.phase_bytes},
        {"background_bytes", rounded(r.background_bytes)},
        {"pcs_mean", rounded(r.pcs_mean)},
        {"pcs_max", r.pcs_max},
        {"sim_s", rounded(r.sim_s)},
    };
}

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
    char buffer[512];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(buffer, sizeof buffer, fmt, args);
    va_end(args);
    return buffer;
}

std::string ms_text(double ms) { return std::isfinite(ms) ? format("%.0f", ms) : "never"; }

std::string table_header() {
    return format("%-34s %5s %6s %8s %7s %7s %7s %6s %6s %14s %5s %8s %8s %9s %6s",
                  "scenario", "N", "online", "deliv%", "t99p50", "t99max", "hops", "copies", "sync",
                  "links avg/min/max", "indeg", "B/msg/pr", "net B", "PCs avg/max", "sim_s") +
           format("\n%-34s %5s %6s %8s %7s %7s %7s %6s %6s %14s %5s %8s %8s %9s %6s", "", "", "",
                  "", "ms", "ms", "p50/p99", "/peer", "/peer", "", "max", "msg", "-backgr", "", "");
}

std::string table_row(const Row& r) {
    return format("%-34s %5zu %6zu %8.3f %7s %7s %7s %6.2f %6.2f %14s %5zu %8.0f %8.0f %9s %6.0f",
                  r.label.c_str(), r.peers, r.online, 100.0 * delivery_share(r),
                  ms_text(r.t99_p50_ms).c_str(),
                  ms_text(r.t99_max_ms).c_str(),
                  (std::to_string(r.hops_p50) + "/" + std::to_string(r.hops_p99)).c_str(), r.copies,
                  r.sync_copies,
                  format("%.1f/%zu/%zu", r.links_mean, r.links_min, r.links_max).c_str(),
                  r.in_degree_max, r.message_bytes, r.net_bytes,
                  format("%.1f/%llu", r.pcs_mean, static_cast<unsigned long long>(r.pcs_max))
                      .c_str(),
                  r.sim_s);
}

ordered_json options_json(const Options& o) {
    return ordered_json{
        {"peers", o.peers},
        {"messages", o.messages},
        {"interval_s", o.interval_s},
        {"seed", o.seed},
        {"join_spread_s", o.join_spread_s},
        {"warmup_s", o.warmup_s},
        {"settle_s", o.settle_s},
        {"drain_s", o.drain_s},
        {"churn", o.churn},
        {"churn_mode", o.churn_leave ? "leave" : "vanish"},
        {"churn_heal_s", o.churn_heal_s},
        {"server_stop_s", o.server_stop_s},
        {"loss", o.net.loss},
        {"consent_ms", o.net.consent_ms},
        {"crypto_ms", o.crypto_ms},
        {"joined_sample", o.joined_sample},
        {"full_mesh_max", o.room.full_mesh_max},
        {"degree", o.room.degree},
        {"degree_low", o.room.degree_low},
        {"degree_high", o.room.degree_high},
        {"eager_fanout", o.room.eager_fanout},
        {"max_room_links", max_room_links},
    };
}

} // namespace
} // namespace peddlenet::sim

//-----------------------------------------------------------------------------------------------
// [SECTION] main
//-----------------------------------------------------------------------------------------------

int main(int argc, char** argv) {
    using namespace peddlenet::sim;
    auto parsed = parse_options(argc, argv);
    if (const auto* text = std::get_if<std::string>(&parsed)) {
        const bool help = text->rfind("mesh_sim:", 0) == 0;
        (help ? std::cout : std::cerr) << *text << (help ? "" : "\n");
        return help ? 0 : 2;
    }
    const Options& o = std::get<Options>(parsed);

    const auto wall_start = std::chrono::steady_clock::now();
    Simulation sim(o);
    sim.run();
    const std::vector<Row>& rows = sim.rows();
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

    ordered_json document{
        {"options", options_json(o)}, {"rows", ordered_json::array()}, {"totals", sim.totals()}};
    for (const Row& r : rows) document["rows"].push_back(row_json(r));
    if (!o.json_out.empty()) {
        std::ofstream file(o.json_out);
        file << document.dump(2) << "\n";
        if (!file) {
            std::cerr << "mesh_sim: cannot write " << o.json_out << "\n";
            return 2;
        }
    }
    if (o.json) {
        std::cout << document.dump(2) << "\n";
    } else {
        if (o.header) std::cout << table_header() << "\n";
        for (const Row& r : rows) std::cout << table_row(r) << "\n";
    }
    std::cout.flush();
    for (const std::string& v : sim.violation_samples()) std::cerr << "violation: " << v << "\n";
    // Wall-clock figures vary between runs: stderr, so stdout stays identical for one seed.
    std::cerr << format("  wall %.1f s for %.0f simulated s, %.2f M events, crypto tasks %.1f s\n",
                        wall_s, rows.empty() ? 0.0 : rows.front().sim_s,
                        static_cast<double>(sim.events()) / 1e6, sim.crypto_wall_s());

    if (o.check) {
        bool ok = sim.violations() == 0;
        if (o.churn == 0)
            for (const Row& r : rows) ok = ok && r.delivered == r.expected && r.expected > 0;
        if (!ok) std::cerr << "mesh_sim --check: FAILED\n";
        return ok ? 0 : 1;
    }
    return 0;
}
