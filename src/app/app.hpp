// app.hpp: the PeddleNet application object: owns every long-lived piece of state and draws
// one frame at a time (run by platform/main_loop on requestAnimationFrame).
// Needs: the platform layer (canvas, input, main loop, automation), Dear ImGui.
//  [X] home screen: display name, create room, join room by name
//  [X] room screen skeleton (the p2p chat fills it)
//  [X] automation API: state(), setName()
//  [X] WebGL context loss: a clear message, then recovery with fresh GL objects
#pragma once

#include <string>

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
    void enter_room(const std::string& room);

    Screen screen_ = Screen::home;
    std::string name_;       // display name as typed
    std::string room_input_; // the join screen's field
    std::string room_;       // current room, empty outside one
    std::string notice_;     // one line of feedback under the buttons (validation errors)
    double last_frame_ms_ = 0;
    bool context_lost_ = false;
    bool announced_ready_ = false;
};

} // namespace peddlenet::app
