// rtc.cpp: see rtc.hpp. The JS half is web/rtc.js; events come back through pn_rtc_event.
#include "platform/rtc.hpp"


#include <emscripten/emscripten.h>

extern "C" {
// Implemented in web/rtc.js.
int pn_rtc_set_ice_servers(const char* json);
void pn_rtc_set_relay_only(int relay_only);
int pn_rtc_create(int opens_channel);
void pn_rtc_close(int handle);
void pn_rtc_set_local_description(int handle);
void pn_rtc_set_remote_description(int handle, int is_answer, const char* sdp);
void pn_rtc_add_ice_candidate(int handle, const char* json);
void pn_rtc_restart_ice(int handle);
int pn_rtc_send(int handle, const char* data, int length);
int pn_rtc_send_binary(int handle, const char* data, int length);
double pn_rtc_buffered(int handle);
int pn_rtc_signaling_state(int handle);
void pn_rtc_get_fingerprints(int handle);
void pn_rtc_get_path(int handle);
}

namespace peddlenet::platform {
namespace {

// Event kinds, numbered as PeddleRtc.EV in web/rtc.js.
enum RtcEventKind {
    negotiation_needed = 0,
    local_description = 1,
    remote_description_set = 2,
    ice_candidate = 3,
    channel_open = 4,
    channel_message = 5,
    channel_closed = 6,
    connection_state = 7,
    error = 8,
    fingerprints = 9, // text "LOCAL REMOTE", either possibly empty
    ice_server_error = 10, // number: the STUN/TURN error code, text "URL reason"
    relay_candidate = 11,  // text: the TURN URL it came from
    path_report = 12,      // text: core/link_path.hpp's report
    gathering_complete = 13,
    channel_binary = 14, // text: the message's bytes
};

// JS events carry only a handle: the transport that made it (the room engine's, pairing's).
std::map<int, BrowserRtc*>& owners() {
    static std::map<int, BrowserRtc*> table;
    return table;
}

} // namespace

BrowserRtc::BrowserRtc() = default;

BrowserRtc::~BrowserRtc() {
    for (const auto& [peer, handle] : handles_) {
        pn_rtc_close(handle);
        owners().erase(handle);
    }
}

bool BrowserRtc::set_ice_servers(const std::string& ice_servers_json) {
    return pn_rtc_set_ice_servers(ice_servers_json.c_str()) != 0;
}

void BrowserRtc::set_relay_only(bool relay_only) {
    pn_rtc_set_relay_only(relay_only ? 1 : 0);
}

int BrowserRtc::handle_of(const std::string& peer) const {
    const auto it = handles_.find(peer);
    return it == handles_.end() ? 0 : it->second;
}

void BrowserRtc::create_connection(const std::string& peer, bool opens_channel) {
    close_connection(peer);
    const int handle = pn_rtc_create(opens_channel ? 1 : 0);
    if (handle == 0) {
        if (events_) events_->on_rtc_error(peer, RtcOperation::create_connection, "RTCPeerConnection refused");
        return;
    }
    handles_[peer] = handle;
    peers_[handle] = peer;
    owners()[handle] = this;
}

void BrowserRtc::close_connection(const std::string& peer) {
    const int handle = handle_of(peer);
    if (handle == 0) return;
    pn_rtc_close(handle);
    handles_.erase(peer);
    peers_.erase(handle);
    owners().erase(handle);
    paths_.erase(peer);
}

void BrowserRtc::request_paths() {
    for (const auto& [peer, handle] : handles_) pn_rtc_get_path(handle);
}

const LinkPath* BrowserRtc::path(const std::string& peer) const {
    const auto it = paths_.find(peer);
    return it == paths_.end() ? nullptr : &it->second;
}

void BrowserRtc::set_local_description(const std::string& peer) {
    if (const int h = handle_of(peer)) pn_rtc_set_local_description(h);
}

void BrowserRtc::set_remote_description(const std::string& peer, const SessionDescription& d) {
    if (const int h = handle_of(peer)) {
        pn_rtc_set_remote_description(h, d.type == SdpType::answer ? 1 : 0, d.sdp.c_str());
    }
}

void BrowserRtc::add_ice_candidate(const std::string& peer, const nlohmann::json& candidate) {
    if (const int h = handle_of(peer)) pn_rtc_add_ice_candidate(h, candidate.dump().c_str());
}

void BrowserRtc::restart_ice(const std::string& peer) {
    if (const int h = handle_of(peer)) pn_rtc_restart_ice(h);
}

bool BrowserRtc::send(const std::string& peer, std::string_view text) {
    const int h = handle_of(peer);
    return h != 0 && pn_rtc_send(h, text.data(), static_cast<int>(text.size())) != 0;
}

bool BrowserRtc::send_binary(const std::string& peer, std::string_view bytes) {
    const int h = handle_of(peer);
    return h != 0 && pn_rtc_send_binary(h, bytes.data(), static_cast<int>(bytes.size())) != 0;
}

std::size_t BrowserRtc::buffered_amount(const std::string& peer) const {
    const int h = handle_of(peer);
    return h == 0 ? 0 : static_cast<std::size_t>(pn_rtc_buffered(h));
}

void BrowserRtc::get_fingerprints(const std::string& peer) {
    if (const int h = handle_of(peer)) pn_rtc_get_fingerprints(h);
}

SignalingState BrowserRtc::signaling_state(const std::string& peer) const {
    const int h = handle_of(peer);
    return h == 0 ? SignalingState::stable : static_cast<SignalingState>(pn_rtc_signaling_state(h));
}

void BrowserRtc::dispatch(int handle, int kind, int number, std::string_view text) {
    const auto it = peers_.find(handle);
    if (it == peers_.end() || events_ == nullptr) return; // closed meanwhile
    const std::string peer = it->second; // the engine may close this link while handling
    RtcEvents& e = *events_;
    switch (kind) {
    case negotiation_needed: e.on_negotiation_needed(peer); break;
    case local_description:
        e.on_local_description(peer, {number == 1 ? SdpType::answer : SdpType::offer, std::string(text)});
        break;
    case remote_description_set: e.on_remote_description_set(peer); break;
    case ice_candidate: {
        nlohmann::json candidate = nlohmann::json::parse(text, nullptr, false);
        if (!candidate.is_discarded()) e.on_ice_candidate(peer, candidate);
        break;
    }
    case channel_open: e.on_channel_open(peer); break;
    case channel_message: e.on_channel_message(peer, text); break;
    case channel_binary: e.on_channel_binary(peer, text); break;
    case channel_closed: e.on_channel_closed(peer); break;
    case connection_state:
        if (number >= 0 && number <= static_cast<int>(PeerConnectionState::closed)) {
            e.on_connection_state(peer, static_cast<PeerConnectionState>(number));
        }
        break;
    case error:
        if (number >= 0 && number <= static_cast<int>(RtcOperation::data_channel)) {
            e.on_rtc_error(peer, static_cast<RtcOperation>(number), text);
        }
        break;
    case fingerprints: {
        const std::size_t space = text.find(' ');
        const bool both = space != std::string_view::npos; // rtc.js always sends the space
        e.on_fingerprints(peer, std::string(both ? text.substr(0, space) : std::string_view()),
                          std::string(both ? text.substr(space + 1) : std::string_view()));
        break;
    }
    case ice_server_error: {
        const std::size_t space = text.find(' '); // rtc.js sends "URL REASON"
        ++relay_.errors;
        relay_.error_code = number;
        relay_.error_url = std::string(text.substr(0, space));
        relay_.error_text = space == std::string_view::npos ? "" : std::string(text.substr(space + 1));
        break;
    }
    case gathering_complete: e.on_ice_gathering_complete(peer); break;
    case path_report:
        if (auto p = parse_path_report(text)) paths_[peer] = std::move(*p);
        break;
    case relay_candidate:
        ++relay_.candidates;
        relay_.error_code = 0; // a relay answered since
        relay_.error_url.clear();
        relay_.error_text.clear();
        break;
    default: break;
    }
}

} // namespace peddlenet::platform

// `text` is owned by rtc.js and valid during this call only.
extern "C" EMSCRIPTEN_KEEPALIVE void pn_rtc_event(int handle, int kind, int number, const char* text,
                                                  int length) {
    const auto& owners = peddlenet::platform::owners();
    if (const auto it = owners.find(handle); it != owners.end())
        it->second->dispatch(handle, kind, number, std::string_view(text, static_cast<std::size_t>(length)));
    // No wake here: pings and pongs flow every 2 s; the session redraws for what is visible.
}
