#include "core/pairing.hpp"

#include "core/chat_log.hpp"
#include "core/text.hpp"
#include "core/trust.hpp"

namespace peddlenet {
namespace {

// Bootstrap frames are a hello and signals (SDP, candidates): a few KiB at most.
constexpr std::size_t max_bootstrap_frame_bytes = 64 * 1024;

} // namespace

Pairing::Pairing(RtcTransport& rtc, PairingCallbacks callbacks, std::function<double()> monotonic_ms)
    : rtc_(rtc), callbacks_(std::move(callbacks)), now_(std::move(monotonic_ms)) {}

Pairing::~Pairing() {
    if (connection_open_) rtc_.close_connection(connection);
}

void Pairing::reset() {
    if (connection_open_) rtc_.close_connection(connection);
    connection_open_ = false;
    state_ = State::idle;
    local_sdp_.reset();
    candidates_.clear();
    gathered_ = false;
    code_.clear();
    code_bytes_ = 0;
    error_ = {};
    peer_.reset();
}

void Pairing::set_state(State s) {
    state_ = s;
    if (callbacks_.changed) callbacks_.changed();
}

void Pairing::fail(i18n::Message why) {
    if (connection_open_) rtc_.close_connection(connection);
    connection_open_ = false;
    error_ = std::move(why);
    set_state(State::failed);
}

void Pairing::offer(const PairingRoom& room, PairingSelf self) {
    reset();
    kind_ = PairingKind::offer;
    self_ = std::move(self);
    room_ = room;
    deadline_ = now_() + gather_timeout_ms;
    state_ = State::gathering;
    connection_open_ = true;
    rtc_.create_connection(connection, true); // the channel: "negotiationneeded" follows
    if (callbacks_.changed) callbacks_.changed();
}

std::optional<PairingRoom> Pairing::accept_offer(std::string_view code, PairingSelf self) {
    PairingDecode decoded = decode_pairing_code(code, PairingKind::offer);
    if (!decoded.ok()) {
        error_ = decoded.error;
        if (callbacks_.changed) callbacks_.changed();
        return std::nullopt;
    }
    reset();
    kind_ = PairingKind::answer;
    self_ = std::move(self);
    room_ = {decoded.description.room, decoded.description.room_key};
    deadline_ = now_() + gather_timeout_ms;
    state_ = State::gathering;
    connection_open_ = true;
    rtc_.create_connection(connection, false);
    rtc_.set_remote_description(connection, {SdpType::offer, sdp_from_pairing(decoded.description)});
    if (callbacks_.changed) callbacks_.changed();
    return room_;
}

i18n::Message Pairing::accept_answer(std::string_view code) {
    if (kind_ != PairingKind::offer || state_ != State::showing)
        return {"pair.scan_order", {}};
    PairingDecode decoded = decode_pairing_code(code, PairingKind::answer);
    if (!decoded.ok()) return decoded.error;
    rtc_.set_remote_description(connection, {SdpType::answer, sdp_from_pairing(decoded.description)});
    deadline_ = now_() + connect_timeout_ms;
    set_state(State::connecting);
    return {};
}

void Pairing::cancel() {
    reset();
    if (callbacks_.changed) callbacks_.changed();
}

bool Pairing::send_signal(const nlohmann::json& data) {
    if (state_ != State::open || !peer_) return false;
    return rtc_.send(connection, nlohmann::json{{"t", "signal"}, {"data", data}}.dump());
}

void Pairing::tick() {
    const double now = now_();
    if (state_ == State::gathering && local_sdp_ && now >= deadline_) {
        finish_code(); // a STUN/TURN server that does not answer must not hold the code back
    } else if ((state_ == State::connecting || (state_ == State::showing && kind_ == PairingKind::answer)) &&
               now >= deadline_) {
        fail({"pair.no_link", {}});
    }
}

// Our code, once the local description is set and gathering completed (or took too long).
void Pairing::finish_code() {
    std::string why;
    std::optional<PairingDescription> d = pairing_description_from_sdp(kind_, *local_sdp_, candidates_, &why);
    if (!d) return fail({"pair.unusable_connection", {{"detail", why}}});
    if (kind_ == PairingKind::offer) {
        d->room = room_.name;
        d->room_key = room_.key;
    }
    if (d->candidates.empty())
        return fail({"pair.no_address", {}});
    std::optional<std::string> code;
    if (fit_pairing_budget(*d)) code = encode_pairing_code(*d);
    if (!code) return fail({"pair.too_big", {}});
    code_ = std::move(*code);
    code_bytes_ = pairing_payload_bytes(*d);
    // The answering phone waits for its code to be scanned; the offering one for the answer.
    deadline_ = now_() + connect_timeout_ms;
    set_state(State::showing);
}

void Pairing::on_negotiation_needed(const std::string&) {
    if (kind_ == PairingKind::offer && !local_sdp_ && state_ == State::gathering)
        rtc_.set_local_description(connection);
}

void Pairing::on_local_description(const std::string&, const SessionDescription& d) {
    if (state_ != State::gathering || local_sdp_) return;
    local_sdp_ = d.sdp;
    if (gathered_) finish_code();
}

void Pairing::on_remote_description_set(const std::string&) {
    if (kind_ == PairingKind::answer && !local_sdp_) rtc_.set_local_description(connection);
}

void Pairing::on_ice_candidate(const std::string&, const nlohmann::json& candidate) {
    if (state_ != State::gathering) return; // a code already made cannot carry more
    const auto text = candidate.find("candidate");
    if (text != candidate.end() && text->is_string() && candidates_.size() < 64)
        candidates_.push_back(text->get<std::string>());
}

void Pairing::on_ice_gathering_complete(const std::string&) {
    gathered_ = true;
    if (state_ == State::gathering && local_sdp_) finish_code();
}

void Pairing::on_channel_open(const std::string&) {
    if (state_ != State::connecting && state_ != State::showing) return;
    set_state(State::open);
    rtc_.send(connection, nlohmann::json{{"t", "hello"},
                                         {"id", self_.peer},
                                         {"name", self_.name},
                                         {"session", self_.session}}
                              .dump());
}

void Pairing::on_channel_message(const std::string&, std::string_view text) {
    if (state_ != State::open || text.size() > max_bootstrap_frame_bytes) return;
    const nlohmann::json frame = nlohmann::json::parse(text, nullptr, false);
    if (!frame.is_object()) return;
    const auto type = frame.find("t");
    if (type == frame.end() || !type->is_string()) return;
    if (*type == "hello" && !peer_) {
        const auto id = frame.find("id"), name = frame.find("name"), session = frame.find("session");
        if (id == frame.end() || name == frame.end() || session == frame.end() || !id->is_string() ||
            !name->is_string() || !session->is_string() || !is_peer_key_id(id->get<std::string>()) ||
            !is_valid_id(session->get<std::string>()) || *id == self_.peer)
            return;
        const Checked checked = check_chat_name(name->get<std::string>());
        peer_ = PairedPeer{id->get<std::string>(), checked.ok() ? checked.value : std::string(), session->get<std::string>()};
        if (callbacks_.met) callbacks_.met(*peer_);
        if (callbacks_.changed) callbacks_.changed();
    } else if (*type == "signal" && peer_) {
        const auto data = frame.find("data");
        if (data != frame.end() && data->is_object() && callbacks_.signal) callbacks_.signal(peer_->peer, *data);
    }
}

void Pairing::on_channel_closed(const std::string&) {
    if (state_ == State::open && !peer_) fail({"pair.closed", {}});
}

// Once the hellos crossed the bootstrap has done its part: its end (the other side closing it
// once its link is proven) is no failure.
void Pairing::on_connection_state(const std::string&, PeerConnectionState state) {
    if (state == PeerConnectionState::failed && state_ != State::open && state_ != State::idle &&
        state_ != State::failed)
        fail({"pair.unreachable", {}});
}

void Pairing::on_rtc_error(const std::string&, RtcOperation op, std::string_view message) {
    if (state_ == State::idle || state_ == State::failed || (state_ == State::open && peer_)) return;
    fail({"pair.browser_error", {{"operation", std::string(to_string(op))}, {"detail", repair_utf8(message)}}});
}

} // namespace peddlenet
