// ice_servers.hpp: the ICE servers setting (STUN/TURN), checked before it reaches the browser.
// Needs: nlohmann/json. Default: none, since host candidates connect phones on one LAN, which is
// the festival case; across networks a TURN server is what makes links work.
//  [X] text form for people: one server per line, "URL [username credential]"
//  [X] stun:, turn: and turns: URLs only; TURN needs a username and a credential
//  [X] produces the RTCIceServer JSON list for RTCPeerConnection
//  [X] the same rules for a list that arrives as JSON (the signaling server's TURN credentials)
#pragma once

#include "core/i18n.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace peddlenet {

struct IceServersParse {
    nlohmann::json servers = nlohmann::json::array(); // [{urls, username?, credential?}]
    i18n::Message error; // why it was refused, naming the bad line ({line}); empty when ok
    bool ok() const { return error.empty(); }
};

// Parses the setting's text: blank lines and lines starting with '#' are ignored.
IceServersParse parse_ice_servers(std::string_view text);

// Checks a list of RTCIceServer objects ({urls: string or [string], username?, credential?}),
// by the rules of the text form; `servers` holds it with one URL per entry. {line} is then the
// server's position in the list.
IceServersParse check_ice_server_list(const nlohmann::json& list);

} // namespace peddlenet
