// static_files.cpp: see static_files.hpp.
#include "server/static_files.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

namespace peddlenet::server {
namespace fs = std::filesystem;

namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Canonical form of `p` when it exists and lies strictly inside `root` (also canonical).
std::optional<fs::path> inside(const fs::path& root, const fs::path& p) {
    std::error_code ec;
    fs::path real = fs::canonical(p, ec);
    if (ec) return std::nullopt;
    const auto [r, _] = std::mismatch(root.begin(), root.end(), real.begin(), real.end());
    if (r != root.end() || real == root) return std::nullopt;
    return real;
}

} // namespace

std::string_view mime_type(std::string_view filename) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 22> types = {{
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"wasm", "application/wasm"},
        {"webmanifest", "application/manifest+json"},
        {"json", "application/json"},
        {"map", "application/json"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"webp", "image/webp"},
        {"svg", "image/svg+xml"},
        {"ico", "image/x-icon"},
        {"ttf", "font/ttf"},
        {"otf", "font/otf"},
        {"woff", "font/woff"},
        {"woff2", "font/woff2"},
        {"txt", "text/plain; charset=utf-8"},
        {"data", "application/octet-stream"},
    }};
    const auto dot = filename.rfind('.');
    const auto slash = filename.rfind('/');
    if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
        return "application/octet-stream";
    const std::string_view ext = filename.substr(dot + 1);
    for (const auto& [e, type] : types)
        if (iequals(e, ext)) return type;
    return "application/octet-stream";
}

bool has_content_hash(std::string_view filename) {
    if (const auto slash = filename.rfind('/'); slash != std::string_view::npos)
        filename.remove_prefix(slash + 1);
    const auto last_dot = filename.rfind('.');
    if (last_dot == std::string_view::npos) return false;
    filename = filename.substr(0, last_dot); // the extension is never the hash
    std::size_t start = 0;
    while (start <= filename.size()) {
        const auto end = std::min(filename.find('.', start), filename.size());
        const std::string_view seg = filename.substr(start, end - start);
        if (seg.size() >= 8 && std::all_of(seg.begin(), seg.end(), [](char c) {
                return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
            }))
            return true;
        start = end + 1;
    }
    return false;
}

std::string_view cache_control(std::string_view filename) {
    return has_content_hash(filename) ? "public, max-age=31536000, immutable" : "no-cache";
}

std::optional<std::string> decode_target(std::string_view target) {
    target = target.substr(0, std::min(target.find('?'), target.find('#')));
    if (target.empty() || target.front() != '/') return std::nullopt;
    std::string out;
    out.reserve(target.size());
    for (std::size_t i = 1; i < target.size(); ++i) {
        char c = target[i];
        if (c == '%') {
            if (i + 2 >= target.size()) return std::nullopt;
            const int hi = hex_value(target[i + 1]), lo = hex_value(target[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        // NUL, raw or escaped: a C path would end there and name another file than checked
        if (c == '\0' || c == '\\') return std::nullopt;
        out += c;
    }
    // Check segments after decoding, so "%2e%2e" and "..%2f" are caught like "..".
    std::size_t start = 0;
    while (start <= out.size()) {
        const auto end = std::min(out.find('/', start), out.size());
        const std::string_view seg = std::string_view(out).substr(start, end - start);
        if (seg == "." || seg == "..") return std::nullopt;
        // "//x" would make an absolute path; "a//b" is never a real file name either
        if (seg.empty() && end != out.size()) return std::nullopt;
        start = end + 1;
    }
    return out;
}

std::string_view coding_name(Coding c) {
    switch (c) {
    case Coding::gzip: return "gzip";
    case Coding::br: return "br";
    case Coding::identity: break;
    }
    return "";
}

bool accepts_coding(std::string_view header, std::string_view coding) {
    bool star = false, named = false, named_ok = false;
    while (!header.empty()) {
        const auto comma = std::min(header.find(','), header.size());
        std::string_view item = trim(header.substr(0, comma));
        header.remove_prefix(std::min(comma + 1, header.size()));
        bool zero = false;
        if (const auto semi = item.find(';'); semi != std::string_view::npos) {
            std::string_view param = trim(item.substr(semi + 1));
            item = trim(item.substr(0, semi));
            if (param.size() >= 2 && lower(param[0]) == 'q' && param[1] == '=') {
                param.remove_prefix(2);
                // q=0, q=0.0, q=0.000 refuse; anything else accepts
                zero = !param.empty() && param[0] == '0' &&
                       param.find_first_not_of("0.", 0) == std::string_view::npos;
            }
        }
        if (iequals(item, coding)) {
            named = true;
            named_ok = !zero;
        } else if (item == "*") {
            star = !zero;
        }
    }
    return named ? named_ok : star;
}

StaticFiles::StaticFiles(const fs::path& root) : root_(fs::canonical(root)) {}

std::optional<FileHit> StaticFiles::find(std::string_view target,
                                         std::string_view accept_encoding) const {
    std::optional<std::string> rel = decode_target(target);
    if (!rel) return std::nullopt;
    if (rel->empty() || rel->back() == '/') *rel += "index.html";
    const std::optional<fs::path> real = inside(root_, root_ / *rel);
    std::error_code ec;
    if (!real || !fs::is_regular_file(*real, ec)) return std::nullopt;

    FileHit hit;
    hit.path = *real;
    const std::string name = real->filename().string();
    hit.content_type = mime_type(name);
    hit.cache_control = cache_control(name);
    for (const Coding c : {Coding::br, Coding::gzip}) {
        const std::string ext = c == Coding::br ? ".br" : ".gz";
        const std::optional<fs::path> sibling = inside(root_, fs::path(real->string() + ext));
        if (!sibling || !fs::is_regular_file(*sibling, ec)) continue;
        hit.vary = true;
        if (hit.coding == Coding::identity && accepts_coding(accept_encoding, coding_name(c))) {
            hit.coding = c;
            hit.path = *sibling;
        }
    }
    hit.size = fs::file_size(hit.path, ec);
    if (ec) return std::nullopt;
    const auto mtime = fs::last_write_time(hit.path, ec).time_since_epoch().count();
    char tag[64];
    std::snprintf(tag, sizeof tag, "\"%llx-%llx%s%s\"", static_cast<unsigned long long>(hit.size),
                  static_cast<unsigned long long>(mtime), hit.coding == Coding::identity ? "" : "-",
                  std::string(coding_name(hit.coding)).c_str());
    hit.etag = tag;
    return hit;
}

} // namespace peddlenet::server
