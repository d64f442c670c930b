// settings_screen.hpp: settings that rarely change: the ICE servers (STUN/TURN) for links
// across networks. Needs: app/session.hpp, app/widgets.hpp.
//  [X] one server per line ("URL [username credential]"), checked before it is saved
//  [X] a clear line saying what the default (none) means
#pragma once

#include "app/session.hpp"

#include <string>

namespace peddlenet::app {

class SettingsScreen {
public:
    enum class Action { none, close };
    // Call when the screen opens: fills the editor with the saved setting.
    void open(const ChatSession& session);
    Action draw(ChatSession& session);

private:
    std::string ice_text_;
    std::string notice_;
    bool saved_ = false;
};

} // namespace peddlenet::app
