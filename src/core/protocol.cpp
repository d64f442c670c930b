// protocol.cpp: see protocol.hpp.
// Index: [SECTION] error slugs, [SECTION] strict JSON scanner (server side),
//        [SECTION] client frames, [SECTION] builders, [SECTION] server frames (client side)
#include "core/protocol.hpp"

#include "core/text.hpp"

#include <array>
#include <cstring>
#include <nlohmann/json.hpp>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace peddlenet::protocol {

// [SECTION] error slugs ------------------------------------------------------------------------

namespace {
constexpr std::array<std::string_view, error_code_count> slugs = {
    "bad-json",     "bad-utf8",       "bad-type",     "bad-field",     "too-large",
    "not-joined",   "already-joined", "no-such-peer", "peer-away",     "room-full",
    "too-many-rooms", "rate-limited", "server-full",  "replaced",      "shutting-down",
};
} // namespace

std::string_view slug(ErrorCode code) { return slugs[static_cast<std::size_t>(code)]; }

std::optional<ErrorCode> error_code_from_slug(std::string_view s) {
    for (std::size_t i = 0; i < slugs.size(); ++i)
        if (slugs[i] == s) return static_cast<ErrorCode>(i);
    return std::nullopt;
}

// [SECTION] strict JSON scanner (server side) --------------------------------------------------
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
enum Key : std::size_t { k_type, k_room, k_peer, k_name, k_to, k_data, key_count };
constexpr std::array<std::string_view, key_count> key_names = {"type", "room", "peer",
                                                               "name", "to",   "data"};

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

// Short, printable echo of client input for error messages (never more than 32 characters).
std::string echo(std::string_view s) {
    std::string out;
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size() && n < 32; ++i, ++n) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        out += (c < 0x20 || c == 0x7F) ? '?' : static_cast<char>(c);
    }
    if (n == 32 && s.size() > out.size()) out += "...";
    return repair_utf8(out); // the cut may have split a character
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

std::optional<Problem> check_id(std::string_view field, std::string_view value) {
    if (is_valid_id(value)) return std::nullopt;
    return problem(ErrorCode::bad_field, "\"" + std::string(field) +
                                             "\" must be 1-64 characters of A-Z a-z 0-9 _ -");
}

std::optional<Problem> check_name(std::string_view name) {
    const auto n = utf8_length(name);
    if (!n) return problem(ErrorCode::bad_field, "\"name\" must be valid UTF-8");
    if (*n == 0 || *n > max_name_chars)
        return problem(ErrorCode::bad_field, "\"name\" must be 1-32 characters");
    for (const char c : name)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
            return problem(ErrorCode::bad_field, "\"name\" must not contain control characters");
    return std::nullopt;
}

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
        for (const Key k : {k_room, k_peer, k_name})
            if (auto p = need_string(m[k], type, key_names[k])) return fail_with(std::move(p));
        if (auto p = check_id("room", m[k_room].text)) return fail_with(std::move(p));
        if (auto p = check_id("peer", m[k_peer].text)) return fail_with(std::move(p));
        if (auto p = check_name(m[k_name].text)) return fail_with(std::move(p));
        r.value = Join{std::move(m[k_room].text), std::move(m[k_peer].text),
                       std::move(m[k_name].text)};
    } else if (type == "ping") {
        r.value = Ping{};
    } else if (type == "leave") {
        r.value = Leave{};
    } else {
        return fail_with(problem(ErrorCode::bad_type, "unknown type \"" + echo(type) + "\""));
    }
    return r;
}

// [SECTION] builders ---------------------------------------------------------------------------

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    std::size_t run = 0; // start of the pending stretch that needs no escaping
    for (std::size_t i = 0; i < s.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(s.substr(run, i - run));
        run = i + 1;
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
    }
    out.append(s.substr(run));
    out += '"';
}

namespace {
// `{"type":"T"` followed by `,"key":"value"` pairs; the caller closes the object.
std::string start(std::string_view type, std::size_t extra) {
    std::string out;
    out.reserve(16 + type.size() + extra);
    out += R"({"type":")";
    out += type;
    out += '"';
    return out;
}
void add(std::string& out, std::string_view key, std::string_view value) {
    out += ",\"";
    out += key;
    out += "\":";
    append_json_string(out, value);
}
} // namespace

std::string build_join(std::string_view room, std::string_view peer, std::string_view name) {
    std::string out = start("join", 32 + room.size() + peer.size() + name.size());
    add(out, "room", room);
    add(out, "peer", peer);
    add(out, "name", name);
    out += '}';
    return out;
}

std::string build_signal(std::string_view to, std::string_view data_json) {
    std::string out = start("signal", 16 + to.size() + data_json.size());
    add(out, "to", to);
    out += ",\"data\":";
    out += data_json;
    out += '}';
    return out;
}

std::string build_leave() { return R"({"type":"leave"})"; }
std::string build_ping() { return R"({"type":"ping"})"; }

std::string build_joined(std::string_view room, std::string_view peer,
                         std::span<const PeerInfo> others) {
    std::string out = start("joined", 32 + room.size() + peer.size() + others.size() * 48);
    add(out, "room", room);
    add(out, "peer", peer);
    out += ",\"peers\":[";
    for (std::size_t i = 0; i < others.size(); ++i) {
        if (i) out += ',';
        out += "{\"peer\":";
        append_json_string(out, others[i].peer);
        out += ",\"name\":";
        append_json_string(out, others[i].name);
        out += '}';
    }
    out += "]}";
    return out;
}

std::string build_peer_joined(std::string_view peer, std::string_view name) {
    std::string out = start("peer-joined", 24 + peer.size() + name.size());
    add(out, "peer", peer);
    add(out, "name", name);
    out += '}';
    return out;
}

std::string build_peer_left(std::string_view peer) {
    std::string out = start("peer-left", 16 + peer.size());
    add(out, "peer", peer);
    out += '}';
    return out;
}

std::string build_peer_rejoined(std::string_view peer, std::string_view name) {
    std::string out = start("peer-rejoined", 24 + peer.size() + name.size());
    add(out, "peer", peer);
    add(out, "name", name);
    out += '}';
    return out;
}

std::string build_signal_from(std::string_view from, std::string_view data_json) {
    std::string out = start("signal", 20 + from.size() + data_json.size());
    add(out, "from", from);
    out += ",\"data\":";
    out += data_json;
    out += '}';
    return out;
}

std::string build_pong() { return R"({"type":"pong"})"; }

std::string build_error(ErrorCode code, std::string_view message) {
    std::string out = start("error", 32 + message.size());
    add(out, "code", slug(code));
    add(out, "message", message);
    out += '}';
    return out;
}

// [SECTION] server frames (client side) --------------------------------------------------------
// The client parses few, small frames, so the full nlohmann DOM is fine here.

namespace {
using json = nlohmann::json;

const std::string* string_at(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}
} // namespace

Parsed<ServerMessage> parse_server(std::string_view text) {
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return refuse<ServerMessage>(ErrorCode::bad_json, "a message is one JSON object");
    const std::string* type = string_at(j, "type");
    if (!type) return refuse<ServerMessage>(ErrorCode::bad_field, "missing string \"type\"");

    auto missing = [&](const char* key) {
        return refuse<ServerMessage>(ErrorCode::bad_field,
                                     *type + " needs the string field \"" + key + "\"");
    };
    Parsed<ServerMessage> r;
    const std::string* peer = string_at(j, "peer");
    const std::string* name = string_at(j, "name");
    if (*type == "signal") {
        const std::string* from = string_at(j, "from");
        if (!from) return missing("from");
        const auto data = j.find("data");
        if (data == j.end() || !data->is_object())
            return refuse<ServerMessage>(ErrorCode::bad_field, "\"data\" must be a JSON object");
        r.value = SignalFrom{*from, data->dump(-1, ' ', false, json::error_handler_t::replace)};
    } else if (*type == "joined") {
        const std::string* room = string_at(j, "room");
        if (!room) return missing("room");
        if (!peer) return missing("peer");
        const auto peers = j.find("peers");
        if (peers == j.end() || !peers->is_array())
            return refuse<ServerMessage>(ErrorCode::bad_field, "\"peers\" must be an array");
        Joined joined{*room, *peer, {}};
        for (const json& p : *peers) {
            const std::string* id = p.is_object() ? string_at(p, "peer") : nullptr;
            const std::string* nm = p.is_object() ? string_at(p, "name") : nullptr;
            if (!id || !nm)
                return refuse<ServerMessage>(ErrorCode::bad_field,
                                             "each of \"peers\" needs string peer and name");
            joined.peers.push_back({*id, *nm});
        }
        r.value = std::move(joined);
    } else if (*type == "peer-joined" || *type == "peer-rejoined") {
        if (!peer) return missing("peer");
        if (!name) return missing("name");
        if (*type == "peer-joined") r.value = PeerJoined{*peer, *name};
        else r.value = PeerRejoined{*peer, *name};
    } else if (*type == "peer-left") {
        if (!peer) return missing("peer");
        r.value = PeerLeft{*peer};
    } else if (*type == "pong") {
        r.value = Pong{};
    } else if (*type == "error") {
        const std::string* code = string_at(j, "code");
        if (!code) return missing("code");
        const std::string* message = string_at(j, "message");
        r.value = ServerError{*code, message ? *message : std::string()};
    } else {
        return refuse<ServerMessage>(ErrorCode::bad_type, "unknown type \"" + echo(*type) + "\"");
    }
    return r;
}

} // namespace peddlenet::protocol
