// redis_link.cpp: see redis_link.hpp.
// hiredis tells an event library through five hooks when it wants to read or write; here the
// hooks wait on the socket with Asio. hiredis owns the socket: a Watcher only borrows it, and
// lets go of it in the cleanup hook, which hiredis calls when it frees the context (after a
// loss, or on close()).
#include "server/redis_link.hpp"

#include "server/log.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <charconv>

namespace peddlenet::server {

namespace net = boost::asio;

namespace {

constexpr auto max_backoff = std::chrono::milliseconds(1000);

RedisReply copy_reply(const redisReply* r) {
    RedisReply out;
    switch (r->type) {
    case REDIS_REPLY_INTEGER:
        out.kind = RedisReply::Kind::integer;
        out.integer = r->integer;
        break;
    case REDIS_REPLY_STRING:
        out.kind = RedisReply::Kind::string;
        out.text.assign(r->str, r->len);
        break;
    case REDIS_REPLY_STATUS:
        out.kind = RedisReply::Kind::status;
        out.text.assign(r->str, r->len);
        break;
    case REDIS_REPLY_ERROR:
        out.kind = RedisReply::Kind::error;
        out.text.assign(r->str, r->len);
        break;
    case REDIS_REPLY_ARRAY:
        out.kind = RedisReply::Kind::array;
        out.elements.reserve(r->elements);
        for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(copy_reply(r->element[i]));
        break;
    default: break; // nil
    }
    return out;
}

} // namespace

std::optional<RedisAddress> parse_redis_url(std::string_view url, std::string& error) {
    constexpr std::string_view scheme = "redis://";
    if (url.substr(0, scheme.size()) != scheme) {
        error = "--redis takes redis://HOST:PORT, not \"" + std::string(url) + "\"";
        return std::nullopt;
    }
    std::string_view rest = url.substr(scheme.size());
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    RedisAddress a;
    const std::size_t colon = rest.rfind(':');
    a.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
        const std::string_view port = rest.substr(colon + 1);
        int p = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
        if (ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535) {
            error = "--redis: \"" + std::string(port) + "\" is not a port";
            return std::nullopt;
        }
        a.port = p;
    }
    if (a.host == "localhost") a.host = "127.0.0.1";
    boost::system::error_code ec;
    net::ip::make_address(a.host, ec);
    if (a.host.empty() || ec || a.host.find('@') != std::string::npos) {
        error = "--redis: \"" + a.host + "\" is not an IP address (user names and passwords are "
                                         "not supported; keep Redis on a private network)";
        return std::nullopt;
    }
    return a;
}

// Waits on hiredis's socket for it. Shared with the pending waits, so it outlives a free.
struct RedisLink::Watcher : std::enable_shared_from_this<Watcher> {
    Watcher(net::io_context& ioc, redisAsyncContext* ac) : ac(ac), socket(ioc, ac->c.fd) {}

    redisAsyncContext* ac; // nullptr once hiredis freed it
    net::posix::stream_descriptor socket;
    bool want_read = false;
    bool want_write = false;
    bool reading = false;
    bool writing = false;

    void arm_read() {
        if (!ac || reading || !want_read) return;
        reading = true;
        socket.async_wait(net::posix::stream_descriptor::wait_read,
                          [self = shared_from_this()](boost::system::error_code ec) {
                              self->reading = false;
                              if (ec || !self->ac) return;
                              redisAsyncHandleRead(self->ac);
                              self->arm_read();
                          });
    }
    // Commands issued in this turn of the event loop go out together: the first write is
    // posted, not waited for; only a write the socket did not take whole waits for room.
    void arm_write(bool wait) {
        if (!ac || writing || !want_write) return;
        writing = true;
        auto then = [self = shared_from_this()](boost::system::error_code ec) {
            self->writing = false;
            if (ec || !self->ac) return;
            redisAsyncHandleWrite(self->ac);
            self->arm_write(true);
        };
        if (wait) socket.async_wait(net::posix::stream_descriptor::wait_write, std::move(then));
        else net::post(socket.get_executor(), [then]() mutable { then({}); });
    }

    static void add_read(void* p) {
        auto* w = static_cast<Watcher*>(p);
        w->want_read = true;
        w->arm_read();
    }
    static void del_read(void* p) { static_cast<Watcher*>(p)->want_read = false; }
    static void add_write(void* p) {
        auto* w = static_cast<Watcher*>(p);
        w->want_write = true;
        w->arm_write(false);
    }
    static void del_write(void* p) { static_cast<Watcher*>(p)->want_write = false; }
    static void cleanup(void* p) {
        auto* w = static_cast<Watcher*>(p);
        w->ac = nullptr;
        boost::system::error_code ec;
        w->socket.cancel(ec);
        w->socket.release(); // hiredis closes the socket itself
    }
};

RedisLink::RedisLink(net::io_context& ioc, RedisAddress address, Metrics& metrics, std::string name)
    : ioc_(ioc), address_(std::move(address)), metrics_(metrics), name_(std::move(name)),
      retry_timer_(ioc) {}

RedisLink::~RedisLink() { close(); }

void RedisLink::start() {
    closed_ = false;
    connect();
}

void RedisLink::close() {
    closed_ = true;
    retry_timer_.cancel();
    if (context_) {
        redisAsyncContext* ac = context_;
        redisAsyncFree(ac); // runs every pending callback with nullptr, then on_disconnect
    }
    context_ = nullptr;
    up_ = false;
}

void RedisLink::connect() {
    if (closed_ || context_) return;
    redisAsyncContext* ac = redisAsyncConnect(address_.host.c_str(), address_.port);
    if (!ac) return lost();
    if (ac->err) {
        log::write(log::Level::warn, "redis-connect-failed", {{"link", name_}, {"error", ac->errstr}});
        redisAsyncFree(ac);
        return lost();
    }
    ac->data = this;
    // Keep the read buffer between replies: by default hiredis frees it whenever it is empty
    // and over 16 KB, which a batch of signals is, and the next batch allocates it again.
    ac->c.reader->maxbuf = 0;
    watcher_ = std::make_shared<Watcher>(ioc_, ac);
    ac->ev.data = watcher_.get();
    ac->ev.addRead = &Watcher::add_read;
    ac->ev.delRead = &Watcher::del_read;
    ac->ev.addWrite = &Watcher::add_write;
    ac->ev.delWrite = &Watcher::del_write;
    ac->ev.cleanup = &Watcher::cleanup;
    redisAsyncSetConnectCallback(ac, &RedisLink::on_connect);
    redisAsyncSetDisconnectCallback(ac, &RedisLink::on_disconnect);
    context_ = ac;
    // hiredis announces the pending connect as a wish to write; our hooks were set after that.
    Watcher::add_write(watcher_.get());
}

void RedisLink::on_connect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<RedisLink*>(ac->data);
    if (status != REDIS_OK) {
        // hiredis frees the context after this callback.
        self->context_ = nullptr;
        return self->lost();
    }
    self->up_ = true;
    self->unsubscribing_.clear();
    self->backoff_ = std::chrono::milliseconds(100);
    log::write(log::Level::info, "redis-up", {{"link", self->name_}});
    for (auto& [channel, sub] : self->channels_) {
        sub.confirmed = false;
        self->send_subscribe(channel);
    }
    if (self->on_up) self->on_up();
}

void RedisLink::on_disconnect(const redisAsyncContext* ac, int) {
    auto* self = static_cast<RedisLink*>(ac->data);
    self->context_ = nullptr; // hiredis frees it after this callback
    if (!self->closed_) self->lost();
}

void RedisLink::lost() {
    ++metrics_.redis_errors;
    const bool was_up = up_;
    up_ = false;
    if (was_up) log::write(log::Level::warn, "redis-down", {{"link", name_}});
    if (was_up && on_down) on_down();
    if (closed_) return;
    retry_timer_.expires_after(backoff_);
    backoff_ = std::min(backoff_ * 2, max_backoff);
    retry_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) connect();
    });
}

void RedisLink::on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
    auto* self = static_cast<RedisLink*>(ac->data);
    std::unique_ptr<Callback> done(static_cast<Callback*>(privdata));
    if (!reply) return (*done)(nullptr);
    ++self->metrics_.redis_round_trips;
    const RedisReply copy = copy_reply(static_cast<redisReply*>(reply));
    if (copy.is_error()) ++self->metrics_.redis_errors;
    (*done)(&copy);
}

bool RedisLink::command(const std::vector<std::string_view>& args, Callback done) {
    if (!context_ || !up_) return false;
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (std::string_view a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    auto* cb = new Callback(std::move(done));
    if (redisAsyncCommandArgv(context_, &RedisLink::on_reply, cb, static_cast<int>(argv.size()),
                              argv.data(), lens.data()) != REDIS_OK) {
        delete cb;
        return false;
    }
    return true;
}

void RedisLink::on_pubsub(redisAsyncContext* ac, void* reply, void*) {
    auto* self = static_cast<RedisLink*>(ac->data);
    const auto* r = static_cast<const redisReply*>(reply);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3) return;
    const redisReply* kind = r->element[0];
    const redisReply* channel = r->element[1];
    if (kind->type != REDIS_REPLY_STRING || channel->type != REDIS_REPLY_STRING) return;
    const std::string_view k(kind->str, kind->len);
    const std::string_view ch(channel->str, channel->len);
    if (k == "message" && r->element[2]->type == REDIS_REPLY_STRING) {
        if (self->on_message_)
            self->on_message_(ch, std::string_view(r->element[2]->str, r->element[2]->len));
    } else if (k == "unsubscribe") {
        self->unsubscribing_.erase(std::string(ch));
        if (self->channels_.count(std::string(ch))) self->send_subscribe(std::string(ch));
    } else if (k == "subscribe") {
        ++self->metrics_.redis_round_trips;
        const auto it = self->channels_.find(std::string(ch));
        if (it == self->channels_.end() || it->second.confirmed) return;
        it->second.confirmed = true;
        if (auto then = std::move(it->second.on_subscribed)) then();
    }
}

void RedisLink::send_subscribe(const std::string& channel) {
    const char* argv[2] = {"SUBSCRIBE", channel.c_str()};
    const std::size_t lens[2] = {9, channel.size()};
    redisAsyncCommandArgv(context_, &RedisLink::on_pubsub, nullptr, 2, argv, lens);
}

void RedisLink::subscribe(const std::string& channel, std::function<void()> on_subscribed) {
    auto [it, fresh] = channels_.try_emplace(channel);
    if (!fresh) {
        if (it->second.confirmed) {
            if (on_subscribed) on_subscribed();
        } else if (on_subscribed) {
            auto before = std::move(it->second.on_subscribed);
            it->second.on_subscribed = [before = std::move(before), after = std::move(on_subscribed)] {
                if (before) before();
                after();
            };
        }
        return;
    }
    it->second.on_subscribed = std::move(on_subscribed);
    if (context_ && up_ && !unsubscribing_.count(channel)) send_subscribe(channel);
}

void RedisLink::unsubscribe(const std::string& channel) {
    if (channels_.erase(channel) == 0 || !context_ || !up_) return;
    unsubscribing_.insert(channel);
    const char* argv[2] = {"UNSUBSCRIBE", channel.c_str()};
    const std::size_t lens[2] = {11, channel.size()};
    redisAsyncCommandArgv(context_, &RedisLink::on_pubsub, nullptr, 2, argv, lens);
}

} // namespace peddlenet::server
