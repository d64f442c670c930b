// app.hpp: the PeddleNet application object: owns every long-lived piece of state and draws
// one frame at a time (run by platform/main_loop on requestAnimationFrame).
// Needs: the platform layer (canvas, input, main loop, automation), Dear ImGui.
//  [X] home screen: display name, create room, join room by name
//  [X] room screen: the chat (room_screen.hpp) over the session (session.hpp)
//  [X] a reload resumes the saved room as the same peer, with no input
//  [X] automation API: state(), setName(), join(), leave(), send()
//  [X] WebGL context loss: a clear message, then recovery with fresh GL objects
#pragma once

#include "app/room_screen.hpp"
#include "app/session.hpp"
#include "platform/automation.hpp"

#include <memory>
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
    enum class Screen { home, join, room };

    void frame(double now_ms);
    void draw_home();
    void draw_join();
    void draw_room();
    void register_automation();
    // Saves the name and enters the room; returns a sentence for the person when refused.
    std::string enter_room(const std::string& room);
    void leave_room();
    nlohmann::json state_json() const;

    std::unique_ptr<ChatSession> session_;
    RoomScreen room_screen_;
    // join() Promises waiting for the server's confirmation, by room.
    std::vector<std::pair<std::string, platform::AutomationSettle>> pending_joins_;

    Screen screen_ = Screen::home;
    std::string name_;       // display name as typed
    std::string room_input_; // the join screen's field
    std::string notice_;     // one line of feedback under the buttons (validation errors)
    double last_frame_ms_ = 0;
    bool context_lost_ = false;
    bool announced_ready_ = false;
};

} // namespace peddlenet::app
