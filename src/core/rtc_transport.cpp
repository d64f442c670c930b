// rtc_transport.cpp: see rtc_transport.hpp. The tables are indexed by the enums' explicit numbers.
#include "core/rtc_transport.hpp"

#include <array>
#include <ostream>

namespace peddlenet {
namespace {

constexpr std::array<std::string_view, 2> sdp_types = {"offer", "answer"};
constexpr std::array<std::string_view, 6> signaling_states = {
    "stable", "have-local-offer", "have-remote-offer", "have-local-pranswer",
    "have-remote-pranswer", "closed"};
constexpr std::array<std::string_view, 6> connection_states = {
    "new", "connecting", "connected", "disconnected", "failed", "closed"};
constexpr std::array<std::string_view, 5> operations = {
    "createConnection", "setLocalDescription", "setRemoteDescription", "addIceCandidate",
    "dataChannel"};

template <class Enum, std::size_t N>
std::optional<Enum> lookup(const std::array<std::string_view, N>& table, std::string_view s) {
    for (std::size_t i = 0; i < N; ++i)
        if (table[i] == s) return static_cast<Enum>(i);
    return std::nullopt;
}

// A value outside the table can only come from a bad cast; it prints rather than aborts.
template <std::size_t N, class Enum>
std::string_view name_of(const std::array<std::string_view, N>& table, Enum v) {
    const auto i = static_cast<std::size_t>(v);
    return i < N ? table[i] : std::string_view("unknown");
}

} // namespace

std::string_view to_string(SdpType v) { return name_of(sdp_types, v); }
std::string_view to_string(SignalingState v) { return name_of(signaling_states, v); }
std::string_view to_string(PeerConnectionState v) { return name_of(connection_states, v); }
std::string_view to_string(RtcOperation v) { return name_of(operations, v); }

std::optional<SdpType> parse_sdp_type(std::string_view s) { return lookup<SdpType>(sdp_types, s); }
std::optional<SignalingState> parse_signaling_state(std::string_view s) {
    return lookup<SignalingState>(signaling_states, s);
}
std::optional<PeerConnectionState> parse_connection_state(std::string_view s) {
    return lookup<PeerConnectionState>(connection_states, s);
}

std::ostream& operator<<(std::ostream& os, SignalingState v) { return os << to_string(v); }
std::ostream& operator<<(std::ostream& os, PeerConnectionState v) { return os << to_string(v); }

} // namespace peddlenet
