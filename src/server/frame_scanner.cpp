// frame_scanner.cpp: see frame_scanner.hpp.
// Index: [SECTION] strict JSON scanner, [SECTION] client frames
#include "server/frame_scanner.hpp"

#include "core/text.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace peddlenet::protocol {

// [SECTION] strict JSON scanner ----------------------------------------------------------------
// RFC 8259 validation in one pass without building a DOM: the server only needs a handful of
// top-level strings and the exact bytes of `data`, and a relayed signal must cost microseconds.
// Unit tests check it against nlohmann::json::accept on valid and mutated input.

namespace {

enum class Byte : unsigned char { plain, quote, backslash, control, high };

constexpr std::array<Byte, 256> make_byte_classes() {
    std::array<Byte, 256> t{};
    for (std::size_t c = 0; c < 256; ++c)
        t[c] = c < 0x20 ? Byte::control : c >= 0x80 ? Byte::high : Byte::plain;
    t['"'] = Byte::quote;
    t['\\'] = Byte::backslash;
    return t;
}
constexpr std::array<Byte, 256> byte_classes = make_byte_classes();

class Scanner {
public:
    explicit Scanner(std::string_view text)
        : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

    const char* pos() const { return p_; }
    bool at_end() const { return p_ == end_; }
    bool peek(char c) const { return p_ != end_ && *p_ == c; }
    void advance() { ++p_; }
    const char* error() const { return error_; }
    bool utf8_error() const { return utf8_error_; }
    std::size_t offset() const { return static_cast<std::size_t>(p_ - begin_); }

    void skip_ws() {
        while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
    }

    bool fail(const char* why) {
        error_ = why;
        return false;
    }

    // Validates the string starting at the opening quote; appends its decoded text to `out`
    // when given.
    bool string(std::string* out) {
        ++p_; // opening quote
        const char* run = p_;
        for (;;) {
            skip_plain_words();
            if (p_ == end_) return fail("unterminated string");
            switch (byte_classes[static_cast<unsigned char>(*p_)]) {
            case Byte::plain: ++p_; break;
            case Byte::quote:
                if (out) out->append(run, p_);
                ++p_;
                return true;
            case Byte::control: return fail("control character inside a string");
            case Byte::high: {
                // A maximal run of non-ASCII bytes is valid UTF-8 exactly when the whole
                // string is, since sequences never contain ASCII bytes.
                const char* h = p_;
                while (p_ != end_ && static_cast<unsigned char>(*p_) >= 0x80) ++p_;
                if (!is_valid_utf8(std::string_view(h, static_cast<std::size_t>(p_ - h)))) {
                    utf8_error_ = true;
                    return fail("invalid UTF-8 inside a string");
                }
                break;
            }
            case Byte::backslash:
                if (out) out->append(run, p_);
                if (!escape(out)) return false;
                run = p_;
                break;
            }
        }
    }

    // Validates (and skips) any value; `depth` is the nesting level a container here would have.
    bool value(std::size_t depth) {
        skip_ws();
        if (p_ == end_) return fail("value expected");
        switch (*p_) {
        case '{': return object(depth);
        case '[': return array(depth);
        case '"': return string(nullptr);
        case 't': return literal("true");
        case 'f': return literal("false");
        case 'n': return literal("null");
        default:
            if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) return number();
            return fail("unexpected character");
        }
    }

private:
    // Skips to the first byte that is a quote, a backslash, a control character or non-ASCII,
    // 16 bytes at a time (SSE2, every x86-64) or 8 (elsewhere, e.g. wasm): SDP text is long
    // plain ASCII, and a relayed signal must cost microseconds.
    void skip_plain_words() {
#if defined(__SSE2__)
        const __m128i quotes = _mm_set1_epi8('"');
        const __m128i backslashes = _mm_set1_epi8('\\');
        const __m128i spaces = _mm_set1_epi8(0x20);
        while (end_ - p_ >= 16) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
            // Signed compare: control bytes and bytes >= 0x80 (negative) are both below 0x20.
            const __m128i special = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, quotes), _mm_cmpeq_epi8(v, backslashes)),
                _mm_cmplt_epi8(v, spaces));
            if (const int mask = _mm_movemask_epi8(special)) {
                p_ += __builtin_ctz(static_cast<unsigned>(mask));
                return;
            }
            p_ += 16;
        }
#endif
        constexpr std::uint64_t ones = 0x0101010101010101ULL;
        constexpr std::uint64_t highs = 0x8080808080808080ULL;
        while (end_ - p_ >= 8) {
            std::uint64_t w;
            std::memcpy(&w, p_, 8);
            const std::uint64_t quote = w ^ (ones * '"');
            const std::uint64_t backslash = w ^ (ones * '\\');
            // Each term sets a byte's high bit where that byte is special (exact as a whole).
            const std::uint64_t special = ((quote - ones) & ~quote) |
                                          ((backslash - ones) & ~backslash) |
                                          ((w - ones * 0x20) & ~w) | w;
            if (special & highs) return;
            p_ += 8;
        }
    }

    bool escape(std::string* out) {
        ++p_; // backslash
        if (p_ == end_) return fail("unterminated escape");
        const char e = *p_++;
        char plain = 0;
        switch (e) {
        case '"': plain = '"'; break;
        case '\\': plain = '\\'; break;
        case '/': plain = '/'; break;
        case 'b': plain = '\b'; break;
        case 'f': plain = '\f'; break;
        case 'n': plain = '\n'; break;
        case 'r': plain = '\r'; break;
        case 't': plain = '\t'; break;
        case 'u': {
            std::uint32_t cp = 0;
            if (!hex4(cp)) return false;
            if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("lone low surrogate in \\u escape");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                std::uint32_t lo = 0;
                if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u')
                    return fail("lone high surrogate in \\u escape");
                p_ += 2;
                if (!hex4(lo)) return false;
                if (lo < 0xDC00 || lo > 0xDFFF) return fail("lone high surrogate in \\u escape");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (out) append_utf8(*out, cp);
            return true;
        }
        default: return fail("unknown escape");
        }
        if (out) *out += plain;
        return true;
    }

    bool hex4(std::uint32_t& cp) {
        if (end_ - p_ < 4) return fail("short \\u escape");
        for (int i = 0; i < 4; ++i, ++p_) {
            const char c = *p_;
            cp <<= 4;
            if (c >= '0' && c <= '9') cp |= static_cast<std::uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f') cp |= static_cast<std::uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') cp |= static_cast<std::uint32_t>(c - 'A' + 10);
            else return fail("bad hex digit in \\u escape");
        }
        return true;
    }

    bool object(std::size_t depth) {
        if (depth > max_json_depth) return fail("nested too deeply");
        ++p_;
        skip_ws();
        if (peek('}')) {
            ++p_;
            return true;
        }
        for (;;) {
            skip_ws();
            if (!peek('"')) return fail("member name expected");
            if (!string(nullptr)) return false;
            skip_ws();
            if (!peek(':')) return fail("':' expected");
            ++p_;
            if (!value(depth + 1)) return false;
            skip_ws();
            if (peek(',')) {
                ++p_;
                continue;
            }
            if (peek('}')) {
                ++p_;
                return true;
            }
            return fail("',' or '}' expected");
        }
    }

    bool array(std::size_t depth) {
        if (depth > max_json_depth) return fail("nested too deeply");
        ++p_;
        skip_ws();
        if (peek(']')) {
            ++p_;
            return true;
        }
        for (;;) {
            if (!value(depth + 1)) return false;
            skip_ws();
            if (peek(',')) {
                ++p_;
                continue;
            }
            if (peek(']')) {
                ++p_;
                return true;
            }
            return fail("',' or ']' expected");
        }
    }

    bool literal(std::string_view word) {
        if (static_cast<std::size_t>(end_ - p_) < word.size() ||
            std::string_view(p_, word.size()) != word)
            return fail("unexpected character");
        p_ += word.size();
        return true;
    }

    bool digits() {
        const char* start = p_;
        while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
        return p_ != start || fail("digit expected");
    }

    bool number() {
        if (peek('-')) ++p_;
        if (peek('0')) ++p_;
        else if (!digits()) return false;
        if (peek('.')) {
            ++p_;
            if (!digits()) return false;
        }
        if (peek('e') || peek('E')) {
            ++p_;
            if (peek('+') || peek('-')) ++p_;
            if (!digits()) return false;
        }
        return true;
    }

    const char* begin_;
    const char* p_;
    const char* end_;
    const char* error_ = "";
    bool utf8_error_ = false;
};

// The top-level members parse_client looks at.
enum Key : std::size_t { k_type, k_room, k_peer, k_name, k_sig, k_to, k_data, key_count };
constexpr std::array<std::string_view, key_count> key_names = {"type", "room", "peer", "name",
                                                               "sig",  "to",   "data"};

struct Member {
    bool present = false;
    bool is_string = false;
    std::string text;      // decoded, when is_string
    std::string_view raw;  // exact bytes of the value
};

Problem problem(ErrorCode code, std::string message) { return {code, std::move(message)}; }

template <class T> Parsed<T> refuse(ErrorCode code, std::string message) {
    Parsed<T> r;
    r.problem = problem(code, std::move(message));
    return r;
}

std::optional<Problem> need_string(const Member& m, std::string_view type, std::string_view key) {
    if (!m.present)
        return problem(ErrorCode::bad_field,
                       std::string(type) + " needs the field \"" + std::string(key) + "\"");
    if (!m.is_string)
        return problem(ErrorCode::bad_field, "\"" + std::string(key) + "\" must be a string");
    return std::nullopt;
}

} // namespace

// [SECTION] client frames ----------------------------------------------------------------------

Parsed<ClientMessage> parse_client(std::string_view text) {
    Scanner s(text);
    s.skip_ws();
    if (!s.peek('{'))
        return refuse<ClientMessage>(ErrorCode::bad_json, "a message is one JSON object");
    s.advance();

    std::array<Member, key_count> m;
    std::string key;
    bool ok = true;
    s.skip_ws();
    if (s.peek('}')) {
        s.advance();
    } else {
        for (;;) {
            s.skip_ws();
            if (!s.peek('"')) {
                ok = s.fail("member name expected");
                break;
            }
            key.clear();
            if (!(ok = s.string(&key))) break;
            s.skip_ws();
            if (!s.peek(':')) {
                ok = s.fail("':' expected");
                break;
            }
            s.advance();
            s.skip_ws();
            std::size_t k = 0;
            while (k < key_count && key_names[k] != key) ++k;
            if (k < key_count) {
                if (m[k].present)
                    return refuse<ClientMessage>(ErrorCode::bad_json,
                                                 "duplicate field \"" + key + "\"");
                m[k].present = true;
                const char* start = s.pos();
                if (k != k_data && s.peek('"')) {
                    m[k].is_string = true;
                    ok = s.string(&m[k].text);
                } else {
                    ok = s.value(2);
                }
                m[k].raw = std::string_view(start, static_cast<std::size_t>(s.pos() - start));
            } else {
                ok = s.value(2);
            }
            if (!ok) break;
            s.skip_ws();
            if (s.peek(',')) {
                s.advance();
                continue;
            }
            if (s.peek('}')) {
                s.advance();
                break;
            }
            ok = s.fail("',' or '}' expected");
            break;
        }
    }
    if (ok) {
        s.skip_ws();
        if (!s.at_end()) ok = s.fail("text after the object");
    }
    if (!ok) {
        const ErrorCode code = s.utf8_error() ? ErrorCode::bad_utf8 : ErrorCode::bad_json;
        return refuse<ClientMessage>(code, "invalid JSON at byte " + std::to_string(s.offset()) +
                                               ": " + s.error());
    }

    if (!m[k_type].present) return refuse<ClientMessage>(ErrorCode::bad_field, "missing \"type\"");
    if (!m[k_type].is_string)
        return refuse<ClientMessage>(ErrorCode::bad_field, "\"type\" must be a string");
    const std::string& type = m[k_type].text;

    Parsed<ClientMessage> r;
    auto fail_with = [&r](std::optional<Problem> p) {
        r.problem = std::move(*p);
        return r;
    };
    if (type == "signal") {
        if (auto p = need_string(m[k_to], type, "to")) return fail_with(std::move(p));
        if (auto p = check_id("to", m[k_to].text)) return fail_with(std::move(p));
        if (!m[k_data].present)
            return fail_with(problem(ErrorCode::bad_field, "signal needs the field \"data\""));
        if (m[k_data].raw.empty() || m[k_data].raw.front() != '{')
            return fail_with(problem(ErrorCode::bad_field, "\"data\" must be a JSON object"));
        r.value = Signal{std::move(m[k_to].text), std::string(m[k_data].raw)};
    } else if (type == "join") {
        // First, so that every join of a v1 client (which never signs) gets the same answer.
        if (!m[k_sig].present)
            return fail_with(problem(ErrorCode::auth_required,
                                     "this server needs signed joins (protocol v2): reload the "
                                     "page to update the app"));
        for (const Key k : {k_room, k_peer, k_name, k_sig})
            if (auto p = need_string(m[k], type, key_names[k])) return fail_with(std::move(p));
        if (auto p = check_id("room", m[k_room].text)) return fail_with(std::move(p));
        if (auto p = check_id("peer", m[k_peer].text)) return fail_with(std::move(p));
        if (auto p = check_name(m[k_name].text)) return fail_with(std::move(p));
        r.value = Join{std::move(m[k_room].text), std::move(m[k_peer].text),
                       std::move(m[k_name].text), std::move(m[k_sig].text)};
    } else if (type == "ping") {
        r.value = Ping{};
    } else if (type == "leave") {
        r.value = Leave{};
    } else {
        return fail_with(problem(ErrorCode::bad_type, "unknown type \"" + echo(type) + "\""));
    }
    return r;
}

} // namespace peddlenet::protocol
