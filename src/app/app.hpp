// app.hpp: the PeddleNet application object: owns every long-lived piece of state and draws
// one frame at a time (run by platform/main_loop on requestAnimationFrame).
// Needs: the platform layer (canvas, input, main loop, automation), Dear ImGui.
//  [X] identity first: the device key loads (or is created) before anything else; a browser
//      without Ed25519 gets a clear screen instead of an app that cannot speak
//  [X] home screen: display name, create (private) room, join (open) room by name
//  [X] room screen: the chat (room_screen.hpp) over the session (session.hpp)
//  [X] a reload resumes the saved room as the same peer, with no input
//  [X] automation API: state(), setName(), create(), join(), leave(), send(), showInvite(),
//      scan(), myCode(), verify(), measureCrypto()
//  [X] invites: the room's QR code and link (invite_screen.hpp); the in-app scanner
//      (scanner_screen.hpp); a page opened with #join=<room>[&key=..] (or changed to it) joins it,
//      asking for a name first when there is none; an invite naming another signaling server
//      reloads the app on that server, which is then kept for the room across reloads
//  [X] WebGL context loss: a clear message, then recovery with fresh GL objects
//  [X] follows the device: dark or light theme by prefers-color-scheme (live), layout inside
//      the safe-area insets; notifications for messages arriving while hidden (when allowed)
#pragma once

#include "app/invite_screen.hpp"
#include "app/room_screen.hpp"
#include "app/scanner_screen.hpp"
#include "app/session.hpp"
#include "app/settings_screen.hpp"
#include "platform/appearance.hpp"
#include "platform/automation.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace peddlenet::app {

class App {
public:
    App() = default;
    App(const App&) = delete; // registered with JS callbacks by address
    App& operator=(const App&) = delete;

    // Creates the GL context, ImGui, fonts and the automation API; false if WebGL2 is missing.
    bool start();

private:
    enum class Screen { starting, home, join, room, invite, my_code, scanner, invited, settings, pairing };

    // The identity is loaded (or cannot be): starts the session, or explains why not.
    void on_identity(const platform::IdentityResult& identity);
    void frame(double now_ms);
    void draw_starting();
    // Follows the device: theme from prefers-color-scheme, layout inside the safe area.
    void apply_appearance();
    void draw_home();
    void draw_join();
    void draw_room();
    void draw_invite();
    void draw_scanner();
    void draw_pairing();
    nlohmann::json pairing_json() const;
    void start_pairing();
    void accept_pairing_code(const std::string& code);
    void draw_invited();
    // An invite arrived (link or scan): joins at once, or asks for a name first.
    void accept_invite(const InviteLink& link);
    // A scanned "My code": marks that person verified.
    void accept_verify_code(const std::string& code);
    void open_scanner();
    void close_scanner();
    std::optional<std::string> invite_url() const;
    void settle_scans(const platform::AutomationResult& result);
    void register_automation();
    // Saves the name and enters the room; returns a sentence for the person when refused.
    std::string enter_room(const RoomRef& room);
    void leave_room();
    static const char* screen_name(Screen s);
    nlohmann::json photo_json(const ChatMessage& m) const;
    nlohmann::json photos_json() const;
    nlohmann::json state_json() const;

    std::unique_ptr<ChatSession> session_;
    RoomScreen room_screen_;
    SettingsScreen settings_screen_;
    BackgroundNotifications notifications_;
    InviteScreen invite_screen_;
    InvitedScreen invited_screen_;
    ScannerScreen scanner_screen_{ScannerScreen::Events{
        [this](const std::string& text) { settle_scans(platform::AutomationResult::success(text)); },
        [this](const std::string& message) { settle_scans(platform::AutomationResult::failure(message)); }}};
    // scan() Promises waiting for a decoded code.
    std::vector<platform::AutomationSettle> pending_scans_;
    std::string page_url_;      // where the app was served from (location.href at start)
    std::string signaling_url_; // the signaling server in use (absolute ws:// or wss://)
    std::optional<RoomRef> invited_; // an invite waiting for the person's name
    Screen scanner_return_ = Screen::home; // where Back leaves the scanner to
    // join() and create() Promises waiting for the server's confirmation of `room`.
    struct PendingJoin {
        RoomRef room;
        platform::AutomationSettle settle;
        nlohmann::json value; // what the Promise resolves with
    };
    std::vector<PendingJoin> pending_joins_;
    std::string identity_problem_; // why there is no session (no Ed25519, storage refused, ...)
    Screen screen_ = Screen::starting;
    std::string name_;       // display name as typed
    std::string room_input_; // the join screen's field
    std::string notice_;     // one line of feedback under the buttons (validation errors)
    std::string pairing_notice_; // why the last scanned pairing code was refused
    mutable struct { // a cache for state(), which is const
        std::string text; // the pairing code whose QR version is known
        int version = 0;
    } pairing_qr_;
    double last_frame_ms_ = 0;
    bool context_lost_ = false;
    platform::SafeAreaInsets safe_area_; // CSS px the layout keeps clear of
    bool announced_ready_ = false;
};

} // namespace peddlenet::app
