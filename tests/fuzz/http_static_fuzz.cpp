// http_static_fuzz.cpp: HTTP requests to the static file server (server/static_files.hpp):
// no path outside the root, ever.
// Two modes, chosen by the first byte:
//  - a raw HTTP request, parsed with Boost.Beast's request_parser as server.cpp's HttpSession
//    does (same header limit, no body), whose target and Accept-Encoding go to StaticFiles::find
//    exactly as serve_file passes them;
//  - a target and an Accept-Encoding value straight from the input (bytes Beast would refuse,
//    e.g. raw NUL or backslashes, so decode_target's own rules are checked too).
// The root is a temporary tree made once: plain files, a hashed .wasm with .br/.gz siblings, a
// subdirectory, names with spaces and percent signs, symlinks inside the root to a secret file
// outside and to directories outside (one named like the root plus a suffix, so a string-prefix
// containment check would be fooled), a .gz sibling that is a symlink out, and files outside
// named like files inside.
// Invariants: a hit is a canonical regular file strictly inside the root (compared by path
// components), never the secret nor anything outside (also checked by content); decode_target
// never yields a "." or ".." segment, an empty inner segment, a NUL or a backslash; content type
// and Cache-Control are those of the original name; the coding matches the file sent and the
// Accept-Encoding (br first, then gzip, only when allowed and present inside the root); vary
// says whether a sibling exists; size and ETag describe the file sent; a regular file inside the
// root that the decoded target names is always found (no false 404).
#include "fuzz/fuzz_check.hpp"
#include "server/static_files.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fuzzer/FuzzedDataProvider.h>

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace http = boost::beast::http;
using namespace peddlenet::server;

namespace {

// server.cpp's http_header_limit.
constexpr std::uint32_t http_header_limit = 8 * 1024;
constexpr std::string_view secret_text = "SECRET-OUTSIDE-THE-ROOT";

void write(const fs::path& p, std::string_view s) { std::ofstream(p, std::ios::binary) << s; }

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Tree {
    fs::path base;   // temporary directory holding everything
    fs::path root;   // canonical web root: base/www
    fs::path secret; // canonical secret file outside the root
    StaticFiles* files = nullptr;

    Tree() {
        std::string tmpl = (fs::temp_directory_path() / "peddlenet-fuzz-static-XXXXXX").string();
        if (!mkdtemp(tmpl.data())) std::abort();
        base = fs::canonical(tmpl);
        const fs::path www = base / "www";
        fs::create_directories(www / "sub" / "deeper");
        fs::create_directories(www / "a b");
        fs::create_directories(base / "www2");
        fs::create_directories(base / "outside");
        write(www / "index.html", "<h1>home</h1>");
        write(www / "app.3fa9c01b.wasm", "wasm-bytes");
        write(www / "app.3fa9c01b.wasm.br", "br-bytes");
        write(www / "app.3fa9c01b.wasm.gz", "gz-bytes!");
        write(www / "style.css", "body{}");
        write(www / "style.css.gz", "gz-css");      // gzip only
        write(www / "main.js.br", "br-js");        // sibling without its original
        write(www / "manifest.webmanifest", "{}");
        write(www / "sub" / "index.html", "sub");
        write(www / "sub" / "deeper" / "x.json", "[]");
        write(www / "a b" / "index.html", "spaces");
        write(www / "100%.txt", "percent");
        write(www / "a%20b.txt", "literal percent");
        write(www / "UPPER.PNG", "png");
        // outside: the secret, and look-alikes of root files
        write(base / "secret.txt", secret_text);
        write(base / "index.html", secret_text);
        write(base / "www2" / "index.html", secret_text);
        write(base / "www2" / "secret.txt", secret_text);
        write(base / "wwwindex.html", secret_text);
        write(base / "outside" / "index.html", secret_text);
        write(base / "outside" / "app.3fa9c01b.wasm", secret_text);
        // symlinks inside the root
        fs::create_symlink(base / "secret.txt", www / "link-out");
        fs::create_symlink("../secret.txt", www / "rel-out.txt");
        fs::create_symlink(base / "outside", www / "dir-out");
        fs::create_symlink("../www2", www / "dir2");          // "…/www2" starts with "…/www"
        fs::create_symlink(www / "index.html", www / "link-in.html");
        fs::create_symlink("sub", www / "sub-link");
        fs::create_symlink(base / "secret.txt", www / "index.html.gz"); // sibling escaping
        fs::create_symlink(base, www / "up");
        fs::create_symlink("/", www / "slash");
        root = fs::canonical(www);
        secret = fs::canonical(base / "secret.txt");
        files = new StaticFiles(www);
        FUZZ_CHECK(files->root() == root);
    }
};

Tree& tree() {
    static Tree* t = [] {
        auto* made = new Tree();
        std::atexit([] { std::error_code ec; fs::remove_all(tree().base, ec); });
        return made;
    }();
    return *t;
}

// Strictly inside `root`, by path components (not by string prefix).
bool strictly_inside(const fs::path& root, const fs::path& p) {
    auto r = root.begin();
    auto q = p.begin();
    for (; r != root.end(); ++r, ++q)
        if (q == p.end() || *q != *r) return false;
    return q != p.end();
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void check_decoded(const std::string& rel) {
    FUZZ_CHECK(rel.find('\0') == std::string::npos);
    FUZZ_CHECK(rel.find('\\') == std::string::npos);
    FUZZ_CHECK(rel.empty() || rel.front() != '/');
    std::size_t start = 0;
    while (start <= rel.size()) {
        const auto end = std::min(rel.find('/', start), rel.size());
        const std::string_view seg = std::string_view(rel).substr(start, end - start);
        FUZZ_CHECK(seg != "." && seg != "..");
        FUZZ_CHECK(!seg.empty() || end == rel.size());
        start = end + 1;
    }
}

// A regular file inside the root: its canonical path, or nullopt.
std::optional<fs::path> served_file(const fs::path& root, const fs::path& p) {
    std::error_code ec;
    const fs::path real = fs::canonical(p, ec);
    if (ec || !strictly_inside(root, real) || !fs::is_regular_file(real, ec)) return std::nullopt;
    return real;
}

void check_find(std::string_view target, std::string_view accept) {
    Tree& t = tree();
    const std::optional<std::string> rel = decode_target(target);
    if (rel) check_decoded(*rel);
    const std::optional<FileHit> hit = t.files->find(target, accept);
    if (!rel) {
        FUZZ_CHECK(!hit);
        return;
    }
    std::string name = *rel;
    if (name.empty() || name.back() == '/') name += "index.html";
    const std::optional<fs::path> expected = served_file(t.root, t.root / name);
    FUZZ_CHECK(hit.has_value() == expected.has_value()); // nothing else, and no false 404
    if (!hit) return;

    std::error_code ec;
    // The file sent: canonical, strictly inside, regular, not the secret.
    FUZZ_CHECK(hit->path.is_absolute());
    FUZZ_CHECK(fs::canonical(hit->path, ec) == hit->path && !ec);
    FUZZ_CHECK(strictly_inside(t.root, hit->path));
    FUZZ_CHECK(fs::is_regular_file(hit->path, ec));
    FUZZ_CHECK(!fs::equivalent(hit->path, t.secret, ec));
    const std::string body = slurp(hit->path);
    FUZZ_CHECK(body.find(secret_text) == std::string::npos);
    FUZZ_CHECK(hit->size == body.size());

    // Coding: the file sent is the original or its allowed sibling.
    const fs::path original = *expected;
    const bool br_ok = accepts_coding(accept, "br"), gz_ok = accepts_coding(accept, "gzip");
    const auto br = served_file(t.root, original.string() + ".br");
    const auto gz = served_file(t.root, original.string() + ".gz");
    FUZZ_CHECK(hit->vary == (br || gz));
    switch (hit->coding) {
    case Coding::br:
        FUZZ_CHECK(br_ok && br && hit->path == *br);
        break;
    case Coding::gzip:
        FUZZ_CHECK(gz_ok && gz && hit->path == *gz && !(br_ok && br));
        break;
    case Coding::identity:
        FUZZ_CHECK(hit->path == original && !(br_ok && br) && !(gz_ok && gz));
        break;
    }
    // Headers describe the original name; the ETag the file sent and its coding.
    const std::string orig_name = original.filename().string();
    FUZZ_CHECK(hit->content_type == mime_type(orig_name));
    FUZZ_CHECK(hit->cache_control == cache_control(orig_name));
    char size_hex[32];
    std::snprintf(size_hex, sizeof size_hex, "\"%llx-", static_cast<unsigned long long>(hit->size));
    FUZZ_CHECK(hit->etag.rfind(size_hex, 0) == 0);
    const std::string coding(coding_name(hit->coding));
    FUZZ_CHECK(ends_with(hit->etag, coding.empty() ? std::string("\"") : "-" + coding + "\""));
    FUZZ_CHECK(hit->etag.find_first_of(" ,\r\n", 0) == std::string::npos);
    // Another coding of the same file never shares the validator.
    if (hit->coding != Coding::identity) {
        const auto plain = t.files->find(target, "identity;q=1, *;q=0");
        FUZZ_CHECK(plain && plain->coding == Coding::identity && plain->etag != hit->etag);
        FUZZ_CHECK(plain->path == original);
    }
}

void http_mode(std::string_view bytes) {
    http::request_parser<http::empty_body> parser;
    parser.header_limit(http_header_limit);
    parser.body_limit(0);
    boost::beast::error_code ec;
    boost::asio::const_buffer buf(bytes.data(), bytes.size());
    while (!parser.is_done()) {
        const std::size_t used = parser.put(buf, ec);
        if (ec) return; // need_more (incomplete request) or a 400: find is never reached
        if (used == 0) return;
        buf += used;
    }
    const auto& req = parser.get();
    // HttpSession::serve_file: the whole target and the Accept-Encoding field, as views.
    const std::string_view target(req.target().data(), req.target().size());
    const auto accept = req[http::field::accept_encoding];
    // handle() routes /ws, /healthz, /metrics and other methods away first; the static file
    // rules must hold for every target anyway, so find() is checked for all of them.
    check_find(target, std::string_view(accept.data(), accept.size()));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    tree();
    const std::string_view all(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (data[0] & 1) {
        // direct: target, then '\n', then Accept-Encoding
        const auto nl = all.find('\n');
        const std::string_view target = all.substr(0, nl);
        const std::string_view accept = nl == std::string_view::npos ? "" : all.substr(nl + 1);
        check_find(target, accept);
    } else {
        http_mode(all);
    }
    return 0;
}
