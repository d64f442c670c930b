// websocket.hpp: the browser's WebSocket (web/websocket.js) as a C++ object with callbacks.
// Needs: nothing but the JS half.
//  [X] open by URL (a path like "/ws" resolves against the page's origin, http->ws, https->wss)
//  [X] text frames both ways with exact bytes; close code and reason reported
//  [X] destroying or closing the object silences every later event of that socket
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace peddlenet::platform {

class WebSocketClient {
public:
    struct Callbacks {
        std::function<void()> on_open;
        std::function<void(std::string_view text)> on_message;
        std::function<void(int code, const std::string& reason)> on_close; // also after a failed open
        std::function<void(const std::string& what)> on_error;
    };

    explicit WebSocketClient(Callbacks callbacks) : callbacks_(std::move(callbacks)) {}
    ~WebSocketClient(); // closes the socket
    // Registered with JS by handle: neither copyable nor movable.
    WebSocketClient(const WebSocketClient&) = delete;
    WebSocketClient& operator=(const WebSocketClient&) = delete;

    // Closes any previous socket and opens a new one.
    void open(const std::string& url);
    // False when the socket is not open (nothing is queued then).
    bool send(std::string_view text);
    // Closes without any further callback.
    void close();
    bool is_open() const { return open_; }

    // Called by the pn_ws_event export.
    static void dispatch(int handle, int kind, int number, std::string_view text);

private:
    Callbacks callbacks_;
    int handle_ = 0;
    bool open_ = false;
};

} // namespace peddlenet::platform
