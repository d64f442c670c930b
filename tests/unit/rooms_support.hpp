// rooms_support.hpp: what a simulated signaling server needs around the real room model
// (server/rooms.hpp): its clock on the simulation's milliseconds, and session names in join
// order, and the engine calls its frames turn into. Shared by FakeServer (tests/unit/fake_rtc.hpp)
// and the mesh simulator (tests/sim).
// Needs: server/rooms.hpp, core/room_engine.hpp, core/signaling_protocol.hpp.
#pragma once

#include "core/room_engine.hpp"
#include "core/signaling_protocol.hpp"
#include "server/rooms.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace peddlenet::testing {

// A connection that keeps every frame the room model hands it, parsed, and counts replacements.
struct RecordingOutlet final : server::Outlet {
    std::vector<nlohmann::json> got;
    int replaced_count = 0;
    void deliver(std::string frame) override { got.push_back(nlohmann::json::parse(frame)); }
    void replaced() override { ++replaced_count; }
    std::vector<std::string> types() const {
        std::vector<std::string> t;
        for (const auto& j : got) t.push_back(j["type"]);
        return t;
    }
    nlohmann::json last() const { return got.empty() ? nlohmann::json() : got.back(); }
};

// Simulated time `ms` as the room model's clock (whole microseconds).
inline server::Rooms::Clock::time_point rooms_time(double ms) {
    return server::Rooms::Clock::time_point{} +
           std::chrono::microseconds(static_cast<std::int64_t>(ms * 1000.0));
}

// Session number `n`: "S000000000000001", ... (16 characters of [A-Za-z0-9], like the real ones).
inline server::SessionId numbered_session(std::uint64_t n) {
    server::SessionId s;
    s.chars.fill('0');
    s.chars[0] = 'S';
    for (std::size_t i = s.chars.size() - 1; n > 0 && i > 0; --i, n /= 10)
        s.chars[i] = static_cast<char>('0' + n % 10);
    return s;
}

// What SignalingClient::on_message does with a frame of the room model, minus its `joined` gate
// (the engine checks the room itself). False for a message the room model never sends a member.
inline bool to_engine(RoomEngine& e, const protocol::ServerMessage& m) {
    if (const auto* joined = std::get_if<protocol::Joined>(&m)) {
        std::vector<RoomMember> members;
        members.reserve(joined->peers.size());
        for (const protocol::PeerInfo& p : joined->peers)
            members.push_back({p.peer, p.name, p.session});
        e.on_joined(joined->room, joined->peer, joined->session, members, joined->size);
    } else if (const auto* pj = std::get_if<protocol::PeerJoined>(&m)) {
        e.on_peer_joined(pj->peer, pj->name, pj->session);
    } else if (const auto* pr = std::get_if<protocol::PeerRejoined>(&m)) {
        e.on_peer_rejoined(pr->peer, pr->name, pr->session);
    } else if (const auto* pl = std::get_if<protocol::PeerLeft>(&m)) {
        e.on_peer_left(pl->peer);
    } else if (const auto* signal = std::get_if<protocol::SignalFrom>(&m)) {
        e.on_signal(signal->from, signal->data);
    } else {
        return false;
    }
    return true;
}

} // namespace peddlenet::testing
