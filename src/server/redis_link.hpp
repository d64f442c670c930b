// redis_link.hpp: one connection to Redis through hiredis's asynchronous API, driven by the
// server's io_context (no thread of its own). It reconnects by itself after a loss, with
// backoff, and says when it goes up and down. A link is either for commands or, once
// subscribe() was called, for pub/sub messages (Redis puts a subscribed connection in a mode
// where it takes no other commands).
// Needs: hiredis 0.14 (Debian libhiredis-dev), Boost.Asio, server/metrics.hpp.
//  [X] commands go out in one write per turn of the event loop, however many were issued
//  [X] every command's callback runs exactly once: with the reply, or with nullptr when the
//      connection was lost before it was answered
//  [X] subscriptions are made again after every reconnection
#pragma once

#include "server/metrics.hpp"

#include <boost/asio.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

struct redisAsyncContext;

namespace peddlenet::server {

// Where Redis is: parsed from redis://HOST:PORT (HOST an IP address or localhost).
struct RedisAddress {
    std::string host;
    int port = 6379;
};
// nullopt with `error` set when the URL is not of that form.
std::optional<RedisAddress> parse_redis_url(std::string_view url, std::string& error);

// A reply, copied out of hiredis's so that it can outlive the callback.
struct RedisReply {
    enum class Kind : std::uint8_t { nil, integer, string, status, error, array };
    Kind kind = Kind::nil;
    long long integer = 0;
    std::string text; // string, status, error
    std::vector<RedisReply> elements;

    bool is_error() const { return kind == Kind::error; }
};

class RedisLink {
public:
    using Callback = std::function<void(const RedisReply* reply)>; // nullptr: connection lost
    using MessageFn = std::function<void(std::string_view channel, std::string_view message)>;

    RedisLink(boost::asio::io_context& ioc, RedisAddress address, Metrics& metrics,
              std::string name);
    ~RedisLink();
    RedisLink(const RedisLink&) = delete;
    RedisLink& operator=(const RedisLink&) = delete;

    // Called after each (re)connection and after each loss (once per loss).
    std::function<void()> on_up;
    std::function<void()> on_down;

    // Starts connecting; reconnects after every loss until close().
    void start();
    // Drops the connection for good (pending callbacks get nullptr).
    void close();
    bool up() const { return up_; }

    // Sends one command. False (and no callback) when the link is down.
    bool command(const std::vector<std::string_view>& args, Callback done);

    // Pub/sub: `on_message` gets every message of the subscribed channels. subscribe() and
    // unsubscribe() may be called while down; the set is renewed on every reconnection.
    // `on_subscribed` runs once Redis confirmed this channel on the current connection.
    void set_message_handler(MessageFn on_message) { on_message_ = std::move(on_message); }
    void subscribe(const std::string& channel, std::function<void()> on_subscribed = {});
    void unsubscribe(const std::string& channel);

private:
    struct Watcher;
    static void on_connect(const redisAsyncContext* ac, int status);
    static void on_disconnect(const redisAsyncContext* ac, int status);
    static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);
    static void on_pubsub(redisAsyncContext* ac, void* reply, void* privdata);
    void connect();
    void lost();
    void send_subscribe(const std::string& channel);

    boost::asio::io_context& ioc_;
    RedisAddress address_;
    Metrics& metrics_;
    std::string name_; // in log lines
    redisAsyncContext* context_ = nullptr;
    std::shared_ptr<Watcher> watcher_;
    boost::asio::steady_timer retry_timer_;
    std::chrono::milliseconds backoff_{100};
    bool up_ = false;
    bool closed_ = false;
    MessageFn on_message_;
    struct Subscription {
        std::function<void()> on_subscribed;
        bool confirmed = false;
    };
    std::unordered_map<std::string, Subscription> channels_;
    // Channels whose UNSUBSCRIBE Redis has not confirmed: hiredis drops its handler for the
    // channel at that confirmation, so a new SUBSCRIBE waits for it.
    std::unordered_set<std::string> unsubscribing_;
};

} // namespace peddlenet::server
