// app.cpp: see app.hpp.
#include "app/app.hpp"

#include "app/crypto_bench.hpp"
#include "app/language.hpp"
#include "app/mirror.hpp"
#include "app/theme.hpp"
#include "app/widgets.hpp"
#include "core/chat_log.hpp"
#include "core/invite.hpp"
#include "core/room_name.hpp"
#include "core/text.hpp"
#include "core/trust.hpp"
#include "platform/appearance.hpp"
#include "platform/automation.hpp"
#include "platform/canvas.hpp"
#include "platform/crypto.hpp"
#include "platform/input.hpp"
#include "platform/location.hpp"
#include "platform/main_loop.hpp"
#include "platform/storage.hpp"
#include "platform/webgl_renderer.hpp"

#include <GLES3/gl3.h>
#include <emscripten/emscripten.h>
#include <imgui.h>

#include <algorithm>

namespace peddlenet::app {
namespace {

// state().relay.lastError: "CODE URL REASON", or "" when a relay answered since.
std::string relay_error(const platform::BrowserRtc::RelayReport& r) {
    if (r.error_code == 0) return {};
    return std::to_string(r.error_code) + " " + r.error_url + " " + r.error_text;
}

// localStorage key: the signaling server of the saved room when it is not the page's own (the
// room came from an invite naming another server), so that a reload rejoins it there.
constexpr const char* key_server = "peddlenet.server";

// Empty when `name` is acceptable (the one display-name rule), else the reason, written for the
// person typing.
std::string check_name(const std::string& name) {
    // Core repairs invalid UTF-8 in names from peers; a name being typed is refused instead.
    if (display_name_problem(name) == NameProblem::invalid_utf8) return tr("name.invalid_text");
    const Checked checked = check_chat_name(name);
    return checked.ok() ? std::string() : tr(checked.error);
}

} // namespace

bool App::start() {
    if (!platform::create_webgl2_context()) return false;
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr; // no file system on the web; nothing worth persisting yet
    io.LogFilename = nullptr;
    io.ConfigInputTrickleEventQueue = true; // a tap's press and release land in separate frames
    load_languages();
    mirror().start();
    load_fonts();
    apply_appearance();
    apply_saved_text_size();
    if (!platform::renderer_init()) return false;
    platform::install_input();
    platform::on_context_change([this](bool lost) {
        context_lost_ = lost;
        // A restored context has none of the old GL objects: rebuild the renderer's.
        if (!lost) platform::renderer_recreate();
    });
    page_url_ = platform::page_url();
    platform::watch_appearance([this] { apply_appearance(); });
    register_automation();
    platform::install_automation();
    // The device's key first: the peer id is the public key, so nothing can join without it.
    platform::WebCrypto::load_identity([this](platform::IdentityResult identity) { on_identity(identity); });
    platform::run_main_loop([this](double now_ms) { frame(now_ms); });
    return true;
}

void App::on_identity(const platform::IdentityResult& identity) {
    if (!identity.ok) {
        identity_problem_ = identity.error;
        emscripten_log(EM_LOG_WARN, "PeddleNet: no identity key: %s", identity.error.c_str());
        platform::refresh();
        return;
    }
    session_ = std::make_unique<ChatSession>(ChatSession::Events{
        [this](const std::string& room_id) {
            // Settle every join()/create() Promise waiting for this room; others stay pending.
            if (session_->room_id() != room_id || !session_->room()) return;
            std::erase_if(pending_joins_, [&](PendingJoin& entry) {
                if (entry.room != *session_->room()) return false;
                entry.settle(platform::AutomationResult::success(entry.value));
                return true;
            });
        },
        [this](const std::string& text) { notice_ = text; },
        [this](const ChatMessage& message) {
            if (const auto& room = session_->room()) notifications_.message_arrived(room->name, message, emscripten_get_now());
        }},
        identity);
    screen_ = Screen::home;
    name_ = session_->has_saved_name() ? session_->name() : std::string(); // no "Anonymous" to delete first
    // The signaling server: the one an opened invite names, else the one kept for the saved room,
    // else the page's own.
    const auto opened = parse_invite_url(page_url_);
    signaling_url_ = default_signaling_url(page_url_).value_or("ws");
    const auto kept = platform::local_get(key_server);
    if (opened) {
        signaling_url_ = opened->signaling;
    } else if (auto server = normalize_signaling_url(kept.value_or("")); server && session_->saved_room()) {
        signaling_url_ = *server;
    }
    if (opened) {
        // An invite link (a phone's camera app opened it): that room, after a name if needed.
        accept_invite(*opened);
        platform::clear_fragment(); // taken; a reload resumes the room like any other
    } else if (const auto room = session_->saved_room(); room && session_->has_saved_name()) {
        // A reload (or reopening the installed app) goes straight back to the room, as the same peer.
        session_->enter(*room);
        screen_ = Screen::room;
    }
    session_->start(signaling_url_);
    // An invite link opened while the app is already open in this tab.
    platform::on_fragment_change([this](const std::string& url) {
        if (const auto link = parse_invite_url(url)) {
            accept_invite(*link);
            platform::clear_fragment();
        }
    });
    platform::on_visibility_change([this](bool hidden) {
        if (hidden) session_->flush(); // a hidden page can be killed without another event
        notifications_.page_hidden(hidden);
    });
    platform::refresh();
}

void App::frame(double now_ms) {
    if (context_lost_) return; // nothing can be drawn; the shell shows the message
    const platform::CanvasMetrics m = platform::update_canvas_metrics();
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(m.css_width, m.css_height);
    io.DisplayFramebufferScale = ImVec2(m.pixel_ratio, m.pixel_ratio);
    // After an idle gap the first delta would be seconds long; ImGui only needs it small and positive.
    io.DeltaTime = last_frame_ms_ > 0 ? std::clamp(static_cast<float>((now_ms - last_frame_ms_) / 1000.0), 0.001f, 0.1f)
                                      : 1.0f / 60.0f;
    last_frame_ms_ = now_ms;
    // ImGui scrolls 5 font heights per wheel step; touch scrolling converts finger travel with it.
    platform::begin_input_frame(now_ms, 5.0f * base_font_px);
    if (session_) session_->tick();

    ImGui::NewFrame();

    const ImGuiViewport* viewport = ImGui::GetMainViewport();
    // Clear of the notch, the rounded corners and the home indicator (the page covers them).
    const platform::SafeAreaInsets& inset = safe_area_;
    ImGui::SetNextWindowPos(ImVec2(viewport->WorkPos.x + inset.left, viewport->WorkPos.y + inset.top));
    ImGui::SetNextWindowSize(ImVec2(std::max(0.0f, viewport->WorkSize.x - inset.left - inset.right),
                                    std::max(0.0f, viewport->WorkSize.y - inset.top - inset.bottom)));
    ImGui::Begin("PeddleNet", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                     ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus);
    mirror().begin_frame();
    mirror().set_screen(screen_name(screen_));
    switch (screen_) {
    case Screen::starting: draw_starting(); break;
    case Screen::home: draw_home(); break;
    case Screen::join: draw_join(); break;
    case Screen::room: draw_room(); break;
    case Screen::invite: draw_invite(); break;
    case Screen::my_code:
        if (invite_screen_.draw_my_code(session_->my_code(), session_->identity_fingerprint()) ==
            InviteScreen::Action::back) {
            screen_ = session_->room() ? Screen::room : Screen::home;
        }
        break;
    case Screen::scanner: draw_scanner(); break;
    case Screen::pairing: draw_pairing(); break;
    case Screen::invited: draw_invited(); break;
    case Screen::settings:
        if (settings_screen_.draw(*session_, notifications_) == SettingsScreen::Action::close) screen_ = Screen::home;
        break;
    }
    // Whatever took the app off the scanner (also join() or showInvite() from the API), the
    // camera goes off with it.
    if (screen_ != Screen::scanner && scanner_screen_.is_open()) close_scanner();
    platform::draw_preedit(); // over whichever screen's text field is composing
    mirror().end_frame();
    ImGui::End();

    ImGui::Render();
    glViewport(0, 0, m.buffer_width, m.buffer_height);
    const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    glClearColor(bg.x, bg.y, bg.z, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    platform::renderer_render(ImGui::GetDrawData());
    platform::end_input_frame();

    if (platform::input_needs_frames()) platform::wake();
    if (!announced_ready_ && (session_ || !identity_problem_.empty())) {
        announced_ready_ = true;
        EM_ASM({ if (window.peddlenetShell) window.peddlenetShell.started(); });
        platform::signal_automation_ready();
    }
}

void App::apply_appearance() {
    const ThemeKind theme = platform::preferred_color_scheme() == platform::ColorScheme::light ? ThemeKind::light
                                                                                                 : ThemeKind::dark;
    apply_theme(theme); // cheap, and only on a change or a resize
    safe_area_ = platform::safe_area_insets();
}

void App::draw_starting() {
    const float column = std::min(ImGui::GetContentRegionAvail().x, em(26.0f));
    ImGui::SetCursorPosX((ImGui::GetWindowWidth() - column) * 0.5f);
    ImGui::BeginGroup();
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + column);
    ImGui::Dummy(em(0, 2.0f));
    ImGui::PushFont(nullptr, base_font_px * 2.0f);
    ImGui::TextUnformatted("PeddleNet");
    ImGui::PopFont();
    if (identity_problem_.empty()) {
        ImGui::TextDisabled("%s", visual(tr("start.preparing_key")).c_str());
    } else {
        ImGui::PushStyleColor(ImGuiCol_Text, palette().error_text);
        literal_text(identity_problem_);
        ImGui::PopStyleColor();
    }
    ImGui::PopTextWrapPos();
    ImGui::EndGroup();
}

void App::draw_home() {
    // A centred column of comfortable width on tablets and desktops, full width on phones.
    const float column = std::min(ImGui::GetContentRegionAvail().x, em(26.0f));
    ImGui::SetCursorPosX((ImGui::GetWindowWidth() - column) * 0.5f);
    ImGui::BeginGroup();
    ImGui::PushItemWidth(column);
    // Texts wrap (and right-to-left ones align) to the column.
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + column);
    ImGui::Dummy(em(0, 2.0f));
    ImGui::PushFont(nullptr, base_font_px * 2.0f);
    ImGui::TextUnformatted("PeddleNet");
    ImGui::PopFont();
    mirror().heading("title", "PeddleNet");
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    literal_text(tr("home.tagline"), false);
    mirror().text("tagline", tr("home.tagline"));
    ImGui::PopStyleColor();
    ImGui::Dummy(em(0, 1.0f));

    literal_text(tr("common.your_name"), false);
    const bool typed = text_field("##name", visual(tr("common.name_example")).c_str(), name_, max_display_name_bytes);
    if (mirror().textbox("name", tr("common.your_name"), name_, tr("common.name_example")).changed || typed) {
        notice_.clear();
        // Kept as soon as it is valid: a reload or a join from the API uses what was typed.
        if (check_name(name_).empty()) session_->set_name(name_);
    }
    ImGui::Dummy(em(0, 0.5f));

    const auto button = [&](const char* id, const char* text, bool primary) {
        const std::string label = visual(tr(text));
        return mirror().button(id, tr(text), primary ? primary_button(label.c_str(), column)
                                                     : secondary_button(label.c_str(), column));
    };
    if (button("create-private", "home.create_private", true)) {
        notice_ = enter_room(RoomRef{make_room_name(secure_random), make_room_key(secure_random)});
    }
    if (button("join-open", "home.join_open", false)) {
        notice_ = check_name(name_);
        if (notice_.empty()) screen_ = Screen::join;
    }
    if (button("scan", "home.scan", false)) {
        notice_.clear();
        open_scanner();
    }
    if (button("my-code", "common.my_code", false)) {
        notice_.clear();
        screen_ = Screen::my_code;
    }
    if (button("settings", "home.settings", false)) { // a full-height touch target like the others
        notice_.clear();
        settings_screen_.open(*session_);
        screen_ = Screen::settings;
    }
    if (!notice_.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, palette().error_text);
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + column);
        literal_text(notice_, false);
        ImGui::PopTextWrapPos();
        ImGui::PopStyleColor();
        mirror().alert("notice", notice_);
    }
    ImGui::PopTextWrapPos();
    ImGui::PopItemWidth();
    ImGui::EndGroup();
}

void App::draw_join() {
    const float column = std::min(ImGui::GetContentRegionAvail().x, em(26.0f));
    ImGui::SetCursorPosX((ImGui::GetWindowWidth() - column) * 0.5f);
    ImGui::BeginGroup();
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + column);
    ImGui::Dummy(em(0, 2.0f));
    literal_text(tr("join.title"), false);
    ImGui::PushItemWidth(column);
    const bool entered = text_field("##room", visual(tr("join.room_example")).c_str(), room_input_, max_id_length,
                                    ImGuiInputTextFlags_EnterReturnsTrue | ImGuiInputTextFlags_CharsNoBlank);
    const bool submitted = mirror().textbox("room", tr("join.title"), room_input_, tr("join.room_example")).submitted || entered;
    ImGui::PopItemWidth();
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    literal_text(tr("join.explain"), false);
    mirror().text("explain", tr("join.explain"));
    ImGui::PopStyleColor();
    if (mirror().button("join", tr("common.join"), primary_button(visual(tr("common.join")).c_str(), column)) ||
        submitted) {
        notice_ = enter_room(RoomRef{room_input_, {}});
    }
    if (mirror().button("back", tr("common.back"), secondary_button(visual(tr("common.back")).c_str(), column))) {
        notice_.clear();
        screen_ = Screen::home;
    }
    if (!notice_.empty()) {
        literal_text(notice_, false);
        mirror().alert("notice", notice_);
    }
    ImGui::PopTextWrapPos();
    ImGui::EndGroup();
}

void App::draw_room() {
    switch (room_screen_.draw(*session_)) {
    case RoomScreen::Action::leave: leave_room(); break;
    case RoomScreen::Action::invite: screen_ = Screen::invite; break;
    case RoomScreen::Action::my_code: screen_ = Screen::my_code; break;
    case RoomScreen::Action::scan: open_scanner(); break;
    case RoomScreen::Action::pair: start_pairing(); break;
    case RoomScreen::Action::none: break;
    }
}

void App::start_pairing() {
    pairing_notice_ = session_->start_pairing();
    screen_ = pairing_notice_.empty() ? Screen::pairing : Screen::room;
    if (!pairing_notice_.empty()) notice_ = pairing_notice_;
}

// A scanned pairing code: the answer to the offer this phone shows, or another phone's offer.
void App::accept_pairing_code(const std::string& code) {
    const Pairing& pairing = session_->pairing();
    const bool awaiting_answer = pairing.offering() && pairing.state() == Pairing::State::showing;
    pairing_notice_ = awaiting_answer ? session_->accept_pairing_answer(code) : session_->accept_pairing_offer(code);
    screen_ = Screen::pairing;
}

// {state, offering, code, bytes, qrVersion, error, notice, peer, pairedWith} for state().
nlohmann::json App::pairing_json() const {
    const Pairing& p = session_->pairing();
    const char* state = "idle";
    switch (p.state()) {
    case Pairing::State::idle: state = "idle"; break;
    case Pairing::State::gathering: state = "gathering"; break;
    case Pairing::State::showing: state = "showing"; break;
    case Pairing::State::connecting: state = "connecting"; break;
    case Pairing::State::open: state = "open"; break;
    case Pairing::State::failed: state = "failed"; break;
    }
    if (p.code() != pairing_qr_.text) { // encoded once per code, not at every state() call
        const auto qr = p.code().empty() ? std::optional<qr::Code>() : qr::encode(p.code());
        pairing_qr_ = {p.code(), qr ? (qr->size - 17) / 4 : 0};
    }
    return {{"state", state},
            {"offering", p.offering()},
            {"code", p.code()},
            {"bytes", p.code_bytes()},
            {"qrVersion", pairing_qr_.version},
            {"error", tr(p.error())},
            {"notice", pairing_notice_},
            {"peer", p.peer() ? nlohmann::json(p.peer()->peer) : nlohmann::json(nullptr)},
            {"pairedWith", session_->paired_with() ? nlohmann::json(*session_->paired_with()) : nlohmann::json(nullptr)}};
}

void App::draw_pairing() {
    const Pairing& pairing = session_->pairing();
    // Linked: the bootstrap is gone and the room is there.
    if (pairing.state() == Pairing::State::idle && session_->paired_with()) {
        screen_ = session_->room() ? Screen::room : Screen::home;
        return;
    }
    switch (invite_screen_.draw_pairing(pairing, pairing_notice_)) {
    case InviteScreen::Action::back:
        session_->cancel_pairing();
        pairing_notice_.clear();
        screen_ = session_->room() ? Screen::room : Screen::home;
        break;
    case InviteScreen::Action::scan:
        pairing_notice_.clear();
        open_scanner();
        scanner_return_ = Screen::pairing;
        break;
    case InviteScreen::Action::retry: start_pairing(); break;
    case InviteScreen::Action::none: break;
    }
}

void App::draw_invite() {
    const auto room = session_->room();
    const auto url = invite_url();
    if (!room || !url) {
        screen_ = room ? Screen::room : Screen::home;
        return;
    }
    if (invite_screen_.draw(room->name, *url, room->is_private()) == InviteScreen::Action::back) screen_ = Screen::room;
}

void App::draw_scanner() {
    switch (scanner_screen_.draw()) {
    case ScannerScreen::Action::back:
        close_scanner();
        if (scanner_return_ == Screen::pairing) screen_ = Screen::pairing;
        else screen_ = scanner_return_ == Screen::room && session_->room() ? Screen::room : Screen::home;
        break;
    case ScannerScreen::Action::invite: {
        const InviteLink link = scanner_screen_.invite();
        close_scanner();
        screen_ = scanner_return_ == Screen::room && session_->room() ? Screen::room : Screen::home;
        accept_invite(link);
        break;
    }
    case ScannerScreen::Action::pairing: {
        const std::string code = scanner_screen_.pairing_code();
        close_scanner();
        accept_pairing_code(code);
        break;
    }
    case ScannerScreen::Action::verify: {
        const std::string code = scanner_screen_.verify_code();
        close_scanner();
        screen_ = scanner_return_ == Screen::room && session_->room() ? Screen::room : Screen::home;
        accept_verify_code(code);
        break;
    }
    case ScannerScreen::Action::none: break;
    }
}

void App::draw_invited() {
    if (!invited_) {
        screen_ = Screen::home;
        return;
    }
    switch (invited_screen_.draw(invited_->name, name_, notice_)) {
    case InvitedScreen::Action::join: notice_ = enter_room(*invited_); break;
    case InvitedScreen::Action::cancel:
        notice_.clear();
        invited_.reset();
        screen_ = Screen::home;
        break;
    case InvitedScreen::Action::none: break;
    }
}

void App::accept_invite(const InviteLink& link) {
    if (link.signaling != signaling_url_) {
        // The room lives on another signaling server: start afresh on it, on this same page (so
        // the name and peer id stay); the reloaded app takes the invite from its fragment.
        if (const auto url = make_invite_url(page_url_, link.invite.room, link.signaling, link.invite.key)) {
            platform::open_url(*url);
        }
        return;
    }
    const RoomRef room{link.invite.room, link.invite.key};
    if (session_->room() == room) {
        screen_ = Screen::room;
        return;
    }
    if (!check_name(name_).empty()) {
        invited_ = room;
        notice_.clear();
        screen_ = Screen::invited;
        return;
    }
    notice_ = enter_room(room);
}

void App::accept_verify_code(const std::string& code) {
    std::string who;
    const std::string problem = session_->verify(code, &who);
    notice_ = problem.empty() ? tr("people.verified_now", {{"name", who}}) : problem;
}

void App::open_scanner() {
    if (screen_ != Screen::scanner) scanner_return_ = session_->room() ? Screen::room : Screen::home;
    screen_ = Screen::scanner;
    if (!scanner_screen_.is_open() || scanner_screen_.failed()) scanner_screen_.open();
}

void App::close_scanner() {
    scanner_screen_.close();
    settle_scans(platform::AutomationResult::failure("the scanner was closed before it read a code"));
}

void App::settle_scans(const platform::AutomationResult& result) {
    auto waiting = std::move(pending_scans_);
    pending_scans_.clear();
    for (auto& settle : waiting) settle(result);
}

std::optional<std::string> App::invite_url() const {
    const auto& room = session_->room();
    if (!room) return std::nullopt;
    return make_invite_url(page_url_, room->name, signaling_url_, room->key);
}

std::string App::enter_room(const RoomRef& room) {
    if (std::string problem = check_name(name_); !problem.empty()) return problem;
    if (!is_valid_id(room.name)) return tr("join.bad_room_name");
    if (std::string problem = session_->set_name(name_); !problem.empty()) return problem;
    if (session_->room() != room) room_screen_.reset();
    session_->enter(room);
    // Kept only when it is not the page's own: a reload then rejoins this room where it lives.
    if (signaling_url_ != default_signaling_url(page_url_)) {
        platform::local_set(key_server, signaling_url_);
    } else {
        platform::local_remove(key_server);
    }
    invited_.reset();
    notice_.clear();
    screen_ = Screen::room;
    return {};
}

void App::leave_room() {
    for (PendingJoin& entry : pending_joins_) {
        entry.settle(platform::AutomationResult::failure("left room " + entry.room.name +
                                                         " before the server confirmed the join"));
    }
    pending_joins_.clear();
    session_->leave();
    name_ = session_->name(); // it may have been edited in the room
    screen_ = Screen::home;
}

// A photo message's photo: its reference, whether it is here and drawn, its fetch, and for
// own photos each recipient's progress.
nlohmann::json App::photo_json(const ChatMessage& m) const {
    const Photos& photos = session_->photos();
    const PhotoTransfers& transfers = session_->engine().photos();
    nlohmann::json sent = nlohmann::json::array();
    for (const PhotoTransfers::Sent& row : transfers.sent(m.photo->hash))
        sent.push_back({{"peerId", row.peer}, {"bytes", row.bytes}, {"whole", row.whole}});
    const auto receiving = transfers.receiving(m.photo->hash);
    return {{"hash", m.photo->hash},     {"bytes", m.photo->bytes},
            {"type", m.photo->type},     {"width", m.photo->width},
            {"height", m.photo->height}, {"here", photos.have(m.photo->hash)},
            {"shown", photos.shown(m.photo->hash)}, {"shownAt", photos.shown_at(m.photo->hash)},
            {"failed", photos.failed(m.photo->hash)},
            {"receiving", receiving ? nlohmann::json(*receiving) : nlohmann::json(nullptr)},
            {"sentTo", std::move(sent)}};
}

// The photo pipeline: what is being prepared, the last refusal, the last photo sent (timings
// for benchmarks) and the transfer counters.
nlohmann::json App::photos_json() const {
    const Photos& photos = session_->photos();
    const Photos::Timing& t = photos.last_sent();
    const PhotoTransfers::Counters& c = session_->engine().photos().counters();
    return {{"busy", photos.busy()},
            {"notice", photos.notice()},
            {"lastSent", {{"pickedAt", t.picked_at}, {"sentAt", t.sent_at}, {"workerMs", t.worker_ms},
                          {"bytes", t.bytes}, {"width", t.width}, {"height", t.height}, {"type", t.type},
                          {"hash", t.hash}}},
            {"chunksSent", c.chunks_sent}, {"chunksReceived", c.chunks_received},
            {"bytesSent", c.bytes_sent}, {"bytesReceived", c.bytes_received},
            {"refused", c.refused}, {"fetched", c.fetched}};
}

// The screen's name in state() and for the mirror, which moves the focus when it changes.
const char* App::screen_name(Screen s) {
    switch (s) {
    case Screen::starting: return "starting";
    case Screen::home: return "home";
    case Screen::join: return "join";
    case Screen::room: return "room";
    case Screen::invite: return "invite";
    case Screen::my_code: return "myCode";
    case Screen::scanner: return "scanner";
    case Screen::invited: return "invited";
    case Screen::settings: return "settings";
    case Screen::pairing: return "pairing";
    }
    return "home";
}

nlohmann::json App::state_json() const {
    if (!session_) {
        return {{"screen", "starting"},
                {"identityState", identity_problem_.empty() ? "loading" : "failed"},
                {"identityError", identity_problem_},
                {"frames", platform::frames_drawn()}};
    }
    const RoomEngine& engine = session_->engine();
    // {attempts, successes, connectMs (mean), score 0-100}; nulls before any attempt ended.
    const auto health_json = [](const ConnectionHealth* h) {
        const auto opt = [](auto v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
        return nlohmann::json{{"attempts", h ? h->attempts() : 0},
                              {"successes", h ? h->successes() : 0},
                              {"connectMs", h ? opt(h->mean_connect_ms()) : nlohmann::json(nullptr)},
                              {"score", h ? opt(h->score()) : nlohmann::json(nullptr)}};
    };
    // {kind: direct|stun|relay, local, remote, protocol, rttMs}; null until getStats answered.
    const auto path_json = [](const LinkPath* path) {
        if (!path) return nlohmann::json(nullptr);
        return nlohmann::json{{"kind", std::string(to_string(path->kind))},
                              {"local", path->local_type},
                              {"remote", path->remote_type},
                              {"protocol", path->protocol},
                              {"rttMs", path->rtt_ms ? nlohmann::json(*path->rtt_ms) : nlohmann::json(nullptr)}};
    };
    nlohmann::json peers = nlohmann::json::array();
    for (const LinkInfo& p : engine.peers()) {
        const PeerTrust trust = session_->trust(p.peer);
        peers.push_back({{"peerId", p.peer},
                         {"name", p.name},
                         {"link", std::string(to_string(p.state))},
                         {"proof", std::string(to_string(p.proof))},
                         {"refusal", p.refusal},
                         {"verified", trust.verified},
                         {"verifiedNameOtherKey", trust.name_of_other_key},
                         {"safetyCode", trust.safety_code ? nlohmann::json(*trust.safety_code) : nlohmann::json(nullptr)},
                         {"rttMs", p.rtt_ms ? nlohmann::json(*p.rtt_ms) : nlohmann::json(nullptr)},
                         {"openedMs", nlohmann::json(session_->link_opened_ms(p.peer).value_or(0))},
                         {"health", health_json(engine.health(p.peer))},
                         {"path", path_json(session_->path(p.peer))}});
    }
    nlohmann::json messages = nlohmann::json::array();
    for (const ChatMessage& m : engine.messages()) {
        const Delivery d = engine.delivery(m);
        messages.push_back({{"id", m.id},
                            {"from", m.from},
                            {"name", m.name},
                            {"text", m.text},
                            {"ts", m.ts_ms},
                            {"signed", !m.sig.empty()},
                            {"delivery", std::string(to_string(d.state))},
                            {"deliveredTo", d.acked},
                            {"deliveredOf", d.of},
                            {"seenBy", d.big_room ? nlohmann::json(d.acked) : nlohmann::json(nullptr)},
                            {"arrivedMs", session_->arrived_ms(m.id).value_or(0)}});
        if (m.photo) messages.back()["photo"] = photo_json(m);
    }
    const auto& room = session_->room();
    const auto& room_id = session_->room_id();
    const char* screen = screen_name(screen_);
    const RoomStats& stats = engine.stats();
    return {
        {"peerId", session_->peer_id()},
        {"identity", session_->identity_fingerprint()},
        {"identityState", session_->identity_ephemeral() ? "ephemeral" : "ok"},
        {"name", session_->has_saved_name() ? session_->name() : std::string()},
        {"room", room ? nlohmann::json(room->name) : nlohmann::json(nullptr)},
        {"roomId", room_id ? nlohmann::json(*room_id) : nlohmann::json(nullptr)},
        {"private", room && room->is_private()},
        {"joined", engine.joined()},
        {"signaling", std::string(to_string(session_->signaling()))},
        {"peers", std::move(peers)},
        {"messages", std::move(messages)},
        {"mesh", {{"partial", engine.partial_mesh()},
                  {"roomSize", engine.room_size()},
                  {"present", engine.present()},
                  {"presenceAnnounced", stats.presence_announced},
                  {"presenceRelayed", stats.presence_relayed},
                  {"links", engine.link_count()},
                  {"connectionsCreated", engine.connections_created()},
                  {"connectionBudget", RoomParams{}.connection_budget},
                  {"relayed", stats.relayed},
                  {"announced", stats.announced},
                  {"fetched", stats.fetched},
                  {"duplicates", stats.duplicates},
                  {"signalsRouted", stats.signals_routed},
                  {"signalsUnroutable", stats.signals_unroutable},
                  {"linksShed", stats.links_shed},
                  {"linksTimedOut", stats.links_timed_out},
                  {"linksDropped", stats.links_dropped},
                  {"linksUnroutable", stats.links_unroutable},
                  {"iceRestarts", stats.ice_restarts},
                  {"freshConnections", stats.fresh_connections}}},
        {"trust", {{"signaturesDropped", stats.signatures_dropped},
                   {"proofsFailed", stats.proofs_failed},
                   {"unprovenDropped", stats.unproven_dropped},
                   {"forgedDropped", stats.forged_dropped}}},
        {"language", ui_language()},
        {"rtl", ui_rtl()},
        {"textSize", text_size_percent()},
        {"frames", platform::frames_drawn()},
        {"frameLagMs", platform::frame_lag_ms()},
        {"health", health_json(&engine.room_health())},
        {"relay", {{"boxServers", session_->box_ice_servers()},
                   {"expires", session_->box_ice_expires()},
                   {"relayOnly", session_->relay_only()},
                   {"candidates", session_->relay_report().candidates},
                   {"errors", session_->relay_report().errors},
                   {"lastError", relay_error(session_->relay_report())}}},
        {"invite", invite_url() ? nlohmann::json(*invite_url()) : nlohmann::json(nullptr)},
        {"invitedRoom", invited_ ? nlohmann::json(invited_->name) : nlohmann::json(nullptr)},
        {"notice", notice_},
        {"photos", photos_json()},
        {"screen", screen},
        {"scanner", scanner_screen_.state_json()},
        {"pairing", pairing_json()},
        {"inviteEncodeMs", invite_screen_.last_encode_ms()},
        {"theme", current_theme() == ThemeKind::light ? "light" : "dark"},
        {"safeArea", {{"top", safe_area_.top}, {"right", safe_area_.right}, {"bottom", safe_area_.bottom},
                      {"left", safe_area_.left}}},
        {"notifications", notifications_.state_json()},
        {"preedit", platform::preedit_text()},
        {"fonts", lazy_fonts_state()},
    };
}

void App::register_automation() {
    using platform::AutomationResult;
    auto text_arg = [](const nlohmann::json& args) -> std::optional<std::string> {
        if (args.size() == 1 && args[0].is_string()) return args[0].get<std::string>();
        return std::nullopt;
    };
    // Every method but state() needs the session, which exists once the identity key is loaded.
    auto method = [this](const std::string& name, platform::AutomationMethod run) {
        platform::register_automation_method(name, [this, run = std::move(run)](const nlohmann::json& args, auto settle) {
            if (!session_) {
                return settle(AutomationResult::failure(identity_problem_.empty()
                                                            ? "the app is still starting: await peddlenet.ready first"
                                                            : identity_problem_));
            }
            run(args, std::move(settle));
        });
    };
    platform::register_automation_method(
        "state", [this](const nlohmann::json&, auto settle) { settle(AutomationResult::success(state_json())); },
        /*read_only=*/true);
    // The Settings screen's language choice: a shipped language's tag, or "" to follow the browser.
    method("setLanguage", [text_arg](const nlohmann::json& args, auto settle) {
        const auto tag = text_arg(args);
        if (!tag) return settle(AutomationResult::failure("setLanguage(tag) takes one string"));
        const auto languages = ui_languages();
        const bool known = std::any_of(languages.begin(), languages.end(), [&](const auto& l) { return l.first == *tag; });
        if (!tag->empty() && !known) return settle(AutomationResult::failure("no language \"" + *tag + "\" shipped"));
        choose_language(*tag);
        platform::wake();
        settle(AutomationResult::success());
    });
    method("setName", [this, text_arg](const nlohmann::json& args, auto settle) {
        const auto name = text_arg(args);
        if (!name) return settle(AutomationResult::failure("setName(name) takes one string"));
        if (std::string problem = check_name(*name); !problem.empty()) return settle(AutomationResult::failure(problem));
        if (std::string problem = session_->set_name(*name); !problem.empty()) {
            return settle(AutomationResult::failure(problem));
        }
        name_ = *name;
        settle(AutomationResult::success());
    });
    // A measurement knob (scripts/bench/big_room.js): the room size up to which this page links
    // everyone, so that a benchmark can put a full mesh beside the partial one.
    method("setFullMeshMax", [this](const nlohmann::json& args, auto settle) {
        if (args.size() != 1 || !args[0].is_number_unsigned() || args[0].get<std::uint64_t>() < 2 ||
            args[0].get<std::uint64_t>() > max_room_links + 1)
            return settle(AutomationResult::failure("setFullMeshMax(members) takes a count from 2 to 65"));
        session_->engine_mut().set_full_mesh_max(args[0].get<std::size_t>());
        settle(AutomationResult::success());
    });
    // Links only through a relay from now on (the Settings switch, saved).
    method("setRelayOnly", [this](const nlohmann::json& args, auto settle) {
        if (args.size() != 1 || !args[0].is_boolean())
            return settle(AutomationResult::failure("setRelayOnly(on) takes true or false"));
        session_->set_relay_only(args[0].get<bool>());
        settle(AutomationResult::success());
    });
    method("setIceServers", [this, text_arg](const nlohmann::json& args, auto settle) {
        const auto text = text_arg(args);
        if (!text) return settle(AutomationResult::failure("setIceServers(text) takes one string"));
        if (std::string problem = session_->set_ice_servers(*text); !problem.empty())
            return settle(AutomationResult::failure(problem));
        settle(AutomationResult::success());
    });
    // Settles once the server confirmed the join of the room just entered (now if it has).
    auto settle_when_joined = [this](platform::AutomationSettle settle, nlohmann::json value) {
        if (session_->engine().joined() && session_->room()) return settle(AutomationResult::success(std::move(value)));
        pending_joins_.push_back(PendingJoin{*session_->room(), std::move(settle), std::move(value)});
    };
    method("join", [this, text_arg, settle_when_joined](const nlohmann::json& args, auto settle) {
        const auto text = text_arg(args);
        if (!text) return settle(AutomationResult::failure("join(roomOrInviteUrl) takes one string"));
        RoomRef room{*text, {}};
        if (const auto link = parse_invite_url(*text)) {
            if (link->signaling != signaling_url_) {
                return settle(AutomationResult::failure("this invite's room is on another server: open the invite URL "
                                                        "itself (the app then starts there)"));
            }
            room = RoomRef{link->invite.room, link->invite.key};
        } else if (text->find('#') != std::string::npos) {
            return settle(AutomationResult::failure("that is not a valid invite link"));
        }
        if (std::string problem = enter_room(room); !problem.empty()) return settle(AutomationResult::failure(problem));
        settle_when_joined(std::move(settle), room.name);
    });
    method("create", [this, text_arg, settle_when_joined](const nlohmann::json& args, auto settle) {
        const auto name = text_arg(args);
        if (!name) return settle(AutomationResult::failure("create(name) takes one string"));
        const RoomRef room{*name, make_room_key(secure_random)};
        if (std::string problem = enter_room(room); !problem.empty()) return settle(AutomationResult::failure(problem));
        const auto url = invite_url();
        if (!url) return settle(AutomationResult::failure("this page's address cannot make an invite link"));
        settle_when_joined(std::move(settle), *url);
    });
    method("leave", [this](const nlohmann::json&, auto settle) {
        leave_room();
        settle(AutomationResult::success());
    });
    method("showInvite", [this](const nlohmann::json&, auto settle) {
        const auto url = invite_url();
        if (!session_->room()) return settle(AutomationResult::failure("showInvite() needs a room: join or create one first"));
        if (!url) return settle(AutomationResult::failure("this page's address cannot make an invite link"));
        screen_ = Screen::invite;
        settle(AutomationResult::success(*url));
    });
    method("pair", [this](const nlohmann::json&, auto settle) {
        start_pairing();
        if (!pairing_notice_.empty()) return settle(AutomationResult::failure(pairing_notice_));
        settle(AutomationResult::success(""));
    });
    method("myCode", [this](const nlohmann::json&, auto settle) {
        screen_ = Screen::my_code;
        settle(AutomationResult::success(session_->my_code()));
    });
    method("verify", [this, text_arg](const nlohmann::json& args, auto settle) {
        const auto code = text_arg(args);
        if (!code) return settle(AutomationResult::failure("verify(code) takes one string"));
        std::string who;
        if (std::string problem = session_->verify(*code, &who); !problem.empty()) {
            return settle(AutomationResult::failure(problem));
        }
        settle(AutomationResult::success(who));
    });
    method("scan", [this](const nlohmann::json&, auto settle) {
        pending_scans_.push_back(std::move(settle));
        open_scanner();
    });
    method("send", [this, text_arg](const nlohmann::json& args, auto settle) {
        const auto text = text_arg(args);
        if (!text) return settle(AutomationResult::failure("send(text) takes one string"));
        const SendResult result = session_->send(*text);
        if (!result.ok()) return settle(AutomationResult::failure(tr(result.error)));
        settle(AutomationResult::success(result.id));
    });
    method("measureCrypto", [this](const nlohmann::json& args, auto settle) {
        if (args.size() != 1 || !args[0].is_number_integer() || args[0].get<int>() < 1 || args[0].get<int>() > 10000) {
            return settle(AutomationResult::failure("measureCrypto(count) takes a whole number from 1 to 10000"));
        }
        measure_crypto(session_->crypto(), session_->peer_id(), args[0].get<int>(),
                       [settle = std::move(settle)](nlohmann::json figures) {
                           settle(AutomationResult::success(std::move(figures)));
                       });
    });
}

} // namespace peddlenet::app
