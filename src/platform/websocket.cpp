// websocket.cpp: see websocket.hpp.
#include "platform/websocket.hpp"


#include <emscripten/emscripten.h>

#include <map>

extern "C" {
// Implemented in web/websocket.js.
int pn_ws_open(const char* url);
int pn_ws_send(int handle, const char* data, int length);
void pn_ws_close(int handle);
}

namespace peddlenet::platform {
namespace {

enum WsEventKind { event_open = 0, event_message = 1, event_close = 2, event_error = 3 };

std::map<int, WebSocketClient*>& clients() {
    static std::map<int, WebSocketClient*> table; // JS handle -> owner
    return table;
}

} // namespace

WebSocketClient::~WebSocketClient() {
    close();
}

void WebSocketClient::open(const std::string& url) {
    close();
    handle_ = pn_ws_open(url.c_str());
    clients()[handle_] = this;
}

bool WebSocketClient::send(std::string_view text) {
    return open_ && pn_ws_send(handle_, text.data(), static_cast<int>(text.size())) != 0;
}

void WebSocketClient::close() {
    if (handle_ == 0) return;
    clients().erase(handle_);
    pn_ws_close(handle_);
    handle_ = 0;
    open_ = false;
}

void WebSocketClient::dispatch(int handle, int kind, int number, std::string_view text) {
    const auto it = clients().find(handle);
    if (it == clients().end()) return;
    WebSocketClient& c = *it->second;
    switch (kind) {
    case event_open:
        c.open_ = true;
        if (c.callbacks_.on_open) c.callbacks_.on_open();
        break;
    case event_message:
        if (c.callbacks_.on_message) c.callbacks_.on_message(text);
        break;
    case event_error:
        if (c.callbacks_.on_error) c.callbacks_.on_error(std::string(text));
        break;
    case event_close: {
        // The socket is gone on the JS side: forget the handle before the callback, which may
        // well open a new socket on this same object.
        clients().erase(handle);
        c.handle_ = 0;
        c.open_ = false;
        if (c.callbacks_.on_close) c.callbacks_.on_close(number, std::string(text));
        break;
    }
    default: break;
    }
}

BrowserSignalingSocket::BrowserSignalingSocket(std::function<void()> after_close)
    : after_close_(std::move(after_close)),
      socket_(WebSocketClient::Callbacks{
          [this] {
              if (client_) client_->on_open();
          },
          [this](std::string_view text) {
              if (client_) client_->on_message(text);
          },
          [this](int, const std::string&) {
              if (client_) client_->on_closed();
              if (after_close_) after_close_();
          },
          {}}) {}

} // namespace peddlenet::platform

// `text` is owned by websocket.js and valid during this call only.
extern "C" EMSCRIPTEN_KEEPALIVE void pn_ws_event(int handle, int kind, int number, const char* text,
                                                 int length) {
    peddlenet::platform::WebSocketClient::dispatch(handle, kind, number,
                                                   std::string_view(text, static_cast<std::size_t>(length)));
    // No wake here: keepalive pongs change nothing on screen; the owner redraws for what does.
}
