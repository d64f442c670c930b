// static_files.hpp: maps a request target to a file under the web root, safely, with the
// headers a PWA needs. Pure logic plus filesystem look-ups; the HTTP layer only sends.
// Needs: std::filesystem.
//  [X] query and fragment stripped, percent-decoding that refuses NUL, bad escapes and
//      encoded separators' tricks; "/" and directories map to index.html
//  [X] nothing outside the root: ".." segments refused, symlinks resolved and re-checked
//  [X] MIME types incl. application/wasm and application/manifest+json
//  [X] precompressed siblings X.br / X.gz chosen by Accept-Encoding (q-values honoured)
//  [X] Cache-Control: immutable for content-hashed names, no-cache for everything else
//  [X] validators: ETag from size + mtime, for 304 answers
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace peddlenet::server {

// Content-Type for a file name, by extension (case-insensitive); octet-stream when unknown.
std::string_view mime_type(std::string_view filename);

// True when a dot-separated segment of the name (not the extension) is 8+ lowercase hex
// characters, e.g. "peddlenet.3fa9c01b.wasm": such files never change, so cache them forever.
bool has_content_hash(std::string_view filename);

// Cache-Control value for a file name.
std::string_view cache_control(std::string_view filename);

// The path part of a request target, percent-decoded, relative to the root ("" for "/").
// nullopt when it cannot name a file safely: not starting with '/', bad or NUL escapes,
// backslashes, or a "." / ".." segment.
std::optional<std::string> decode_target(std::string_view target);

enum class Coding { identity, gzip, br };
std::string_view coding_name(Coding c); // "", "gzip", "br"

// Whether an Accept-Encoding header value allows `coding` ("gzip" or "br"), honouring q=0 and
// the "*" wildcard.
bool accepts_coding(std::string_view accept_encoding, std::string_view coding);

struct FileHit {
    std::filesystem::path path;     // what to send (maybe the .br/.gz sibling)
    std::string_view content_type;  // of the original name
    std::string_view cache_control;
    Coding coding = Coding::identity;
    bool vary = false;              // a compressed sibling exists: responses vary by encoding
    std::uint64_t size = 0;         // bytes of `path`
    std::string etag;               // strong validator, differs per coding
};

class StaticFiles {
public:
    // `root` must exist; it is canonicalized once.
    explicit StaticFiles(const std::filesystem::path& root);
    const std::filesystem::path& root() const { return root_; }

    // nullopt: 404 (missing, unsafe, not a regular file, or outside the root).
    std::optional<FileHit> find(std::string_view target, std::string_view accept_encoding) const;

private:
    std::filesystem::path root_;
};

} // namespace peddlenet::server
