// session.cpp: see session.hpp.
#include "app/session.hpp"

#include "app/language.hpp"

#include "core/base64url.hpp"
#include "core/identity.hpp"
#include "core/ice_servers.hpp"
#include "core/text.hpp"
#include "core/verify_code.hpp"
#include "platform/main_loop.hpp"
#include "platform/network.hpp"
#include "platform/storage.hpp"

#include <emscripten/emscripten.h>
#include <sys/random.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace peddlenet::app {
namespace {

// localStorage keys.
constexpr const char* key_name = "peddlenet.name";
constexpr const char* key_room = "peddlenet.room";       // {"name", "key"?: base64url}
constexpr const char* key_ice = "peddlenet.ice-servers";
constexpr const char* key_relay_only = "peddlenet.relay-only";
constexpr const char* key_verified = "peddlenet.verified"; // {peer id: name when verified}

std::map<std::string, std::string> load_verified() {
    std::map<std::string, std::string> verified;
    const auto text = platform::local_get(key_verified);
    const nlohmann::json doc = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
    if (!doc.is_object()) return verified;
    for (const auto& [peer, name] : doc.items()) {
        if (is_peer_key_id(peer) && name.is_string()) verified.emplace(peer, name.get<std::string>());
    }
    return verified;
}

// "3fa2 9c01 ..." : the first 16 bytes of a SHA-256 in groups of two bytes.
std::string group_hex(std::string_view digest) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < 16 && i < digest.size(); ++i) {
        if (i > 0 && i % 2 == 0) out += ' ';
        const auto byte = static_cast<unsigned char>(digest[i]);
        out += hex[byte >> 4];
        out += hex[byte & 15];
    }
    return out;
}

std::string load_name() {
    const auto saved = platform::local_get(key_name);
    if (!saved) return {};
    const Checked checked = check_chat_name(*saved);
    return checked.ok() ? checked.value : std::string();
}

// The history keeper's stores on the browser's: room history in IndexedDB, the backup of own
// messages in localStorage. Stateless, so one of each serves the page.
class IndexedDbStore final : public DurableStore {
public:
    void get(const std::string& key,
             std::function<void(std::optional<std::string> value)> done) override {
        platform::history_get(key, std::move(done));
    }
    void put(const std::string& key, const std::string& value,
             std::function<void(bool ok, const std::string& error)> done) override {
        platform::history_put(key, value, std::move(done));
    }
} indexed_db;

class LocalStorageStore final : public BackupStore {
public:
    std::optional<std::string> get(const std::string& key) const override {
        return platform::local_get(key);
    }
    void set(const std::string& key, const std::string& value) override {
        platform::local_set(key, value);
    }
    void remove(const std::string& key) override { platform::local_remove(key); }
} local_storage;

double now_ms() {
    return emscripten_get_now();
}

// performance.timeOrigin + performance.now(): comparable across pages of one machine.
double epoch_ms() {
    static const double time_origin = EM_ASM_DOUBLE({ return performance.timeOrigin; });
    return time_origin + emscripten_get_now();
}

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

std::uint32_t secure_random() {
    std::uint32_t value = 0;
    getentropy(&value, sizeof value); // crypto.getRandomValues underneath
    return value;
}

ChatSession::ChatSession(Events events, const platform::IdentityResult& identity)
    : events_(std::move(events)),
      history_(indexed_db, local_storage,
               HistoryKeeperCallbacks{
                   [this] { return engine_.history_json(); },
                   [this](const nlohmann::json& stored) {
                       merging_stored_ = true;
                       const ChatLog::MergeResult result = engine_.restore_history(stored);
                       merging_stored_ = false;
                       return result;
                   },
                   [this] { return engine_.messages().size(); },
                   [] { platform::refresh(); },
                   [](const std::string& error) {
                       emscripten_log(EM_LOG_WARN, "PeddleNet: history not saved: %s",
                                      error.c_str());
                   }},
               HistoryClock{now_ms,
                            [this](double ms) { platform::run_after(ms, [this] { tick(); }); }}),
      engine_(rtc_, crypto_,
              RoomCallbacks{
                  [this](const std::string& to, const nlohmann::json& data) {
                      socket_.send(protocol::build_signal(to, data.dump()));
                  },
                  [this] {
                      note_arrivals();
                      history_.on_log_changed();
                      platform::refresh();
                  },
                  [this] { on_peers_changed(); },
                  [](const std::string& peer, const std::string& what) {
                      emscripten_log(EM_LOG_WARN, "PeddleNet: link %s: %s", peer.c_str(), what.c_str());
                  },
                  {},
                  [this](const std::string& to, const nlohmann::json& data) {
                      return pairing_send_signal(to, data);
                  },
                  [this](const std::string& hash) { photos_.load(hash); },
                  [this](const std::string& hash, const std::shared_ptr<const std::string>& bytes) {
                      photos_.fetched(hash, bytes);
                  }},
              RoomClock{now_ms, wall_ms}, secure_random, base64url_encode(identity.public_key), load_name()),
      photos_(engine_, crypto_),
      socket_([this] { tick(); }), // schedules the reconnect timer
      signaling_(socket_, engine_,
                 SignalingCallbacks{
                     [this](const std::string& room) {
                         if (events_.joined) events_.joined(room);
                         platform::refresh();
                     },
                     [this](const std::string& code, const std::string& message) {
                         emscripten_log(EM_LOG_WARN, "PeddleNet: server said %s: %s", code.c_str(),
                                        message.c_str());
                         if (code == "replaced" && events_.problem) {
                             events_.problem(tr("room.tab_replaced"));
                         }
                         platform::refresh();
                     },
                     [] { platform::refresh(); },
                     [this](const std::string& payload, std::function<void(std::string)> done) {
                         crypto_.sign(payload, [done = std::move(done)](std::optional<std::string> sig) {
                             done(sig ? base64url_encode(*sig) : std::string());
                         });
                     },
                     [this](const nlohmann::json& servers, std::int64_t expires_unix) {
                         box_ice_ = servers;
                         box_ice_expires_ = expires_unix;
                         apply_ice_servers();
                         platform::refresh();
                     }},
                 secure_random, now_ms),
      pairing_(pairing_rtc_,
               PairingCallbacks{[] { platform::refresh(); },
                                [this](const PairedPeer& peer) { pairing_met(peer); },
                                [this](const std::string& from, const nlohmann::json& data) {
                                    engine_.on_signal(from, data);
                                }},
               now_ms),
      identity_ephemeral_(identity.ephemeral),
      verified_(load_verified()) {
    crypto_.sha256(identity.public_key, [this](std::optional<std::string> digest) {
        if (digest) identity_fingerprint_ = group_hex(*digest);
        platform::refresh();
    });
    rtc_.attach(&engine_);
    pairing_rtc_.attach(&pairing_);
    socket_.attach(&signaling_);
    has_saved_name_ = !engine_.name().empty() && platform::local_get(key_name).has_value();
    if (const auto ice = platform::local_get(key_ice)) set_ice_servers(*ice);
    set_relay_only(platform::local_get(key_relay_only) == std::optional<std::string>("1"));
}

std::string ChatSession::set_ice_servers(const std::string& text) {
    IceServersParse parsed = parse_ice_servers(text);
    if (!parsed.ok()) return tr(parsed.error);
    user_ice_ = std::move(parsed.servers);
    apply_ice_servers();
    ice_servers_text_ = text;
    platform::local_set(key_ice, text);
    return {};
}

void ChatSession::apply_ice_servers() {
    nlohmann::json all = user_ice_;
    for (const nlohmann::json& s : box_ice_) all.push_back(s);
    platform::BrowserRtc::set_ice_servers(all.dump());
}

void ChatSession::set_relay_only(bool relay_only) {
    relay_only_ = relay_only;
    platform::BrowserRtc::set_relay_only(relay_only);
    platform::local_set(key_relay_only, relay_only ? "1" : "0");
}

void ChatSession::start(const std::string& signaling_url) {
    signaling_.start(signaling_url);
    photos_.start();
    platform::on_network_change([this] {
        engine_.on_network_changed();
        tick();
    });
    tick();
}

std::string ChatSession::set_name(const std::string& name) {
    const Checked checked = check_chat_name(name);
    if (!checked.ok()) return tr(checked.error);
    if (const i18n::Message error = engine_.set_name(checked.value); !error.empty()) return tr(error);
    platform::local_set(key_name, checked.value);
    has_saved_name_ = true;
    return {};
}

SendResult ChatSession::send(const std::string& text) {
    SendResult result = engine_.send(text);
    if (const ChatMessage* sent = result.ok() ? engine_.log().find(result.id) : nullptr) {
        history_.on_own_message(*sent);
    }
    return result;
}

std::optional<RoomRef> ChatSession::saved_room() const {
    const auto text = platform::local_get(key_room);
    if (!text) return std::nullopt;
    const nlohmann::json doc = nlohmann::json::parse(*text, nullptr, false);
    if (!doc.is_object()) {
        // Saved by a version before private rooms: the bare name of an open room.
        if (is_valid_id(*text)) return RoomRef{*text, {}};
        return std::nullopt;
    }
    const auto name = doc.find("name");
    if (name == doc.end() || !name->is_string() || !is_valid_id(name->get<std::string>())) return std::nullopt;
    RoomRef room{name->get<std::string>(), {}};
    if (const auto key = doc.find("key"); key != doc.end()) {
        const auto raw = key->is_string() ? base64url_decode(key->get<std::string>()) : std::nullopt;
        if (!raw || raw->size() != room_key_bytes) return std::nullopt;
        room.key = *raw;
    }
    return room;
}

bool ChatSession::enter(const RoomRef& room) {
    if (room_ == room) return true;
    if (!is_valid_id(room.name) || (room.is_private() && room.key.size() != room_key_bytes)) return false;
    if (room_) leave();
    room_ = room;
    nlohmann::json saved = {{"name", room.name}};
    if (room.is_private()) saved["key"] = base64url_encode(room.key);
    platform::local_set(key_room, saved.dump());
    const std::uint64_t generation = ++enter_generation_;
    auto done = [this, generation](std::optional<RoomKeys> keys) { on_keys_derived(generation, std::move(keys)); };
    if (room.is_private()) {
        derive_private_room(crypto_, room.key, std::move(done));
    } else {
        derive_open_room(crypto_, room.name, std::move(done));
    }
    return true;
}

void ChatSession::when_entered(std::function<void(const std::string& room_id)> done) {
    if (engine_.room()) return done(*engine_.room());
    if (room_) entered_waiters_.push_back(std::move(done));
}

void ChatSession::on_keys_derived(std::uint64_t generation, std::optional<RoomKeys> keys) {
    if (generation != enter_generation_) return; // left (or switched) meanwhile
    if (!keys) {
        if (events_.problem) events_.problem(tr("room.keys_failed"));
        return;
    }
    const std::string room_id = keys->id;
    // Reads the stored history; before enter_room, whose emptied log must not be saved over it.
    history_.enter(room_id);
    engine_.enter_room(std::move(*keys));
    // Join at once and read the history meanwhile (tens of ms in IndexedDB, as long as half the
    // connection): the engine holds reconciliation back until the history is in.
    engine_.await_history();
    signaling_.join(room_id, engine_.name());
    for (auto& waiter : std::exchange(entered_waiters_, {})) waiter(room_id);
    check_pairing(); // a paired peer met before the room was in place
}

std::string ChatSession::pairing_session() {
    if (!engine_.session().empty()) return engine_.session();
    if (pairing_session_.empty()) pairing_session_ = make_random_id(secure_random);
    return pairing_session_;
}

std::string ChatSession::start_pairing() {
    if (!room_ || !room_->is_private()) return tr("pair.needs_private_room");
    paired_with_.reset();
    pairing_.offer({room_->name, room_->key}, {peer_id(), name(), pairing_session()});
    return {};
}

std::string ChatSession::accept_pairing_offer(const std::string& code) {
    paired_with_.reset();
    const std::optional<PairingRoom> room = pairing_.accept_offer(code, {});
    if (!room) return tr(pairing_.error());
    const RoomRef ref{room->name, room->key};
    if (!room_ || !(*room_ == ref)) {
        if (room_) leave();
        pairing_session_.clear(); // the old room's
        enter(ref);
    }
    // Who we are in our hello: the session our engine will use in this room.
    pairing_.set_self({peer_id(), name(), pairing_session()});
    return {};
}

std::string ChatSession::accept_pairing_answer(const std::string& code) {
    return tr(pairing_.accept_answer(code));
}

void ChatSession::cancel_pairing() {
    if (pairing_.peer()) engine_.aside_gone(pairing_.peer()->peer);
    pairing_.cancel();
    pairing_pending_.reset();
}

bool ChatSession::pairing_send_signal(const std::string& to, const nlohmann::json& data) {
    return pairing_.peer() && pairing_.peer()->peer == to && pairing_.send_signal(data);
}

void ChatSession::pairing_met(const PairedPeer& peer) {
    pairing_pending_ = peer;
    check_pairing();
}

// Introduces the paired peer once our room is in place, and closes the bootstrap connection
// once the real link is proven (it carries nothing after that).
void ChatSession::check_pairing() {
    if (pairing_pending_ && engine_.room()) {
        engine_.introduce(pairing_pending_->peer, pairing_pending_->name, pairing_pending_->session,
                          pairing_session());
        pairing_pending_.reset();
    }
    if (pairing_.state() == Pairing::State::open && pairing_.peer()) {
        const auto link = engine_.peer(pairing_.peer()->peer);
        if (link && link->state == LinkState::open && link->proof == ProofState::ok) {
            paired_with_ = link->name;
            cancel_pairing();
            platform::refresh();
        }
    }
}

void ChatSession::leave() {
    history_.leave(); // saves what is pending while the log still holds the room's history
    ++enter_generation_;
    room_.reset();
    entered_waiters_.clear();
    signaling_.leave();
    engine_.leave_room();
    platform::local_remove(key_room);
}

PeerTrust ChatSession::trust(const std::string& peer) const {
    PeerTrust t;
    if (const auto code = safety_codes_.find(peer); code != safety_codes_.end() && !code->second.empty()) {
        t.safety_code = code->second;
    }
    t.verified = verified_.count(peer) > 0;
    if (!t.verified) {
        if (const auto link = engine_.peer(peer)) {
            t.name_of_other_key = std::any_of(verified_.begin(), verified_.end(),
                                              [&](const auto& entry) { return entry.second == link->name; });
        }
    }
    return t;
}

std::string ChatSession::my_code() const {
    return make_verify_code(peer_id(), engine_.name()).value_or(std::string());
}

std::string ChatSession::verify(const std::string& code_text, std::string* who) {
    const auto code = parse_verify_code(code_text);
    if (!code) return tr("people.not_a_code");
    if (code->peer == peer_id()) return tr("people.own_code");
    verified_[code->peer] = code->name;
    nlohmann::json doc = nlohmann::json::object();
    for (const auto& [peer, name] : verified_) doc[peer] = name;
    platform::local_set(key_verified, doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    if (who) *who = code->name;
    platform::refresh();
    return {};
}

void ChatSession::note_arrivals() {
    const double now = epoch_ms();
    for (const ChatMessage& m : engine_.messages()) {
        const bool arrived = arrived_ms_.try_emplace(m.id, now).second;
        if (arrived && !merging_stored_ && m.from != peer_id() && events_.message_from_peer) events_.message_from_peer(m);
    }
    // Forget ids that left the log (bounded history, room switch), so this stays small.
    if (arrived_ms_.size() > 2 * engine_.messages().size() + 64) {
        std::map<std::string, double> kept;
        for (const ChatMessage& m : engine_.messages()) kept.emplace(m.id, arrived_ms_[m.id]);
        arrived_ms_.swap(kept);
    }
}

std::optional<double> ChatSession::arrived_ms(const std::string& message_id) const {
    const auto it = arrived_ms_.find(message_id);
    return it == arrived_ms_.end() ? std::nullopt : std::optional<double>(it->second);
}

std::optional<double> ChatSession::link_opened_ms(const std::string& peer) const {
    const auto it = link_opened_ms_.find(peer);
    return it == link_opened_ms_.end() ? std::nullopt : std::optional<double>(it->second);
}

void ChatSession::on_peers_changed() {
    // A pairing's link may just have been proven: close its bootstrap (not from inside the
    // engine's callback: that closes a connection and may call the engine).
    if (pairing_.state() == Pairing::State::open) platform::run_after(0, [this] { check_pairing(); });
    // Round-trip times change with every ping (every 2 s): redraw for them only while they are
    // on screen, so an idle room draws nothing. Membership and link states always redraw.
    std::string signature;
    for (const LinkInfo& link : engine_.peers()) {
        if (link.state == LinkState::open) {
            link_opened_ms_.try_emplace(link.peer, epoch_ms());
        } else {
            link_opened_ms_.erase(link.peer);
        }
        signature += link.peer;
        signature += static_cast<char>('0' + static_cast<int>(link.state));
        signature += static_cast<char>('0' + static_cast<int>(link.proof));
        if (!safety_codes_.count(link.peer)) {
            safety_codes_[link.peer] = {}; // asked once; filled when the digest comes back
            make_safety_code(crypto_, peer_id(), link.peer, [this, peer = link.peer](std::optional<std::string> code) {
                if (code) safety_codes_[peer] = *code;
                platform::refresh();
            });
        }
    }
    if (signature != link_signature_ || rtt_visible_) platform::refresh();
    link_signature_ = std::move(signature);
}

void ChatSession::flush() {
    history_.flush();
}

void ChatSession::tick() {
    engine_.tick();
    signaling_.tick();
    if (now_ms() >= paths_due_ms_) { // for the People panel's health lines and state()
        paths_due_ms_ = now_ms() + path_interval_ms;
        rtc_.request_paths();
    }
    history_.tick();
    pairing_.tick();
    check_pairing();

    // One logic timer for the next thing due: pings while links exist, reconnects, keepalive.
    static int timer = 0;
    double next = signaling_.ms_until_next_tick();
    if (engine_.link_count() > 0 || engine_.partial_mesh()) next = std::min(next, engine_.ms_until_next_tick());
    if (timer != 0) platform::cancel_timer(timer);
    timer = std::isfinite(next) ? platform::run_after(std::max(next, 50.0), [this] {
        timer = 0;
        tick();
    })
                                : 0;
}

} // namespace peddlenet::app
