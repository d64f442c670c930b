// client_frames_fuzz.cpp: the server's parser of client frames (server/frame_scanner.hpp), a
// single-pass JSON scanner written for speed, against nlohmann/json on the same text:
//  - validity: nlohmann accepts the text (a JSON object, at most max_json_depth deep, no known
//    field twice) exactly when the scanner does not answer bad-json / bad-utf8;
//  - meaning: the refusal code, or the parsed message, equals what a model of the protocol's
//    field rules (docs/PROTOCOL.md) computes from nlohmann's DOM;
//  - exact bytes: a signal's `data` is a slice of the frame and parses to nlohmann's `data`;
//  - round trip: the client's builders (core/signaling_protocol.hpp) write the parsed message
//    as a frame that parses back to it.
#include "fuzz/fuzz_check.hpp"
#include "core/text.hpp"
#include "server/frame_scanner.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

using namespace peddlenet::protocol;
using nlohmann::json;

namespace {

constexpr std::string_view known_fields[] = {"type", "room", "peer", "name", "sig", "to", "data"};

// Reads the text with nlohmann's SAX parser, noting what the scanner's rules depend on.
struct Survey : nlohmann::json_sax<json> {
    std::size_t depth = 0, max_depth = 0;
    bool top_is_object = false;
    bool duplicate_known = false;
    bool number_overflow = false; // nlohmann refuses finite-syntax numbers beyond double (1e999)
    std::vector<std::set<std::string>> keys;

    bool open(bool object) {
        if (depth == 0) top_is_object = object;
        max_depth = std::max(max_depth, ++depth);
        keys.emplace_back();
        return true;
    }
    bool close() {
        --depth;
        keys.pop_back();
        return true;
    }
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return open(true); }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(false); }
    bool end_array() override { return close(); }
    bool key(string_t& k) override {
        if (depth == 1 && !keys.back().insert(k).second)
            for (std::string_view f : known_fields)
                if (f == k) duplicate_known = true;
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
        if (e.id == 406) number_overflow = true;
        return false;
    }
};

// The protocol's field rules over nlohmann's DOM: the message, or the refusal code.
Parsed<ClientMessage> model(const json& j) {
    Parsed<ClientMessage> r;
    auto refuse = [&r](ErrorCode c) {
        r.problem.code = c;
        return r;
    };
    auto refused = [&r](const std::optional<Problem>& p) {
        r.problem.code = p->code;
        return r;
    };
    auto string_field = [&j](const char* k) -> const std::string* {
        const auto it = j.find(k);
        return it != j.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
    };
    const std::string* type = string_field("type");
    if (!type) return refuse(ErrorCode::bad_field);
    if (*type == "signal") {
        const std::string* to = string_field("to");
        if (!to) return refuse(ErrorCode::bad_field);
        if (auto p = check_id("to", *to)) return refused(p);
        const auto data = j.find("data");
        if (data == j.end() || !data->is_object()) return refuse(ErrorCode::bad_field);
        r.value = Signal{*to, data->dump()};
    } else if (*type == "join") {
        if (!j.contains("sig")) return refuse(ErrorCode::auth_required);
        const std::string* room = string_field("room");
        const std::string* peer = string_field("peer");
        const std::string* name = string_field("name");
        const std::string* sig = string_field("sig");
        if (!room || !peer || !name || !sig) return refuse(ErrorCode::bad_field);
        if (auto p = check_id("room", *room)) return refused(p);
        if (auto p = check_id("peer", *peer)) return refused(p);
        if (auto p = check_name(*name)) return refused(p);
        r.value = Join{*room, *peer, *name, *sig};
    } else if (*type == "ping") {
        r.value = Ping{};
    } else if (*type == "leave") {
        r.value = Leave{};
    } else {
        return refuse(ErrorCode::bad_type);
    }
    return r;
}

bool same(const ClientMessage& a, const ClientMessage& b, bool compare_data_as_json) {
    if (a.index() != b.index()) return false;
    if (auto* x = std::get_if<Join>(&a)) {
        const Join& y = std::get<Join>(b);
        return x->room == y.room && x->peer == y.peer && x->name == y.name && x->sig == y.sig;
    }
    if (auto* x = std::get_if<Signal>(&a)) {
        const Signal& y = std::get<Signal>(b);
        if (x->to != y.to) return false;
        return compare_data_as_json ? json::parse(x->data) == json::parse(y.data)
                                    : x->data == y.data;
    }
    return true;
}

std::string rebuild(const ClientMessage& m) {
    if (auto* j = std::get_if<Join>(&m)) return build_join(j->room, j->peer, j->name, j->sig);
    if (auto* s = std::get_if<Signal>(&m)) return build_signal(s->to, s->data);
    if (std::holds_alternative<Leave>(m)) return build_leave();
    return build_ping();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const Parsed<ClientMessage> got = parse_client(text);

    Survey survey;
    const bool nl_valid = json::sax_parse(text, &survey, json::input_format_t::json, true, false);
    const bool bom = text.starts_with("\xEF\xBB\xBF"); // nlohmann skips a BOM; the wire has none
    if (bom || survey.number_overflow) return 0;      // outside what nlohmann can judge

    const bool scanner_valid = got.ok() || (got.problem.code != ErrorCode::bad_json &&
                                            got.problem.code != ErrorCode::bad_utf8);
    // A NUL byte is never valid JSON (raw in a string, or outside one), but nlohmann's lexer
    // reads it as the end of input.
    if (text.find('\0') != std::string_view::npos) {
        FUZZ_CHECK(!scanner_valid);
        return 0;
    }
    const bool should_be_valid = nl_valid && survey.top_is_object &&
                                 survey.max_depth <= max_json_depth && !survey.duplicate_known;
    FUZZ_CHECK(scanner_valid == should_be_valid);
    if (!got.ok() && got.problem.code == ErrorCode::bad_utf8)
        FUZZ_CHECK(!peddlenet::is_valid_utf8(text)); // bad-utf8 only for text that is not UTF-8
    FUZZ_CHECK(got.ok() || !got.problem.message.empty());
    if (!should_be_valid) return 0;

    const json dom = json::parse(text, nullptr, false);
    FUZZ_CHECK(dom.is_object());
    const Parsed<ClientMessage> expected = model(dom);
    FUZZ_CHECK(got.ok() == expected.ok());
    if (!got.ok()) {
        FUZZ_CHECK(got.problem.code == expected.problem.code);
        return 0;
    }
    FUZZ_CHECK(same(*got.value, *expected.value, true));
    if (auto* s = std::get_if<Signal>(&*got.value)) {
        // Relayed as the sender's exact bytes, never re-serialized.
        const std::size_t at = text.find(s->data);
        FUZZ_CHECK(at != std::string_view::npos);
    }
    const std::string again = rebuild(*got.value);
    const Parsed<ClientMessage> reparsed = parse_client(again);
    FUZZ_CHECK(reparsed.ok());
    FUZZ_CHECK(same(*reparsed.value, *got.value, false));
    return 0;
}
