// http_session.cpp: see http_session.hpp.
#include "server/http_session.hpp"

#include "server/log.hpp"
#include "server/websocket_session.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

namespace peddlenet::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

using PlainStream = beast::tcp_stream;

namespace {

// HTTP request header bytes accepted; browsers send ~1 KiB.
constexpr std::uint32_t http_header_limit = 8 * 1024;

template <class Body> void add_common_headers(http::response<Body>& res) {
    res.set(http::field::server, "peddlenet");
    // Cross-origin isolation gives the app 5 us performance.now() for latency figures.
    res.set("Cross-Origin-Opener-Policy", "same-origin");
    res.set("Cross-Origin-Embedder-Policy", "require-corp");
    res.set("X-Content-Type-Options", "nosniff");
}

template <class Stream>
class HttpSession final : public Tracked, public std::enable_shared_from_this<HttpSession<Stream>> {
public:
    HttpSession(SharedState& state, Stream stream) : state_(state), stream_(std::move(stream)) {
        state_.http_sessions.add(this);
    }
    ~HttpSession() { state_.http_sessions.remove(this); }

    void run() {
        lowest().expires_after(state_.limits.http_timeout);
        if constexpr (std::is_same_v<Stream, TlsStream>) {
            stream_.async_handshake(ssl::stream_base::server,
                                    beast::bind_front_handler(&HttpSession::on_handshake,
                                                              this->shared_from_this()));
        } else {
            do_read();
        }
    }

    void sweep(Clock::time_point) override {} // beast::tcp_stream enforces the timeouts
    void stop() override {
        beast::error_code ec;
        lowest().socket().close(ec);
    }

private:
    beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

    void on_handshake(beast::error_code ec) {
        if (ec) {
            log::write(log::Level::debug, "tls-handshake-failed", {{"error", ec.message()}});
            return;
        }
        do_read();
    }

    void do_read() {
        if (state_.stopping) return;
        parser_.emplace();
        parser_->header_limit(http_header_limit);
        parser_->body_limit(0); // GET and HEAD only: any request body is refused
        lowest().expires_after(state_.limits.http_timeout);
        http::async_read(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        head_ = false;
        if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
            ec == net::error::operation_aborted)
            return close();
        if (ec) {
            log::write(log::Level::debug, "http-bad-request", {{"error", ec.message()}});
            return respond_text(http::status::bad_request, "bad request\n", false);
        }
        handle(parser_->release());
    }

    void handle(http::request<http::empty_body> req) {
        const std::string_view target(req.target().data(), req.target().size());
        const std::string_view path = target.substr(0, target.find('?'));
        keep_alive_ = req.keep_alive();
        head_ = req.method() == http::verb::head;
        if (path == "/ws") {
            if (beast::websocket::is_upgrade(req)) return upgrade(req);
            return respond_text(http::status::upgrade_required, "WebSocket only\n", keep_alive_);
        }
        if (req.method() != http::verb::get && !head_)
            return respond_text(http::status::method_not_allowed, "GET or HEAD\n", keep_alive_);
        if (path == "/healthz") return respond_text(http::status::ok, state_.health(), keep_alive_);
        if (path == "/metrics")
            return respond_text(http::status::ok, state_.metrics.render(), keep_alive_,
                                "text/plain; version=0.0.4; charset=utf-8");
        serve_file(req);
    }

    void serve_file(const http::request<http::empty_body>& req) {
        const auto accept = req[http::field::accept_encoding];
        const auto hit = state_.files.find(
            target_view(req), std::string_view(accept.data(), accept.size()));
        if (!hit) return respond_text(http::status::not_found, "not found\n", keep_alive_);
        const auto inm = req[http::field::if_none_match];
        if (!inm.empty() && std::string_view(inm.data(), inm.size()).find(hit->etag) !=
                                std::string_view::npos) {
            http::response<http::empty_body> res{http::status::not_modified, 11};
            file_headers(res, *hit);
            res.keep_alive(keep_alive_);
            return send(std::move(res));
        }
        http::file_body::value_type body;
        beast::error_code ec;
        body.open(hit->path.c_str(), beast::file_mode::scan, ec);
        if (ec) return respond_text(http::status::not_found, "not found\n", keep_alive_);
        if (head_) {
            http::response<http::empty_body> res{http::status::ok, 11};
            file_headers(res, *hit);
            res.content_length(hit->size);
            res.keep_alive(keep_alive_);
            return send(std::move(res));
        }
        http::response<http::file_body> res{std::piecewise_construct, std::make_tuple(std::move(body)),
                                            std::make_tuple(http::status::ok, 11)};
        file_headers(res, *hit);
        res.content_length(hit->size);
        res.keep_alive(keep_alive_);
        send(std::move(res));
    }

    static std::string_view target_view(const http::request<http::empty_body>& req) {
        return std::string_view(req.target().data(), req.target().size());
    }

    template <class Body> void file_headers(http::response<Body>& res, const FileHit& hit) {
        res.set(http::field::content_type, hit.content_type);
        res.set(http::field::cache_control, hit.cache_control);
        res.set(http::field::etag, hit.etag);
        if (hit.coding != Coding::identity)
            res.set(http::field::content_encoding, coding_name(hit.coding));
        if (hit.vary) res.set(http::field::vary, "Accept-Encoding");
    }

    void respond_text(http::status status, std::string body, bool keep_alive,
                      std::string_view type = "text/plain; charset=utf-8") {
        http::response<http::string_body> res{status, 11};
        res.set(http::field::content_type, type);
        res.set(http::field::cache_control, "no-cache");
        if (status == http::status::method_not_allowed) res.set(http::field::allow, "GET, HEAD");
        if (status == http::status::upgrade_required) res.set(http::field::upgrade, "websocket");
        const std::size_t size = body.size();
        if (!head_) res.body() = std::move(body);
        res.content_length(size);
        res.keep_alive(keep_alive);
        send(std::move(res));
    }

    template <class Body> void send(http::response<Body>&& res) {
        add_common_headers(res);
        state_.metrics.count_http(res.result_int());
        const bool keep = res.keep_alive();
        auto sp = std::make_shared<http::response<Body>>(std::move(res));
        lowest().expires_after(state_.limits.http_timeout);
        http::async_write(stream_, *sp,
                          [self = this->shared_from_this(), sp, keep](beast::error_code ec, std::size_t) {
                              if (ec || !keep) return self->close();
                              self->do_read();
                          });
    }

    void upgrade(const http::request<http::empty_body>& req) {
        const auto key = req[http::field::sec_websocket_key];
        const auto version = req[http::field::sec_websocket_version];
        if (req.method() != http::verb::get || key.size() != 24 || version != "13") {
            return respond_text(http::status::bad_request,
                                "bad WebSocket handshake (need GET, version 13, a 16-byte key)\n",
                                false);
        }
        auto res = std::make_shared<http::response<http::empty_body>>(
            http::status::switching_protocols, 11);
        res->set(http::field::upgrade, "websocket");
        res->set(http::field::connection, "Upgrade");
        res->set(http::field::sec_websocket_accept,
                 ws::accept_key(std::string_view(key.data(), key.size())));
        add_common_headers(*res);
        state_.metrics.count_http(101);
        http::async_write(stream_, *res,
                          [self = this->shared_from_this(), res](beast::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->hand_over();
                          });
    }

    // The socket now belongs to a WebSocket session, with any bytes read past the request.
    void hand_over() {
        lowest().expires_never();
        const auto data = buffer_.data();
        const std::string early(static_cast<const char*>(data.data()), data.size());
        if (state_.stopping) return close();
        if constexpr (std::is_same_v<Stream, TlsStream>) {
            start_websocket(state_, std::move(stream_), early);
        } else {
            start_websocket(state_, stream_.release_socket(), early);
        }
    }

    void close() {
        beast::error_code ec;
        lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
        lowest().close();
    }

    SharedState& state_;
    Stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::empty_body>> parser_;
    bool keep_alive_ = false;
    bool head_ = false;
};

} // namespace

void start_http_session(SharedState& state, tcp::socket socket) {
    if (state.tls) {
        std::make_shared<HttpSession<TlsStream>>(state, TlsStream(beast::tcp_stream(std::move(socket)), *state.tls))
            ->run();
    } else {
        std::make_shared<HttpSession<PlainStream>>(state, PlainStream(std::move(socket)))->run();
    }
}

} // namespace peddlenet::server
