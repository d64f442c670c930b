// Chat message model and room history (core/chat_log.hpp): order, dedup, bounds, text rules,
// storage round trip and corrupt storage.
#include "core/chat_log.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

using namespace peddlenet;
using nlohmann::json;

namespace {

ChatMessage msg(std::string id, std::string from, std::uint64_t lamport, std::string text = "hi") {
    ChatMessage m;
    m.id = std::move(id);
    m.from = std::move(from);
    m.name = "Name";
    m.text = std::move(text);
    m.ts_ms = 1'700'000'000'000;
    m.lamport = lamport;
    return m;
}

std::vector<std::string> ids(const ChatLog& log) {
    std::vector<std::string> out;
    for (const ChatMessage& m : log.messages()) out.push_back(m.id);
    return out;
}

} // namespace

TEST_CASE("order is (lamport, from, id) whatever the arrival order", "[chat]") {
    std::vector<ChatMessage> all = {msg("m1", "bob", 1),   msg("m2", "alice", 1),
                                    msg("m3", "alice", 2), msg("m0", "alice", 2),
                                    msg("m4", "carol", 3), msg("m5", "alice", 7)};
    const std::vector<std::string> expected = {"m2", "m1", "m0", "m3", "m4", "m5"};
    std::mt19937 rng(42);
    for (int trial = 0; trial < 50; ++trial) {
        std::shuffle(all.begin(), all.end(), rng);
        ChatLog log;
        for (const ChatMessage& m : all) REQUIRE(log.add(m) == ChatLog::AddResult::added);
        REQUIRE(ids(log) == expected);
        CHECK(log.lamport() == 7);
    }
}

TEST_CASE("duplicates are ignored; the first copy wins", "[chat]") {
    ChatLog log;
    CHECK(log.add(msg("same", "alice", 1, "original")) == ChatLog::AddResult::added);
    CHECK(log.add(msg("same", "mallory", 9, "forged")) == ChatLog::AddResult::duplicate);
    REQUIRE(log.size() == 1);
    CHECK(log.find("same")->text == "original");
    CHECK(log.find("same")->from == "alice");
    CHECK(log.lamport() == 1); // a refused copy does not move the clock
}

TEST_CASE("history is bounded: the oldest messages fall off", "[chat]") {
    ChatLog log(3);
    for (std::uint64_t i = 1; i <= 5; ++i) log.add(msg("m" + std::to_string(i), "a", i));
    CHECK(ids(log) == std::vector<std::string>{"m3", "m4", "m5"});
    CHECK_FALSE(log.contains("m1"));
    // Something older than everything kept is not taken back in.
    CHECK(log.add(msg("m0", "a", 1)) == ChatLog::AddResult::too_old);
    CHECK(log.size() == 3);
    // An evicted id may come back only if it still fits; here it does not.
    CHECK(log.add(msg("m1", "a", 1)) == ChatLog::AddResult::too_old);
    CHECK(log.newest(2).size() == 2);
    CHECK(log.newest(2).front()->id == "m4");
    CHECK(log.newest(10).size() == 3);
}

TEST_CASE("the Lamport clock advances past everything seen and saturates", "[chat]") {
    ChatLog log;
    CHECK(log.next_lamport() == 1);
    log.add(msg("x", "b", 41));
    CHECK(log.next_lamport() == 42);
    log.add(msg("y", "b", max_json_integer));
    CHECK(log.next_lamport() == max_json_integer);
    CHECK(log.next_lamport() == max_json_integer);
}

using peddlenet::i18n::Message;

TEST_CASE("text: repaired, non-empty, at most 4 KiB of UTF-8", "[chat]") {
    CHECK(check_chat_text("hello").ok());
    CHECK(check_chat_text("%s%n ##x###y").value == "%s%n ##x###y");
    CHECK(check_chat_text("a\xFF" "b").value == "a\xEF\xBF\xBD" "b");
    CHECK(check_chat_text("").error == Message{"messages.empty_text", {}});
    CHECK(check_chat_text(std::string(4096, 'x')).ok());
    const Checked over = check_chat_text(std::string(4097, 'x'));
    CHECK_FALSE(over.ok());
    CHECK(over.error == Message{"messages.too_long", {{"used", "4097"}, {"max", "4096"}}});
    // 1366 invalid bytes become 1366 U+FFFD = 4098 bytes: the limit applies after repair.
    CHECK_FALSE(check_chat_text(std::string(1366, '\xFF')).ok());
    // Multi-byte text is measured in bytes: 1024 four-byte emoji fit exactly, one more does not.
    std::string emoji;
    for (int i = 0; i < 1024; ++i) emoji += "\xF0\x9F\x8E\x89";
    CHECK(check_chat_text(emoji).ok());
    CHECK_FALSE(check_chat_text(emoji + "!").ok());
}

TEST_CASE("names: 1..32 characters, no control characters", "[chat]") {
    CHECK(check_chat_name("Zoë 🎉").ok());
    CHECK(check_chat_name(std::string(32, 'n')).ok());
    CHECK(check_chat_name(std::string(33, 'n')).error == Message{"name.too_long", {{"max", "32"}}});
    CHECK(check_chat_name("").error == Message{"name.empty", {}});
    CHECK(check_chat_name("line\nbreak").error == Message{"name.control_chars", {}});
    CHECK(check_chat_name("\xC0").value == "\xEF\xBF\xBD");
}

TEST_CASE("message JSON round trip and validation of every field", "[chat]") {
    const ChatMessage m = msg("abc", "alice", 5, "héllo %s ##x");
    const json j = chat_message_to_json(m);
    const auto back = chat_message_from_json(j);
    REQUIRE(back.has_value());
    CHECK(back->id == m.id);
    CHECK(back->from == m.from);
    CHECK(back->name == m.name);
    CHECK(back->text == m.text);
    CHECK(back->ts_ms == m.ts_ms);
    CHECK(back->lamport == m.lamport);

    const auto refused = [&](const char* key, json value) {
        json bad = j;
        if (value.is_discarded()) bad.erase(key);
        else bad[key] = std::move(value);
        std::string why;
        const bool ok = chat_message_from_json(bad, &why).has_value();
        INFO(key << " -> " << why);
        return !ok && !why.empty();
    };
    CHECK(refused("id", "has space"));
    CHECK(refused("id", "##x###y"));
    CHECK(refused("id", std::string(65, 'a')));
    CHECK(refused("id", 42));
    CHECK(refused("from", json::array()));
    CHECK(refused("from", json(json::value_t::discarded)));
    CHECK(refused("name", ""));
    CHECK(refused("name", nullptr));
    CHECK(refused("text", std::string(4097, 'x')));
    CHECK(refused("text", ""));
    CHECK(refused("text", json::object()));
    CHECK(refused("ts", -1));
    CHECK(refused("ts", 1.5));
    CHECK(refused("ts", "1700000000000"));
    CHECK(refused("lamport", 0));
    CHECK(refused("lamport", max_json_integer + 1));
    CHECK(refused("lamport", true));
    CHECK_FALSE(chat_message_from_json(json::array()).has_value());
    CHECK_FALSE(chat_message_from_json(json("text")).has_value());
}

TEST_CASE("storage round trip keeps order, clock and delivery state", "[chat]") {
    ChatLog log;
    log.add(msg("b", "me", 2));
    log.add(msg("a", "you", 1, "with \"quotes\" and \n newline"));
    log.add(msg("c", "me", 3));
    log.mark_sent("b");
    log.mark_acked("c", "you");
    log.mark_acked("c", "them");
    log.next_lamport(); // 4, with no message

    ChatLog copy;
    const ChatLog::MergeResult r = copy.merge_storage_json(json::parse(log.to_storage_json().dump()));
    CHECK(r.error.empty());
    CHECK(r.added == 3);
    CHECK(r.skipped == 0);
    CHECK(ids(copy) == ids(log));
    CHECK(copy.lamport() == 4);
    CHECK(copy.find("b")->sent);
    CHECK_FALSE(copy.find("a")->sent);
    CHECK(copy.find("c")->acked_by == std::vector<std::string>{"them", "you"});
    CHECK(copy.find("a")->text == "with \"quotes\" and \n newline");

    // Merging the same document again adds nothing.
    CHECK(copy.merge_storage_json(log.to_storage_json()).added == 0);
    CHECK(copy.size() == 3);
}

TEST_CASE("corrupt storage is refused or skipped, never trusted", "[chat]") {
    ChatLog log;
    CHECK_FALSE(log.merge_storage_json(json::array()).error.empty());
    CHECK_FALSE(log.merge_storage_json(json{{"v", 2}, {"messages", json::array()}}).error.empty());
    CHECK_FALSE(log.merge_storage_json(json{{"v", 1}, {"messages", "nope"}}).error.empty());

    json doc = ChatLog().to_storage_json();
    doc["messages"].push_back(chat_message_to_json(msg("good", "alice", 1)));
    doc["messages"].push_back(json{{"id", "bad id"}});
    doc["messages"].push_back(42);
    json wrong_types = chat_message_to_json(msg("odd", "alice", 2));
    wrong_types["sent"] = "yes";                     // not a boolean: ignored
    wrong_types["acked"] = json::array({1, "##", "bob"}); // only valid ids count
    doc["messages"].push_back(wrong_types);
    const ChatLog::MergeResult r = log.merge_storage_json(doc);
    CHECK(r.error.empty());
    CHECK(r.added == 2);
    CHECK(r.skipped == 2);
    CHECK(log.find("odd")->sent); // an ack from bob proves it was sent
    CHECK(log.find("odd")->acked_by == std::vector<std::string>{"bob"});
}

// Found by fuzz_chat_history: one id stored twice, whose acked lists together exceed the cut of
// 256 per message (here "carol" + p0..p299): the merged list had 257 entries, so the document
// written back no longer round-tripped (a reload kept 256), and k copies could carry k * 256.
TEST_CASE("acked lists from storage stay within the cut across duplicated items", "[chat]") {
    json first = chat_message_to_json(msg("m-1", "alice", 1));
    first["acked"] = json::array({"carol"});
    json second = first;
    second["acked"] = json::array();
    for (int i = 0; i < 300; ++i) second["acked"].push_back("p" + std::to_string(i));
    json doc = ChatLog().to_storage_json();
    doc["messages"] = json::array({first, second, second});

    ChatLog log;
    CHECK(log.merge_storage_json(doc).added == 1);
    CHECK(log.find("m-1")->acked_by.size() == 256);
    const json stored = log.to_storage_json();
    ChatLog copy;
    CHECK(copy.merge_storage_json(json::parse(stored.dump())).added == 1);
    CHECK(copy.to_storage_json() == stored);
}

// Found by fuzz_chat_history (corpus/chat_history/dup-sig-other-text): an unsigned message and a
// signed item with the same id but another text; the signature of the other text was attached to
// the kept message, over which it can never verify. A signed copy of the same message still
// supplies the missing signature.
TEST_CASE("a stored signature is only taken for the same message", "[chat]") {
    const std::string sig(86, 'A'); // 64 zero bytes, canonical
    json unsigned_a = chat_message_to_json(msg("x", "alice", 1, "a"));
    json signed_b = chat_message_to_json(msg("x", "alice", 1, "b"));
    signed_b["sig"] = sig;
    json doc = ChatLog().to_storage_json();
    doc["messages"] = json::array({unsigned_a, signed_b});
    ChatLog log;
    CHECK(log.merge_storage_json(doc).added == 1);
    CHECK(log.find("x")->text == "a");
    CHECK(log.find("x")->sig.empty());

    json signed_a = unsigned_a;
    signed_a["sig"] = sig;
    doc["messages"] = json::array({unsigned_a, signed_a});
    ChatLog same;
    CHECK(same.merge_storage_json(doc).added == 1);
    CHECK(same.find("x")->sig == sig);
}

// Found by fuzz_chat_history (capacity 1): "a" stored twice with different clocks, then "m-1".
// The first "a" was kept, then evicted by "m-1"; merging the document again no longer found "a"
// present, so its other copy (lamport 1700000000000) replaced "m-1": merging the same document
// twice changed the log. The first item of an id now defines it; conflicting copies are skipped.
TEST_CASE("merging the same document twice changes nothing, duplicated ids included", "[chat]") {
    json doc = ChatLog().to_storage_json();
    doc["messages"] = json::array({chat_message_to_json(msg("a", "alice", 5)),
                                   chat_message_to_json(msg("a", "alice", 1'700'000'000'000)),
                                   chat_message_to_json(msg("m-1", "alice", 5))});
    ChatLog log(1);
    const ChatLog::MergeResult r = log.merge_storage_json(doc);
    CHECK(r.skipped == 1); // the conflicting copy of "a"
    const json once = log.to_storage_json();
    CHECK(log.merge_storage_json(doc).added == 0);
    CHECK(log.to_storage_json() == once);
    CHECK(ids(log) == std::vector<std::string>{"m-1"});
}
