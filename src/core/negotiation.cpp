// negotiation.cpp: see negotiation.hpp. Comments quote the W3C example's variable names.
#include "core/negotiation.hpp"

#include <algorithm>
#include <utility>

namespace peddlenet {
namespace {

using nlohmann::json;

// sdpMid is an m-line tag ("0"); usernameFragment an ICE ufrag (4..256 chars by RFC 8839).
constexpr std::size_t max_mid_bytes = 64;
constexpr std::size_t max_ufrag_bytes = 256;
// An m-line index beyond this is not a session this app creates.
constexpr std::int64_t max_mline_index = 64;

std::optional<json> normalize_candidate(const json& c, std::string* why) {
    const auto refuse = [why](const char* reason) -> std::optional<json> {
        if (why) *why = reason;
        return std::nullopt;
    };
    if (!c.is_object()) return refuse("candidate is not an object");
    const auto line = c.find("candidate");
    if (line == c.end() || !line->is_string() ||
        line->get_ref<const std::string&>().size() > max_candidate_bytes)
        return refuse("bad candidate line");
    json out{{"candidate", *line}, {"sdpMid", nullptr}, {"sdpMLineIndex", nullptr},
             {"usernameFragment", nullptr}};
    if (const auto mid = c.find("sdpMid"); mid != c.end() && !mid->is_null()) {
        if (!mid->is_string() || mid->get_ref<const std::string&>().size() > max_mid_bytes)
            return refuse("bad sdpMid");
        out["sdpMid"] = *mid;
    }
    if (const auto index = c.find("sdpMLineIndex"); index != c.end() && !index->is_null()) {
        if (!index->is_number_integer() || index->get<std::int64_t>() < 0 ||
            index->get<std::int64_t>() > max_mline_index)
            return refuse("bad sdpMLineIndex");
        out["sdpMLineIndex"] = *index;
    }
    if (const auto ufrag = c.find("usernameFragment"); ufrag != c.end() && !ufrag->is_null()) {
        if (!ufrag->is_string() || ufrag->get_ref<const std::string&>().size() > max_ufrag_bytes)
            return refuse("bad usernameFragment");
        out["usernameFragment"] = *ufrag;
    }
    if (out["sdpMid"].is_null() && out["sdpMLineIndex"].is_null())
        return refuse("candidate has neither sdpMid nor sdpMLineIndex");
    return out;
}

} // namespace

std::vector<std::string> sdp_ice_ufrags(std::string_view sdp) {
    constexpr std::string_view key = "a=ice-ufrag:";
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < sdp.size()) {
        std::size_t end = sdp.find('\n', pos);
        if (end == std::string_view::npos) end = sdp.size();
        std::string_view line = sdp.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.substr(0, key.size()) == key) {
            std::string ufrag(line.substr(key.size()));
            if (std::find(out.begin(), out.end(), ufrag) == out.end()) out.push_back(ufrag);
        }
        pos = end + 1;
    }
    return out;
}

json signal_data_from(const SessionDescription& d) {
    return json{{"description", {{"type", to_string(d.type)}, {"sdp", d.sdp}}}};
}

json signal_data_from_candidate(const json& candidate) { return json{{"candidate", candidate}}; }

std::optional<SignalData> parse_signal_data(const json& data, std::string* why) {
    const auto refuse = [why](const char* reason) -> std::optional<SignalData> {
        if (why) *why = reason;
        return std::nullopt;
    };
    if (!data.is_object()) return refuse("signal data is not an object");
    const auto description = data.find("description");
    const auto candidate = data.find("candidate");
    if ((description != data.end()) == (candidate != data.end()))
        return refuse("signal data needs exactly one of description and candidate");
    if (description != data.end()) {
        if (!description->is_object()) return refuse("description is not an object");
        const auto type = description->find("type");
        const auto sdp = description->find("sdp");
        if (type == description->end() || !type->is_string())
            return refuse("description has no type");
        const auto parsed_type = parse_sdp_type(type->get_ref<const std::string&>());
        if (!parsed_type) return refuse("description type is not offer or answer");
        if (sdp == description->end() || !sdp->is_string() ||
            sdp->get_ref<const std::string&>().empty() ||
            sdp->get_ref<const std::string&>().size() > max_sdp_bytes)
            return refuse("bad sdp");
        return SessionDescription{*parsed_type, sdp->get<std::string>()};
    }
    std::optional<json> init = normalize_candidate(*candidate, why);
    if (!init) return std::nullopt;
    return IceCandidate{std::move(*init)};
}

PerfectNegotiation::PerfectNegotiation(RtcTransport& rtc, std::string peer, bool polite,
                                       SignalSink send)
    : rtc_(rtc), peer_(std::move(peer)), polite_(polite), send_(std::move(send)) {}

void PerfectNegotiation::on_negotiation_needed() {
    making_offer_ = true;
    pending_local_.push_back(LocalReason::negotiation);
    rtc_.set_local_description(peer_);
}

void PerfectNegotiation::on_local_description(const SessionDescription& d) {
    if (!pending_local_.empty()) {
        if (pending_local_.front() == LocalReason::negotiation) making_offer_ = false;
        pending_local_.pop_front();
    }
    send_(signal_data_from(d));
}

void PerfectNegotiation::on_remote_description_set() {
    SdpType type = SdpType::answer;
    if (!pending_remote_.empty()) {
        type = pending_remote_.front();
        pending_remote_.pop_front();
    }
    has_remote_description_ = true;
    setting_remote_answer_pending_ = false;
    for (const json& c : buffered_)
        if (!stale(c)) rtc_.add_ice_candidate(peer_, c);
    buffered_.clear();
    if (type == SdpType::offer) {
        pending_local_.push_back(LocalReason::answer);
        rtc_.set_local_description(peer_);
    }
}

void PerfectNegotiation::on_local_candidate(const json& candidate) {
    send_(signal_data_from_candidate(candidate));
}

PerfectNegotiation::SignalResult PerfectNegotiation::on_signal(const json& data) {
    std::optional<SignalData> parsed = parse_signal_data(data);
    if (!parsed) return SignalResult::malformed;

    if (const auto* d = std::get_if<SessionDescription>(&*parsed)) {
        const SignalingState state = rtc_.signaling_state(peer_);
        const bool ready_for_offer =
            !making_offer_ && (state == SignalingState::stable || setting_remote_answer_pending_);
        const bool offer_collision = d->type == SdpType::offer && !ready_for_offer;
        ignore_offer_ = !polite_ && offer_collision;
        if (ignore_offer_) return SignalResult::ignored;
        setting_remote_answer_pending_ = d->type == SdpType::answer;
        pending_remote_.push_back(d->type);
        remote_ufrags_ = sdp_ice_ufrags(d->sdp);
        rtc_.set_remote_description(peer_, *d); // rolls our own offer back if we are polite
        return SignalResult::applied;
    }

    json& candidate = std::get<IceCandidate>(*parsed).init;
    // addIceCandidate fails without a remote description; one in flight is fine because the
    // browser chains the operations. Buffered ones are checked against it once it is set.
    if (!has_remote_description_ && pending_remote_.empty()) {
        if (buffered_.size() >= max_buffered_candidates) return SignalResult::ignored;
        buffered_.push_back(std::move(candidate));
        return SignalResult::applied;
    }
    // Candidates of an ignored offer carry its credentials, which we never applied. One without
    // a usernameFragment cannot be told apart: skip it while ignoring, as its error would be.
    if (stale(candidate) || (ignore_offer_ && !candidate["usernameFragment"].is_string()))
        return SignalResult::ignored;
    rtc_.add_ice_candidate(peer_, candidate);
    return SignalResult::applied;
}

// A candidate naming ICE credentials that the remote description does not carry can only fail.
bool PerfectNegotiation::stale(const json& candidate) const {
    const auto ufrag = candidate.find("usernameFragment");
    if (ufrag == candidate.end() || !ufrag->is_string() || remote_ufrags_.empty()) return false;
    return std::find(remote_ufrags_.begin(), remote_ufrags_.end(),
                     ufrag->get_ref<const std::string&>()) == remote_ufrags_.end();
}

bool PerfectNegotiation::on_error(RtcOperation op) {
    switch (op) {
    case RtcOperation::set_local_description:
        if (!pending_local_.empty()) {
            if (pending_local_.front() == LocalReason::negotiation) making_offer_ = false;
            pending_local_.pop_front();
        }
        return true;
    case RtcOperation::set_remote_description:
        if (!pending_remote_.empty()) pending_remote_.pop_front();
        setting_remote_answer_pending_ = false;
        return true;
    case RtcOperation::add_ice_candidate:
        return !ignore_offer_; // "if (!ignoreOffer) throw err;"
    case RtcOperation::create_connection:
    case RtcOperation::data_channel:
        return true;
    }
    return true;
}

} // namespace peddlenet
