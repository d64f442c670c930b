// session.hpp: everything the chat needs beyond drawing: identity kept in localStorage, the
// room engine on the browser's WebRTC, the signaling client on the browser's WebSocket, and
// room history in IndexedDB.
// Needs: core (RoomEngine, SignalingClient, ChatLog), platform (rtc, websocket, storage, main loop).
//  [X] stable identity: peer id, name and current room survive reloads (localStorage)
//  [X] a reload comes back into the same room as the same peer, history first, then the server
//  [X] history saved to IndexedDB at once after a change (bursts coalesced), and when the page hides
//  [X] timers (pings, reconnects, keepalive) wake the loop only when due
#pragma once

#include "core/room_engine.hpp"
#include "core/signaling_client.hpp"
#include "platform/rtc.hpp"
#include "platform/websocket.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace peddlenet::app {

// Uniform 32-bit values from the browser's crypto.getRandomValues (ids, room names).
std::uint32_t secure_random();

// Adapts the browser WebSocket to the signaling client's socket interface.
class BrowserSignalingSocket final : public SignalingSocket {
public:
    BrowserSignalingSocket();
    void attach(SignalingClient* client) { client_ = client; }
    void open(const std::string& url) override { socket_.open(url); }
    bool send(std::string_view text) override { return socket_.send(text); }
    void close() override { socket_.close(); }

private:
    SignalingClient* client_ = nullptr;
    platform::WebSocketClient socket_;
};

class ChatSession {
public:
    struct Events {
        std::function<void(const std::string& room)> joined;   // the server confirmed our join
        std::function<void(const std::string& text)> problem;   // something to tell the person
        // Someone else's message entered the log (live or by history sync; not from storage).
        std::function<void(const ChatMessage& message)> message_from_peer;
    };

    ChatSession(Events events);
    ChatSession(const ChatSession&) = delete;
    ChatSession& operator=(const ChatSession&) = delete;

    // Connects to the signaling server (a path like "/ws" is relative to the page).
    void start(const std::string& signaling_url);

    const std::string& peer_id() const { return engine_.self_id(); }
    const std::string& name() const { return engine_.name(); }
    // Returns an error sentence, or "" when the name was accepted and saved.
    std::string set_name(const std::string& name);
    bool has_saved_name() const { return has_saved_name_; }
    // The ICE servers setting as typed (core/ice_servers.hpp); applies to links created from
    // now on. Returns an error sentence, or "" when saved.
    std::string set_ice_servers(const std::string& text);
    const std::string& ice_servers() const { return ice_servers_text_; }

    // The room kept from the previous visit, if any (entered automatically after a reload).
    std::optional<std::string> saved_room() const;

    // Enters `room` at once: stored history is shown, messages queue, the server join follows.
    bool enter(const std::string& room);
    void leave();
    std::optional<std::string> room() const { return engine_.room(); }

    // Sends (or queues) a message. Our own messages are stored at once, not on the save
    // throttle: peers never give us back our own, so a reload right after sending would lose it.
    SendResult send(const std::string& text);
    const RoomEngine& engine() const { return engine_; }
    SignalingStatus signaling() const { return signaling_.status(); }

    // Per frame: engine and signaling timers; schedules the next wake-up when idle.
    void tick();
    // Saves history now (page hiding).
    void flush();
    // When each message entered the log on this page and when each link last opened, in epoch
    // ms at performance.now() resolution: the automation API reports them for latency benchmarks.
    std::optional<double> arrived_ms(const std::string& message_id) const;
    std::optional<double> link_opened_ms(const std::string& peer) const;

    // The UI shows round-trip times this frame (peer list open): RTT updates then redraw.
    void set_rtt_visible(bool visible) { rtt_visible_ = visible; }

private:
    void on_peers_changed();
    void note_arrivals();
    void schedule_save();
    void save_now();

    Events events_;
    platform::BrowserRtc rtc_;
    RoomEngine engine_;
    BrowserSignalingSocket socket_;
    SignalingClient signaling_;
    bool has_saved_name_ = false;
    std::string ice_servers_text_;
    bool rtt_visible_ = false;
    std::string link_signature_; // peers and link states last drawn
    std::map<std::string, double> arrived_ms_;     // message id -> epoch ms
    std::map<std::string, double> link_opened_ms_; // peer id -> epoch ms of the last open
    bool save_pending_ = false;
    double save_due_ms_ = 0;
    double last_save_ms_ = -1e9;
    std::uint64_t restore_generation_ = 0; // ignores history reads of a room left meanwhile
    bool restoring_ = false;               // the stored history is being read: do not save
    bool merging_stored_ = false;          // restore_history() running: those are not arrivals
};

} // namespace peddlenet::app
