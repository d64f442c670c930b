// chat_history_fuzz.cpp: a room's history read back from storage (core/chat_log.hpp): the
// IndexedDB document may be corrupt, truncated or from another build.
// The first byte picks the mode and the log's capacity (1..7, or the default 1000):
//  - even: the rest is JSON text (what IndexedDB hands back), parsed leniently;
//  - odd: a document built from the input out of realistic pieces (valid and broken ids, names,
//    texts, clocks, signatures, sent/acked state), so valid messages are common.
// Invariants: every message validation accepts is valid (ids, repaired UTF-8 name and text
// within limits, clocks in range, canonical 64-byte signature) and survives to_json/from_json
// unchanged; the log holds at most its capacity, in strict chat_order_less order, ids unique and
// findable, acked lists sorted, unique, valid ids with sent set, the clock at least every
// message's; a signature is only ever the one stored with that same message; a refused
// document changes nothing; merging the same document twice changes nothing
// the second time; to_storage_json -> (dump, parse) -> a fresh log's merge gives back exactly the
// same document, with nothing skipped.
#include "core/base64url.hpp"
#include "core/chat_log.hpp"
#include "core/text.hpp"
#include "fuzz/fuzz_check.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace peddlenet;
using nlohmann::json;

namespace {

bool same_message(const ChatMessage& a, const ChatMessage& b) {
    return a.id == b.id && a.from == b.from && a.name == b.name && a.text == b.text &&
           a.ts_ms == b.ts_ms && a.lamport == b.lamport && a.sig == b.sig && a.photo == b.photo;
}

// What validation promises about an accepted message.
void check_valid(const ChatMessage& m) {
    FUZZ_CHECK(is_valid_id(m.id));
    FUZZ_CHECK(is_valid_id(m.from));
    const Checked name = check_chat_name(m.name);
    FUZZ_CHECK(name.ok() && name.value == m.name && is_valid_utf8(m.name));
    FUZZ_CHECK(display_name_problem(m.name) == NameProblem::none);
    const Checked text = check_chat_text(m.text);
    FUZZ_CHECK(text.ok() && text.value == m.text && is_valid_utf8(m.text));
    FUZZ_CHECK(!m.text.empty() && m.text.size() <= max_text_bytes);
    FUZZ_CHECK(m.ts_ms >= 0 && static_cast<std::uint64_t>(m.ts_ms) <= max_json_integer);
    FUZZ_CHECK(m.lamport >= 1 && m.lamport <= max_json_integer);
    if (!m.sig.empty()) {
        const auto raw = base64url_decode(m.sig);
        FUZZ_CHECK(raw && raw->size() == 64);
    }
    // Validation is a fixed point: what it accepted, it accepts again unchanged.
    const auto again = chat_message_from_json(chat_message_to_json(m));
    FUZZ_CHECK(again && same_message(*again, m));
}

void check_log(const ChatLog& log) {
    FUZZ_CHECK(log.size() <= log.capacity());
    FUZZ_CHECK(log.size() == log.messages().size());
    FUZZ_CHECK(log.lamport() <= max_json_integer);
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < log.size(); ++i) {
        const ChatMessage& m = log.messages()[i];
        check_valid(m);
        if (i > 0) FUZZ_CHECK(chat_order_less(log.messages()[i - 1], m));
        FUZZ_CHECK(log.lamport() >= m.lamport);
        FUZZ_CHECK(log.contains(m.id) && log.find(m.id) == &m);
        FUZZ_CHECK(std::is_sorted(m.acked_by.begin(), m.acked_by.end()));
        FUZZ_CHECK(std::adjacent_find(m.acked_by.begin(), m.acked_by.end()) == m.acked_by.end());
        for (const auto& peer : m.acked_by) FUZZ_CHECK(is_valid_id(peer));
        if (!m.acked_by.empty()) FUZZ_CHECK(m.sent);
        ids.push_back(m.id);
    }
    std::sort(ids.begin(), ids.end());
    FUZZ_CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
    const auto newest = log.newest(3);
    FUZZ_CHECK(newest.size() == std::min<std::size_t>(3, log.size()));
    if (!newest.empty()) FUZZ_CHECK(newest.back() == &log.messages().back());
}

void check_doc(const json& doc, std::size_t capacity) {
    // Message validation on each element, as the network path uses it.
    if (doc.is_object()) {
        const auto list = doc.find("messages");
        if (list != doc.end() && list->is_array())
            for (const json& item : *list) {
                std::string why;
                const auto m = chat_message_from_json(item, &why);
                if (m) check_valid(*m);
                else FUZZ_CHECK(!why.empty());
            }
    }

    ChatLog log(capacity);
    const ChatLog::MergeResult r = log.merge_storage_json(doc);
    if (!r.error.empty()) {
        FUZZ_CHECK(log.size() == 0 && log.lamport() == 0 && r.added == 0 && r.skipped == 0);
        return;
    }
    const std::size_t items = doc["messages"].size();
    FUZZ_CHECK(r.added + r.skipped <= items);
    FUZZ_CHECK(log.size() <= r.added);
    check_log(log);
    // A kept signature was stored with that very message (same id, author, name, text, clocks):
    // never one taken from another item that merely shares the id.
    for (const ChatMessage& m : log.messages()) {
        if (m.sig.empty()) continue;
        bool stored_with_it = false;
        for (const json& item : doc["messages"]) {
            const auto other = chat_message_from_json(item);
            if (other && same_message(*other, m)) stored_with_it = true;
        }
        FUZZ_CHECK(stored_with_it);
    }
    const json first = log.to_storage_json();

    // Merging the same document again changes nothing.
    const ChatLog::MergeResult again = log.merge_storage_json(doc);
    FUZZ_CHECK(again.error.empty() && again.skipped == r.skipped);
    const json second = log.to_storage_json();
    if (second != first) {
        std::fprintf(stderr, "doc:    %s\nfirst:  %s\nsecond: %s\n", doc.dump(-1, ' ', false, json::error_handler_t::replace).c_str(),
                     first.dump().c_str(), second.dump().c_str());
        FUZZ_CHECK(!"merging the same document twice changed the log");
    }
    FUZZ_CHECK(again.added == 0);

    // Storage round trip through text, into a fresh log of the same capacity.
    const std::string text = first.dump(); // every string is valid UTF-8: never throws
    ChatLog copy(capacity);
    const ChatLog::MergeResult back = copy.merge_storage_json(json::parse(text));
    FUZZ_CHECK(back.error.empty() && back.skipped == 0 && back.added == log.size());
    check_log(copy);
    const json restored = copy.to_storage_json();
    if (restored != first) {
        std::fprintf(stderr, "stored:   %s\nrestored: %s\n", text.c_str(), restored.dump().c_str());
        FUZZ_CHECK(!"to_storage_json -> merge_storage_json does not round-trip");
    }
}

// ---- structured documents ------------------------------------------------------------------

std::string pick(FuzzedDataProvider& in, std::initializer_list<const char*> pool) {
    const std::size_t i = in.ConsumeIntegralInRange<std::size_t>(0, pool.size());
    if (i == pool.size()) return in.ConsumeRandomLengthString(80);
    return *(pool.begin() + i);
}

json pick_integer(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange(0, 9)) {
    case 0: return json(0);
    case 1: return json(1);
    case 2: return json(in.ConsumeIntegralInRange<std::uint64_t>(1, 12));
    case 3: return json(max_json_integer);
    case 4: return json(max_json_integer + 1);
    case 5: return json(-1);
    case 6: return json(1.5);
    case 7: return json("3");
    case 8: return json(std::int64_t{1'700'000'000'000});
    default: return json(in.ConsumeIntegral<std::uint64_t>());
    }
}

json pick_message(FuzzedDataProvider& in) {
    if (in.ConsumeIntegralInRange(0, 15) == 0) return json(in.ConsumeBool() ? json(42) : json::array());
    json m = json::object();
    const auto maybe = [&](const char* key, json value) {
        if (in.ConsumeIntegralInRange(0, 15) != 0) m[key] = std::move(value);
    };
    maybe("id", pick(in, {"a", "b", "c", "m-1", "m_2", "bad id", ""}));
    maybe("from", pick(in, {"alice", "bob", "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc", "##"}));
    maybe("name", pick(in, {"Ann", "Zo\xC3\xAB \xF0\x9F\x8E\x89", "", "\xC0", "line\nbreak",
                            "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn", " Ann "}));
    std::string text = pick(in, {"hi", "", "\xFF\xFE", "h\xC3\xA9llo %s ##x", "with \"quotes\" and \n newline"});
    if (in.ConsumeIntegralInRange(0, 31) == 0) text = std::string(in.ConsumeBool() ? 4096 : 4097, 'x');
    if (in.ConsumeIntegralInRange(0, 31) == 0) text = std::string(1366, '\xFF'); // repairs to 4098 bytes
    maybe("text", text);
    maybe("ts", pick_integer(in));
    maybe("lamport", pick_integer(in));
    if (in.ConsumeBool()) {
        std::string raw = in.ConsumeBytesAsString(64);
        raw.resize(in.ConsumeBool() ? 64 : raw.size()); // mostly a full 64-byte signature
        std::string sig = base64url_encode(raw);
        if (sig.empty()) sig = "A";
        switch (in.ConsumeIntegralInRange(0, 3)) {
        case 0: sig.back() = 'B'; break; // non-canonical tail
        case 1: sig += "=="; break;
        default: break;
        }
        m["sig"] = sig;
    }
    switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0: m["sent"] = true; break;
    case 1: m["sent"] = false; break;
    case 2: m["sent"] = "yes"; break;
    default: break;
    }
    if (in.ConsumeBool()) {
        json acked = json::array();
        const int n = in.ConsumeIntegralInRange(0, 6);
        for (int i = 0; i < n; ++i) {
            if (in.ConsumeIntegralInRange(0, 7) == 0) acked.push_back(i);
            else acked.push_back(pick(in, {"alice", "bob", "carol", "##", "", "peer-9"}));
        }
        if (in.ConsumeIntegralInRange(0, 63) == 0) // a huge list, as a corrupt backup might hold
            for (int i = 0; i < 300; ++i) acked.push_back("p" + std::to_string(i + 300 * n));
        m["acked"] = std::move(acked);
    }
    return m;
}

json build_doc(FuzzedDataProvider& in) {
    json doc = json::object();
    switch (in.ConsumeIntegralInRange(0, 15)) {
    case 0: return json::array();
    case 1: doc["v"] = 2; break;
    case 2: break; // no version
    default: doc["v"] = 1; break;
    }
    if (in.ConsumeBool()) doc["lamport"] = pick_integer(in);
    if (in.ConsumeIntegralInRange(0, 15) == 0) {
        doc["messages"] = "nope";
        return doc;
    }
    json list = json::array();
    const int n = in.ConsumeIntegralInRange(0, 12);
    for (int i = 0; i < n && in.remaining_bytes() > 0; ++i) list.push_back(pick_message(in));
    doc["messages"] = std::move(list);
    return doc;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const unsigned c = (data[0] >> 1) % 8;
    const std::size_t capacity = c == 0 ? max_history_messages : c;
    if (data[0] & 1) {
        FuzzedDataProvider in(data + 1, size - 1);
        check_doc(build_doc(in), capacity);
    } else {
        const json doc = json::parse(data + 1, data + size, nullptr, false);
        if (doc.is_discarded()) return 0;
        check_doc(doc, capacity);
    }
    return 0;
}
