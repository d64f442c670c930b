// input.cpp: see input.hpp. The JS half (web/input.js) calls the pn_input_* exports below.
#include "platform/input.hpp"

#include "core/touch_gestures.hpp"
#include "platform/main_loop.hpp"

#include <emscripten/emscripten.h>
#include <imgui.h>
#include <imgui_internal.h> // ClearActiveID, this frame's PlatformImeData

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
// Implemented in web/input.js.
void pn_input_install();
void pn_input_set_text_focus(int focused);
void pn_input_place_text_field(float x, float y, float w, float h);
void pn_clipboard_write(const char* text);
}

namespace peddlenet::platform {
namespace {

struct Rect {
    float x, y, w, h;
    bool contains(float px, float py) const { return px >= x && py >= y && px < x + w && py < y + h; }
};

struct InputState {
    TouchGestures touch;
    int touch_pointer_down = 0; // touches currently down; only the first one is tracked
    float px_per_wheel_step = 80.0f;
    std::vector<Rect> text_fields;      // drawn this frame
    std::vector<Rect> last_text_fields; // drawn last frame: what a tap now would hit
    bool field_focused = false;
    bool browser_blurred = false;    // the browser took focus away (keyboard dismissed, tab switch)
    int frames_focused_unwanted = 0; // frames the hidden input kept focus that ImGui did not want
    std::string clipboard; // ImGui's copy target, also served back on paste inside the app
    std::string preedit;   // the IME's uncommitted composition, from web/input.js
    ImGuiPlatformImeData ime; // the active field's caret, as ImGui last reported it
};

InputState& state() {
    static InputState s;
    return s;
}

void apply(const std::vector<PointerAction>& actions) {
    ImGuiIO& io = ImGui::GetIO();
    for (const PointerAction& a : actions) {
        io.AddMouseSourceEvent(ImGuiMouseSource_TouchScreen);
        switch (a.kind) {
        case PointerAction::Kind::move:
            io.AddMousePosEvent(a.x, a.y);
            break;
        case PointerAction::Kind::press:
            io.AddMouseButtonEvent(a.button, true);
            break;
        case PointerAction::Kind::release:
            io.AddMouseButtonEvent(a.button, false);
            break;
        case PointerAction::Kind::scroll:
            io.AddMouseWheelEvent(0.0f, -a.scroll_dy / state().px_per_wheel_step);
            break;
        }
    }
}

ImGuiKey key_from_name(std::string_view key) {
    struct Entry {
        const char* name;
        ImGuiKey key;
    };
    static constexpr Entry table[] = {
        {"Enter", ImGuiKey_Enter},         {"Backspace", ImGuiKey_Backspace},
        {"Delete", ImGuiKey_Delete},       {"Tab", ImGuiKey_Tab},
        {"Escape", ImGuiKey_Escape},       {"ArrowLeft", ImGuiKey_LeftArrow},
        {"ArrowRight", ImGuiKey_RightArrow}, {"ArrowUp", ImGuiKey_UpArrow},
        {"ArrowDown", ImGuiKey_DownArrow}, {"Home", ImGuiKey_Home},
        {"End", ImGuiKey_End},             {"PageUp", ImGuiKey_PageUp},
        {"PageDown", ImGuiKey_PageDown},   {"Insert", ImGuiKey_Insert},
        {"Control", ImGuiKey_LeftCtrl},    {"Shift", ImGuiKey_LeftShift},
        {"Alt", ImGuiKey_LeftAlt},         {"Meta", ImGuiKey_LeftSuper},
    };
    for (const Entry& e : table) {
        if (key == e.name) return e.key;
    }
    // Single letters for shortcuts (Ctrl+A, Ctrl+C, Ctrl+X, Ctrl+Z ...).
    if (key.size() == 1) {
        const char c = key[0];
        if (c >= 'a' && c <= 'z') return static_cast<ImGuiKey>(ImGuiKey_A + (c - 'a'));
        if (c >= 'A' && c <= 'Z') return static_cast<ImGuiKey>(ImGuiKey_A + (c - 'A'));
    }
    return ImGuiKey_None;
}

void set_clipboard(ImGuiContext*, const char* text) {
    state().clipboard = text ? text : "";
    pn_clipboard_write(state().clipboard.c_str());
}

const char* get_clipboard(ImGuiContext*) {
    return state().clipboard.c_str();
}

// ImGui calls this at the end of a frame whenever the caret of the active field moved (or the
// field was activated or left).
void set_ime_data(ImGuiContext*, ImGuiViewport*, ImGuiPlatformImeData* data) {
    state().ime = *data;
}

// The text field drawn this frame that holds the caret at (x, y), or null.
const Rect* field_with_caret(float x, float y) {
    for (const Rect& r : state().text_fields) {
        if (r.contains(x, y)) return &r;
    }
    return nullptr;
}

} // namespace

void install_input() {
    ImGuiPlatformIO& pio = ImGui::GetPlatformIO();
    pio.Platform_SetClipboardTextFn = set_clipboard;
    pio.Platform_GetClipboardTextFn = get_clipboard;
    pio.Platform_SetImeDataFn = set_ime_data;
    pn_input_install();
}

void begin_input_frame(double now_ms, float scroll_px_per_wheel_step) {
    InputState& s = state();
    s.px_per_wheel_step = scroll_px_per_wheel_step > 1 ? scroll_px_per_wheel_step : 1;
    if (s.touch.needs_ticks()) apply(s.touch.tick(now_ms));
    s.last_text_fields.swap(s.text_fields);
    s.text_fields.clear();
}

void note_text_field(float x, float y, float w, float h) {
    state().text_fields.push_back({x, y, w, h});
}

void draw_preedit() {
    const InputState& s = state();
    // This frame's caret: the active field set it while drawing (Platform_SetImeDataFn only
    // hears of it at ImGui::Render, too late for this frame's draw list).
    const ImGuiPlatformImeData& caret = ImGui::GetCurrentContext()->PlatformImeData;
    if (s.preedit.empty() || !caret.WantVisible) return;
    ImFont* font = ImGui::GetFont();
    const float size = caret.InputLineHeight;
    const char* begin = s.preedit.data();
    const char* end = begin + s.preedit.size();
    const float width = font->CalcTextSizeA(size, FLT_MAX, 0.0f, begin, end).x;
    ImVec2 pos(caret.InputPos.x + 1.0f, caret.InputPos.y); // InputPos is 1 px left of the caret
    ImVec2 clip_min(0.0f, 0.0f), clip_max = ImGui::GetIO().DisplaySize;
    if (const Rect* field = field_with_caret(pos.x, pos.y + size * 0.5f)) {
        const float pad = ImGui::GetStyle().FramePadding.x;
        clip_min = ImVec2(field->x + pad, field->y);
        clip_max = ImVec2(field->x + field->w - pad, field->y + field->h);
        // Too long for the room right of the caret: end at the field's edge, over the text before
        // it (wider than the field: its start is cut off, the end with the caret stays in view).
        pos.x = std::min(pos.x, clip_max.x - width - 1.0f);
    }
    const float after = pos.x + width + 1.0f; // right of the preedit and its caret
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
    ImDrawList* dl = ImGui::GetForegroundDrawList();
    dl->PushClipRect(clip_min, clip_max, true);
    // The field from the caret on is drawn again: the preedit, then the rest of the line pushed
    // right of it (an empty field's hint is covered, not mixed into the preedit).
    dl->AddRectFilled(pos, ImVec2(std::max(after, clip_max.x), pos.y + size),
                      ImGui::GetColorU32(ImGuiCol_FrameBg));
    dl->AddText(font, size, pos, text, begin, end);
    const float underline = std::max(1.0f, std::floor(size / 16.0f));
    dl->AddRectFilled(ImVec2(pos.x, pos.y + size - underline), ImVec2(pos.x + width, pos.y + size),
                      text);
    dl->AddRectFilled(ImVec2(pos.x + width, pos.y), ImVec2(after, pos.y + size),
                      ImGui::GetColorU32(ImGuiCol_InputTextCursor));
    const ImGuiInputTextState* field_text = ImGui::GetInputTextState(ImGui::GetActiveID());
    if (field_text && field_text->TextSrc && !(field_text->Flags & ImGuiInputTextFlags_Password)) {
        // The committed text replaces a selection, so the rest starts after it.
        const int from = field_text->HasSelection() ? field_text->GetSelectionEnd()
                                                    : field_text->GetCursorPos();
        const char* rest = field_text->TextSrc + std::clamp(from, 0, field_text->TextLen);
        const char* rest_end = field_text->TextSrc + field_text->TextLen;
        rest_end = std::find(rest, rest_end, '\n');
        dl->AddText(font, size, ImVec2(after, pos.y), text, rest, rest_end);
    }
    dl->PopClipRect();
}

const std::string& preedit_text() {
    return state().preedit;
}

void end_input_frame() {
    InputState& s = state();
    const ImGuiIO& io = ImGui::GetIO();
    if (io.WantTextInput && s.ime.WantVisible) {
        // The hidden input over the caret, as wide as the rest of the field: the phone scrolls the
        // caret into view above its keyboard and the OS opens its candidate window next to it.
        const ImVec2 caret(s.ime.InputPos.x + 1.0f, s.ime.InputPos.y);
        const float h = s.ime.InputLineHeight;
        const Rect* field = field_with_caret(caret.x, caret.y + h * 0.5f);
        const float w = field ? field->x + field->w - caret.x : h;
        pn_input_place_text_field(caret.x, caret.y, w, h);
    }
    if (s.browser_blurred && io.WantTextInput) {
        // The user dismissed the keyboard: end the edit instead of raising the keyboard again.
        ImGui::ClearActiveID();
    } else if (io.WantTextInput && !s.field_focused) {
        pn_input_set_text_focus(1);
    } else if (!io.WantTextInput && s.field_focused) {
        // A tap focuses the field before ImGui has activated it (that happens a frame later):
        // only let go after a few frames of ImGui not wanting text, or the phone keyboard flickers.
        if (++s.frames_focused_unwanted >= 3) pn_input_set_text_focus(0);
    }
    if (io.WantTextInput || !s.field_focused) s.frames_focused_unwanted = 0;
    s.browser_blurred = false;
}

bool input_needs_frames() {
    return state().touch.needs_ticks();
}

} // namespace peddlenet::platform

using namespace peddlenet::platform;

// --- Called from web/input.js ---------------------------------------------------------------
extern "C" {

// action: 0 down, 1 up, 2 move, 3 cancel, 4 leave; source: 0 mouse, 1 touch, 2 pen.
EMSCRIPTEN_KEEPALIVE void pn_input_pointer(int action, double x, double y, int button, int source,
                                           double time_ms) {
    ImGuiIO& io = ImGui::GetIO();
    const float fx = static_cast<float>(x), fy = static_cast<float>(y);
    if (source == 1) {
        InputState& s = state();
        if (action == 0 && s.touch_pointer_down++ == 0) apply(s.touch.down(fx, fy, time_ms));
        if (action == 2 && s.touch_pointer_down == 1) apply(s.touch.move(fx, fy, time_ms));
        if (action == 1 || action == 3) {
            if (s.touch_pointer_down == 1) {
                apply(action == 1 ? s.touch.up(fx, fy, time_ms) : s.touch.cancel());
            }
            if (s.touch_pointer_down > 0) --s.touch_pointer_down;
        }
    } else {
        io.AddMouseSourceEvent(source == 2 ? ImGuiMouseSource_Pen : ImGuiMouseSource_Mouse);
        if (action == 4) {
            io.AddMousePosEvent(-FLT_MAX, -FLT_MAX);
        } else {
            io.AddMousePosEvent(fx, fy);
        }
        // Browser buttons: 0 left, 1 middle, 2 right; ImGui: 0 left, 1 right, 2 middle.
        static constexpr int imgui_button[] = {0, 2, 1};
        if ((action == 0 || action == 1) && button >= 0 && button <= 2) {
            io.AddMouseButtonEvent(imgui_button[button], action == 0);
        }
    }
    wake();
}

EMSCRIPTEN_KEEPALIVE void pn_input_wheel(double dx, double dy) {
    const float step = state().px_per_wheel_step;
    ImGui::GetIO().AddMouseWheelEvent(static_cast<float>(-dx) / step, static_cast<float>(-dy) / step);
    wake();
}

// Returns 1 when ImGui uses the key, so the browser's default action is suppressed.
EMSCRIPTEN_KEEPALIVE int pn_input_key(const char* key, int down, int mods) {
    ImGuiIO& io = ImGui::GetIO();
    io.AddKeyEvent(ImGuiMod_Ctrl, (mods & 1) != 0);
    io.AddKeyEvent(ImGuiMod_Shift, (mods & 2) != 0);
    io.AddKeyEvent(ImGuiMod_Alt, (mods & 4) != 0);
    io.AddKeyEvent(ImGuiMod_Super, (mods & 8) != 0);
    const ImGuiKey k = key_from_name(key);
    if (k != ImGuiKey_None) io.AddKeyEvent(k, down != 0);
    wake();
    return k != ImGuiKey_None;
}

EMSCRIPTEN_KEEPALIVE void pn_input_text(const char* utf8) {
    ImGui::GetIO().AddInputCharactersUTF8(utf8);
    wake();
}

// The IME's composition so far (UTF-8); empty when it ends or is cancelled.
EMSCRIPTEN_KEEPALIVE void pn_input_preedit(const char* utf8) {
    state().preedit = utf8 ? utf8 : "";
    wake();
}

EMSCRIPTEN_KEEPALIVE int pn_input_text_field_at(double x, double y) {
    for (const Rect& r : state().last_text_fields) {
        if (r.contains(static_cast<float>(x), static_cast<float>(y))) return 1;
    }
    return 0;
}

EMSCRIPTEN_KEEPALIVE void pn_input_focus(int focused) {
    InputState& s = state();
    s.field_focused = focused != 0;
    s.browser_blurred = focused == 0;
    wake();
}

EMSCRIPTEN_KEEPALIVE void pn_input_wake() {
    wake();
}

} // extern "C"
