// websocket.hpp: the browser's WebSocket (web/websocket.js) as a C++ object with callbacks.
// Needs: the JS half; core/signaling_client.hpp (SignalingSocket) for BrowserSignalingSocket.
//  [X] open by URL (a path like "/ws" resolves against the page's origin, http->ws, https->wss)
//  [X] text frames both ways with exact bytes; close code and reason reported
//  [X] destroying or closing the object silences every later event of that socket
//  [X] BrowserSignalingSocket: the signaling client's socket on it, as BrowserRtc is the room
//      engine's transport on RTCPeerConnection
#pragma once

#include "core/signaling_client.hpp"

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

// The signaling client's socket interface on the browser's WebSocket.
class BrowserSignalingSocket final : public SignalingSocket {
public:
    // `after_close` runs once the client has heard of a close (the app schedules a reconnect).
    explicit BrowserSignalingSocket(std::function<void()> after_close);
    // Where events go. The client is built with this socket, hence the late binding.
    void attach(SignalingClient* client) { client_ = client; }
    void open(const std::string& url) override { socket_.open(url); }
    bool send(std::string_view text) override { return socket_.send(text); }
    void close() override { socket_.close(); }

private:
    SignalingClient* client_ = nullptr;
    std::function<void()> after_close_;
    WebSocketClient socket_;
};

} // namespace peddlenet::platform
