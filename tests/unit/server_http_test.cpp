// Static file rules (server/static_files.hpp), command line (server/config.hpp), WebSocket
// framing (server/ws_frame.hpp), rate limiter, metrics and log formatting.
#include "server/config.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "server/rate_limiter.hpp"
#include "server/static_files.hpp"
#include "server/ws_frame.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <unistd.h>

using namespace peddlenet::server;
namespace fs = std::filesystem;

TEST_CASE("MIME types the app needs", "[server][static]") {
    CHECK(mime_type("peddlenet.wasm") == "application/wasm");
    CHECK(mime_type("manifest.webmanifest") == "application/manifest+json");
    CHECK(mime_type("sw.js") == "text/javascript; charset=utf-8");
    CHECK(mime_type("x.mjs") == "text/javascript; charset=utf-8");
    CHECK(mime_type("index.html") == "text/html; charset=utf-8");
    CHECK(mime_type("a.css") == "text/css; charset=utf-8");
    CHECK(mime_type("icon.PNG") == "image/png");
    CHECK(mime_type("i.svg") == "image/svg+xml");
    CHECK(mime_type("f.ttf") == "font/ttf");
    CHECK(mime_type("f.woff2") == "font/woff2");
    CHECK(mime_type("x.json") == "application/json");
    CHECK(mime_type("peddlenet.data") == "application/octet-stream");
    CHECK(mime_type("README") == "application/octet-stream");
    CHECK(mime_type("dir.v2/README") == "application/octet-stream");
}

TEST_CASE("content-hashed names are immutable, the rest revalidates", "[server][static]") {
    CHECK(has_content_hash("peddlenet.3fa9c01b.wasm"));
    CHECK(has_content_hash("a.0123456789abcdef.js"));
    CHECK(has_content_hash("assets/x.deadbeef.min.css"));
    CHECK_FALSE(has_content_hash("index.html"));
    CHECK_FALSE(has_content_hash("sw.js"));
    CHECK_FALSE(has_content_hash("manifest.webmanifest"));
    CHECK_FALSE(has_content_hash("peddlenet.3FA9C01B.wasm")); // uppercase: not our hash style
    CHECK_FALSE(has_content_hash("peddlenet.3fa9c01.wasm"));  // 7 characters
    CHECK_FALSE(has_content_hash("x.deadbeef"));              // the extension is not a hash
    CHECK_FALSE(has_content_hash("3fa9c01b.dir/index.html"));
    CHECK(cache_control("p.3fa9c01b.wasm") == "public, max-age=31536000, immutable");
    CHECK(cache_control("index.html") == "no-cache");
}

TEST_CASE("request targets decode safely", "[server][static]") {
    CHECK(decode_target("/") == "");
    CHECK(decode_target("/index.html?v=3#x") == "index.html");
    CHECK(decode_target("/?room=abc") == "");
    CHECK(decode_target("/a%20b.txt") == "a b.txt");
    CHECK(decode_target("/sub/") == "sub/");
    CHECK_FALSE(decode_target("index.html"));
    CHECK_FALSE(decode_target("/../etc/passwd"));
    CHECK_FALSE(decode_target("/a/../../x"));
    CHECK_FALSE(decode_target("/%2e%2e/etc/passwd"));
    CHECK_FALSE(decode_target("/%2E%2E%2Fetc%2Fpasswd"));
    CHECK_FALSE(decode_target("/..%2fetc"));
    CHECK_FALSE(decode_target("/./x"));
    CHECK_FALSE(decode_target("/a%00.html"));
    // a raw NUL (found by fuzz_http_static: "/POST \0\0\0\0b"), not only an escaped one
    CHECK_FALSE(decode_target(std::string_view("/POST \0\0\0\0b", 11)));
    CHECK_FALSE(decode_target(std::string_view("/index.html\0.png", 16)));
    CHECK_FALSE(decode_target("/a%zz"));
    CHECK_FALSE(decode_target("/a%2"));
    CHECK_FALSE(decode_target("/a\\..\\b"));
    CHECK_FALSE(decode_target("//etc/passwd"));
    CHECK_FALSE(decode_target("/%2fetc/passwd"));
}

TEST_CASE("Accept-Encoding with q-values", "[server][static]") {
    CHECK(accepts_coding("gzip, deflate, br", "br"));
    CHECK(accepts_coding("gzip, deflate, br", "gzip"));
    CHECK_FALSE(accepts_coding("gzip", "br"));
    CHECK_FALSE(accepts_coding("br;q=0, gzip", "br"));
    CHECK_FALSE(accepts_coding("br; q=0.000", "br"));
    CHECK(accepts_coding("br;q=0.5", "br"));
    CHECK(accepts_coding("*", "br"));
    CHECK_FALSE(accepts_coding("*, br;q=0", "br"));
    CHECK(accepts_coding("BR", "br"));
    CHECK_FALSE(accepts_coding("", "gzip"));
    CHECK_FALSE(accepts_coding("identity", "gzip"));
}

namespace {
struct TempRoot {
    fs::path dir = fs::temp_directory_path() / ("peddlenet-static-" + std::to_string(getpid()));
    TempRoot() {
        fs::remove_all(dir);
        fs::create_directories(dir / "root" / "sub");
        write(dir / "root" / "index.html", "<h1>home</h1>");
        write(dir / "root" / "app.3fa9c01b.wasm", "wasm-bytes");
        write(dir / "root" / "app.3fa9c01b.wasm.br", "br");
        write(dir / "root" / "app.3fa9c01b.wasm.gz", "gz");
        write(dir / "root" / "sub" / "index.html", "sub");
        write(dir / "secret.txt", "outside");
        fs::create_symlink(dir / "secret.txt", dir / "root" / "link-out");
        fs::create_symlink(dir / "root" / "index.html", dir / "root" / "link-in.html");
        fs::create_symlink(dir / "secret.txt", dir / "root" / "index.html.gz"); // escapes too
    }
    ~TempRoot() { fs::remove_all(dir); }
    static void write(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }
};
} // namespace

TEST_CASE("files are found under the root and nowhere else", "[server][static]") {
    TempRoot t;
    StaticFiles files(t.dir / "root");
    const auto home = files.find("/", "");
    REQUIRE(home);
    CHECK(home->path.filename() == "index.html");
    CHECK(home->content_type == "text/html; charset=utf-8");
    CHECK(home->cache_control == "no-cache");
    CHECK(home->size == 13);
    CHECK(home->coding == Coding::identity);
    CHECK(files.find("/sub/", "")->size == 3);
    CHECK_FALSE(files.find("/sub", "")); // a directory is not a file
    CHECK_FALSE(files.find("/missing.js", ""));
    CHECK_FALSE(files.find("/link-out", ""));
    CHECK(files.find("/link-in.html", ""));
    CHECK_FALSE(files.find("/../secret.txt", ""));
    // the gzip sibling of index.html points outside the root: never served
    const auto idx = files.find("/index.html", "gzip");
    REQUIRE(idx);
    CHECK(idx->coding == Coding::identity);
    CHECK_FALSE(idx->vary);
}

TEST_CASE("precompressed siblings follow Accept-Encoding", "[server][static]") {
    TempRoot t;
    StaticFiles files(t.dir / "root");
    const auto br = files.find("/app.3fa9c01b.wasm", "gzip, deflate, br");
    REQUIRE(br);
    CHECK(br->coding == Coding::br);
    CHECK(br->path.filename() == "app.3fa9c01b.wasm.br");
    CHECK(br->content_type == "application/wasm");
    CHECK(br->vary);
    CHECK(br->cache_control == "public, max-age=31536000, immutable");
    CHECK(files.find("/app.3fa9c01b.wasm", "gzip")->coding == Coding::gzip);
    const auto plain = files.find("/app.3fa9c01b.wasm", "");
    CHECK(plain->coding == Coding::identity);
    CHECK(plain->vary);
    CHECK(plain->size == 10);
    CHECK(plain->etag != br->etag);
}

TEST_CASE("command line", "[server][config]") {
    auto ok = [](std::vector<std::string> args, std::optional<std::string> env = std::nullopt) {
        auto r = parse_args(args, env);
        INFO((std::holds_alternative<ConfigError>(r) ? std::get<ConfigError>(r).message : ""));
        REQUIRE(std::holds_alternative<Config>(r));
        return std::get<Config>(r);
    };
    auto error = [](std::vector<std::string> args) {
        return std::holds_alternative<ConfigError>(parse_args(args, std::nullopt));
    };
    const Config d = ok({"--root", "/srv"});
    CHECK(d.root == "/srv");
    CHECK(d.port == 8080);
    CHECK(d.host == "0.0.0.0");
    CHECK(d.limits.max_frame_bytes == 65536);
    CHECK(d.limits.max_peers_per_room == 5000);
    CHECK(d.limits.joined_sample == 32);
    CHECK(d.limits.pace == std::chrono::milliseconds(0)); // alone: unpaced
    CHECK(ok({"--root", "x", "--redis", "redis://127.0.0.1:1"}).limits.pace == std::chrono::milliseconds(4));
    CHECK(ok({"--root", "x", "--redis", "redis://127.0.0.1:1", "--pace-ms", "0"}).limits.pace ==
          std::chrono::milliseconds(0));
    CHECK(ok({"--root", "x", "--pace-ms", "2"}).limits.pace == std::chrono::milliseconds(2));
    CHECK(error({"--root", "x", "--pace-ms", "-1"}));
    CHECK(ok({"--root", "x"}, "9000").port == 9000);
    CHECK(ok({"--root", "x", "--port", "7000"}, "9000").port == 7000);
    const Config c = ok({"--root=x", "--grace-ms", "250", "--max-peers-per-room=3", "--rate", "2.5",
                         "--max-queue-bytes", "4096", "--no-qr", "--log-level", "warn"});
    CHECK(c.limits.grace == std::chrono::milliseconds(250));
    CHECK(c.limits.max_peers_per_room == 3);
    CHECK(ok({"--root", "x", "--joined-sample", "500"}).limits.joined_sample == 500);
    CHECK(c.limits.rate_per_sec == 2.5);
    CHECK(c.limits.max_queue_bytes == 4096);
    CHECK_FALSE(c.show_qr);
    CHECK(c.log_level == "warn");
    CHECK(error({}));
    CHECK(error({"--root"}));
    CHECK(error({"--root", "x", "--port", "70000"}));
    CHECK(error({"--root", "x", "--port", "12ab"}));
    CHECK(error({"--root", "x", "--bogus"}));
    CHECK(error({"--root", "x", "--tls-cert", "c.pem"}));
    CHECK(error({"--root", "x", "--max-frame-bytes", "10"}));
    CHECK(error({"--root", "x", "--joined-sample", "0"}));
    CHECK(error({"--root", "x", "--joined-sample", "501"})); // clients refuse longer lists
    CHECK(std::holds_alternative<ConfigError>(parse_args({"--root", "x"}, "nope")));
    // TURN: a port and the secret shared with the TURN server go together.
    CHECK(d.turn_port == 0);
    const Config t = ok({"--root", "x", "--turn-port", "3478", "--turn-secret-file", "s", "--turn-ttl-s", "600"});
    CHECK(t.turn_port == 3478);
    CHECK(t.turn_secret_file == "s");
    CHECK(t.turn_ttl == std::chrono::seconds(600));
    CHECK(ok({"--root", "x", "--turn-port", "1", "--turn-secret-file", "s"}).turn_ttl == std::chrono::hours(12));
    CHECK(error({"--root", "x", "--turn-port", "3478"}));
    CHECK(error({"--root", "x", "--turn-secret-file", "s"}));
    CHECK(error({"--root", "x", "--turn-port", "0", "--turn-secret-file", "s"}));
    CHECK(error({"--root", "x", "--turn-port", "3478", "--turn-secret-file", "s", "--turn-ttl-s", "86401"}));
    const auto help = parse_args({"--help"}, std::nullopt);
    REQUIRE(std::holds_alternative<HelpRequested>(help));
    CHECK(std::get<HelpRequested>(help).text.find("--max-frame-bytes") != std::string::npos);
}

TEST_CASE("WebSocket frame headers", "[server][ws]") {
    using namespace ws;
    // masked text frame "Hi" from RFC 6455 5.7 style
    std::uint8_t frame[] = {0x81, 0x82, 0x37, 0xfa, 0x21, 0x3d, 'H' ^ 0x37, 'i' ^ 0xfa};
    auto r = parse_header(frame, sizeof frame);
    REQUIRE(r.status == HeaderStatus::ok);
    CHECK(r.header.fin);
    CHECK(r.header.opcode == Opcode::text);
    CHECK(r.header.length == 2);
    CHECK(r.header.header_size == 6);
    unmask(frame + 6, 2, r.header.mask);
    CHECK(frame[6] == 'H');
    CHECK(frame[7] == 'i');
    for (std::size_t n = 0; n < 6; ++n)
        CHECK(parse_header(frame, n).status == HeaderStatus::need_more);

    const std::uint8_t unmasked[] = {0x81, 0x02, 'H', 'i'};
    CHECK(parse_header(unmasked, 4).status == HeaderStatus::bad);
    const std::uint8_t rsv[] = {0xC1, 0x80, 0, 0, 0, 0};
    CHECK(parse_header(rsv, 6).status == HeaderStatus::bad);
    const std::uint8_t op3[] = {0x83, 0x80, 0, 0, 0, 0};
    CHECK(parse_header(op3, 6).status == HeaderStatus::bad);
    const std::uint8_t long_ping[] = {0x89, 0xFE, 0x00, 0x7E, 0, 0, 0, 0};
    CHECK(parse_header(long_ping, 8).status == HeaderStatus::bad);
    const std::uint8_t frag_close[] = {0x08, 0x80, 0, 0, 0, 0};
    CHECK(parse_header(frag_close, 6).status == HeaderStatus::bad);
    const std::uint8_t len16[] = {0x82, 0xFE, 0x01, 0x00, 1, 2, 3, 4};
    CHECK(parse_header(len16, 8).header.length == 256);
    const std::uint8_t len64[] = {0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4};
    CHECK(parse_header(len64, 14).header.length == 65536);
    const std::uint8_t huge[] = {0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
    CHECK(parse_header(huge, 14).status == HeaderStatus::bad);

    std::uint8_t out[max_server_header];
    CHECK(write_header(out, Opcode::text, 5) == 2);
    CHECK((out[0] == 0x81 && out[1] == 5));
    CHECK(write_header(out, Opcode::text, 300) == 4);
    CHECK((out[1] == 126 && out[2] == 1 && out[3] == 44));
    CHECK(write_header(out, Opcode::binary, 70000) == 10);
    CHECK(out[1] == 127);
    CHECK(close_payload(CloseCode::too_big, "x") == std::string("\x03\xF1x", 3));
}

TEST_CASE("unmask handles every alignment", "[server][ws]") {
    const std::array<std::uint8_t, 4> key = {1, 2, 3, 4};
    for (std::size_t n = 0; n < 40; ++n) {
        std::vector<std::uint8_t> data(n), expect(n);
        for (std::size_t i = 0; i < n; ++i) {
            data[i] = static_cast<std::uint8_t>(i * 7);
            expect[i] = static_cast<std::uint8_t>(data[i] ^ key[i % 4]);
        }
        ws::unmask(data.data(), n, key);
        CHECK(data == expect);
    }
}

TEST_CASE("handshake accept key (RFC 6455 1.3 example)", "[server][ws]") {
    CHECK(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("token bucket: burst, then the sustained rate", "[server][rate]") {
    const auto t0 = TokenBucket::Clock::now();
    TokenBucket b(3, t0);
    CHECK(b.take(10, 3, t0));
    CHECK(b.take(10, 3, t0));
    CHECK(b.take(10, 3, t0));
    CHECK_FALSE(b.take(10, 3, t0));
    CHECK_FALSE(b.take(10, 3, t0 + std::chrono::milliseconds(50)));
    CHECK(b.take(10, 3, t0 + std::chrono::milliseconds(150)));
    CHECK_FALSE(b.take(10, 3, t0 + std::chrono::milliseconds(150)));
    // refill is capped at the burst
    const auto later = t0 + std::chrono::seconds(100);
    int n = 0;
    while (b.take(10, 3, later)) ++n;
    CHECK(n == 3);
}

TEST_CASE("metrics render as Prometheus text", "[server][metrics]") {
    Metrics m;
    m.connections = 3;
    m.messages_relayed = 42;
    m.count_error(peddlenet::protocol::ErrorCode::room_full);
    m.count_http(404);
    const std::string text = m.render();
    CHECK(text.find("# TYPE peddlenet_connections gauge\npeddlenet_connections 3\n") !=
          std::string::npos);
    CHECK(text.find("peddlenet_messages_relayed_total 42\n") != std::string::npos);
    CHECK(text.find("peddlenet_errors_total{code=\"room-full\"} 1\n") != std::string::npos);
    CHECK(text.find("peddlenet_errors_total{code=\"bad-json\"} 0\n") != std::string::npos);
    CHECK(text.find("peddlenet_http_responses_total{class=\"4xx\"} 1\n") != std::string::npos);
    CHECK(text.find("process_resident_memory_bytes ") != std::string::npos);
}

TEST_CASE("log lines are key=value with quoting", "[server][log]") {
    CHECK(log::format(log::Level::info, "listening", {{"port", "8080"}, {"root", "/a b"}}) ==
          "level=info event=listening port=8080 root=\"/a b\"");
    CHECK(log::format(log::Level::warn, "x", {{"why", "say \"hi\"\n"}}) ==
          "level=warn event=x why=\"say \\\"hi\\\"\\n\"");
    CHECK(log::format(log::Level::error, "e", {{"empty", ""}}) == "level=error event=e empty=\"\"");
}
