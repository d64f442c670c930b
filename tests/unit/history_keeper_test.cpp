// The history keeper (core/history_keeper.hpp) over in-memory stores whose reads and writes wait
// until the test releases them (or fails them), with a real ChatLog standing in for the room
// engine's log: throttled saves, the backup of own messages, restore after a reload, reads that
// complete after their room was left, and the flush when the page hides.
#include "core/history_keeper.hpp"

#include <catch2/catch.hpp>

#include <deque>
#include <map>

using namespace peddlenet;
using nlohmann::json;

namespace {

// Stored on people's devices, so spelled out here: a change would lose what they saved.
std::string durable_key(const std::string& room) { return "room:" + room; }
std::string backup_key(const std::string& room) { return "peddlenet.unsaved." + room; }

// IndexedDB in memory: each get and put waits in a queue until the test completes it.
class HeldDurableStore final : public DurableStore {
public:
    struct PendingGet {
        std::string key;
        std::function<void(std::optional<std::string>)> done;
    };
    struct PendingPut {
        std::string key;
        std::string value;
        std::function<void(bool, const std::string&)> done;
    };

    void get(const std::string& key,
             std::function<void(std::optional<std::string>)> done) override {
        gets.push_back({key, std::move(done)});
    }
    void put(const std::string& key, const std::string& value,
             std::function<void(bool, const std::string&)> done) override {
        puts.push_back({key, value, std::move(done)});
    }

    // Answers the oldest read with what is committed now.
    void complete_get() {
        REQUIRE_FALSE(gets.empty());
        PendingGet g = std::move(gets.front());
        gets.pop_front();
        const auto it = committed.find(g.key);
        g.done(it == committed.end() ? std::nullopt : std::optional<std::string>(it->second));
    }
    // Commits the oldest write, or fails it with `error`.
    void complete_put(const std::string& error = {}) {
        REQUIRE_FALSE(puts.empty());
        PendingPut p = std::move(puts.front());
        puts.pop_front();
        if (error.empty()) committed[p.key] = p.value;
        p.done(error.empty(), error);
    }
    void complete_puts() {
        while (!puts.empty()) complete_put();
    }

    std::map<std::string, std::string> committed;
    std::deque<PendingGet> gets;
    std::deque<PendingPut> puts;
};

// localStorage in memory.
class MemoryBackupStore final : public BackupStore {
public:
    std::optional<std::string> get(const std::string& key) const override {
        const auto it = values.find(key);
        return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
    }
    void set(const std::string& key, const std::string& value) override { values[key] = value; }
    void remove(const std::string& key) override { values.erase(key); }

    std::map<std::string, std::string> values;
};

// Message ids in a storage document (a history or a backup), in display order.
std::vector<std::string> ids_in(const std::string& doc) {
    ChatLog log;
    REQUIRE(log.merge_storage_json(json::parse(doc)).error.empty());
    std::vector<std::string> ids;
    for (const ChatMessage& m : log.messages()) ids.push_back(m.id);
    return ids;
}

std::vector<std::string> ids_in(const ChatLog& log) {
    std::vector<std::string> ids;
    for (const ChatMessage& m : log.messages()) ids.push_back(m.id);
    return ids;
}

using Ids = std::vector<std::string>;

int messages_composed = 0;

// One page of the app: a keeper wired to a ChatLog the way ChatSession wires it to the engine.
struct Page {
    Page(HeldDurableStore& durable, MemoryBackupStore& backup)
        : keeper(durable, backup,
                 HistoryKeeperCallbacks{
                     [this] { return log.to_storage_json(); },
                     [this](const json& stored) {
                         if (stored.is_null()) return ChatLog::MergeResult{};
                         const ChatLog::MergeResult r = log.merge_storage_json(stored);
                         if (r.error.empty()) keeper.on_log_changed(); // as history_changed
                         return r;
                     },
                     [this] { return log.size(); },
                     [this] { ++restored; },
                     [this](const std::string& error) { failures.push_back(error); }},
                 HistoryClock{[this] { return now_ms; },
                              [this](double ms) { wakes.push_back(ms); }}) {}

    // As ChatSession: the keeper first, then RoomEngine::enter_room/leave_room empty the log and
    // report the change.
    void enter(const std::string& room) {
        keeper.enter(room);
        log.clear();
        keeper.on_log_changed();
    }
    void leave() {
        keeper.leave();
        log.clear();
        keeper.on_log_changed();
    }
    // A message from `from` enters the log (live or by reconciliation).
    std::string receive(const std::string& from, const std::string& text) {
        const ChatMessage m = compose(from, text);
        log.add(m);
        keeper.on_log_changed();
        return m.id;
    }
    // An own message: the engine stores it (history_changed), then ChatSession::send backs it up.
    std::string send(const std::string& text) {
        const ChatMessage m = compose("me", text);
        log.add(m);
        keeper.on_log_changed();
        keeper.on_own_message(*log.find(m.id));
        return m.id;
    }
    void advance(double ms) {
        now_ms += ms;
        keeper.tick();
    }

    ChatMessage compose(const std::string& from, const std::string& text) {
        ChatMessage m;
        // Unique across pages and tests; zero-padded so that ids sort in the order composed.
        const std::string number = std::to_string(++messages_composed);
        m.id = from + "-" + std::string(6 - number.size(), '0') + number;
        m.from = from;
        m.name = from;
        m.text = text;
        m.ts_ms = 1'700'000'000'000;
        m.lamport = log.next_lamport();
        return m;
    }

    double now_ms = 1000.0;
    std::vector<double> wakes;
    std::vector<std::string> failures;
    int restored = 0;
    ChatLog log;
    HistoryKeeper keeper;
};

// Enters `room` and answers the read, with nothing stored unless something was committed.
void enter_and_restore(Page& page, HeldDurableStore& durable, const std::string& room) {
    page.enter(room);
    durable.complete_get();
}

Ids backup_ids(const MemoryBackupStore& backup, const std::string& room) {
    const auto text = backup.get(backup_key(room));
    return text ? ids_in(*text) : Ids{};
}

} // namespace

TEST_CASE("a burst of changes is saved at once, then in one write 300 ms after it", "[history]") {
    HeldDurableStore durable;
    MemoryBackupStore backup;
    Page page(durable, backup);
    enter_and_restore(page, durable, "r");
    CHECK(durable.puts.empty()); // nothing stored, nothing new: nothing to write

    const std::string a = page.receive("peer", "a");
    REQUIRE(durable.puts.size() == 1);
    CHECK(durable.puts[0].key == durable_key("r"));
    CHECK(ids_in(durable.puts[0].value) == Ids{a});
    CHECK(page.wakes.empty());

    page.advance(10);
    const std::string b = page.receive("peer", "b");
    const std::string c = page.receive("peer", "c");
    page.advance(50);
    const std::string d = page.receive("peer", "d");
    CHECK(durable.puts.size() == 1);
    CHECK(page.wakes == std::vector<double>{290.0}); // one wake-up, for the first save + 300 ms

    page.advance(239); // 299 ms after the first save
    CHECK(durable.puts.size() == 1);
    page.advance(1);
    REQUIRE(durable.puts.size() == 2);
    CHECK(ids_in(durable.puts[1].value) == Ids{a, b, c, d});
    page.advance(1000);
    CHECK(durable.puts.size() == 2);

    durable.complete_puts();
    CHECK(ids_in(durable.committed[durable_key("r")]) == Ids{a, b, c, d});
    CHECK(page.failures.empty());
}

TEST_CASE("own messages skip the throttle, and a pending save is not written twice", "[history]") {
    HeldDurableStore durable;
    MemoryBackupStore backup;
    Page page(durable, backup);
    enter_and_restore(page, durable, "r");
    const std::string a = page.receive("peer", "a");
    page.advance(10);
    const std::string b = page.receive("peer", "b"); // waits for the throttle
    REQUIRE(durable.puts.size() == 1);
    const std::string mine = page.send("mine");
    REQUIRE(durable.puts.size() == 2);
    CHECK(ids_in(durable.puts[1].value) == Ids{a, b, mine});
    page.advance(1000); // the throttled save went out with it
    CHECK(durable.puts.size() == 2);
}

TEST_CASE("an own message is backed up at once and dropped from the backup only when a write "
          "covering it committed", "[history]") {
    HeldDurableStore durable;
    MemoryBackupStore backup;
    Page page(durable, backup);
    enter_and_restore(page, durable, "r");

    const std::string one = page.send("one");
    CHECK(backup_ids(backup, "r") == Ids{one}); // synchronously, before any write committed
    // The log change was saved before the backup held the message, so that write covers nothing;
    // the send's own save covers it.
    REQUIRE(durable.puts.size() == 2);
    CHECK(ids_in(durable.puts[0].value) == Ids{one});
    CHECK(ids_in(durable.puts[1].value) == Ids{one});
    durable.complete_put();
    CHECK(backup_ids(backup, "r") == Ids{one});

    const std::string two = page.send("two"); // while the write covering "one" is in flight
    CHECK(backup_ids(backup, "r") == Ids{one, two});
    durable.complete_put(); // covers "one" only
    CHECK(backup_ids(backup, "r") == Ids{two});
    durable.complete_puts();
    CHECK_FALSE(backup.values.count(backup_key("r"))); // an empty backup is removed
    CHECK(ids_in(durable.committed[durable_key("r")]) == Ids{one, two});
}

TEST_CASE("a failed write keeps the backup and is reported", "[history]") {
    HeldDurableStore durable;
    MemoryBackupStore backup;
    Page page(durable, backup);
    enter_and_restore(page, durable, "r");

    const std::string one = page.send("one");
    REQUIRE(durable.puts.size() == 2);
    durable.complete_put("QuotaExceededError");
    durable.complete_put("QuotaExceededError");
    CHECK(page.failures == std::vector<std::string>{"QuotaExceededError", "QuotaExceededError"});
    CHECK(backup_ids(backup, "r") == Ids{one});
    CHECK_FALSE(durable.committed.count(durable_key("r")));

    page.advance(1000);
    const std::string two = page.send("two"); // the next write that commits covers both
    durable.complete_puts();
    CHECK_FALSE(backup.values.count(backup_key("r")));
    CHECK(ids_in(durable.committed[durable_key("r")]) == Ids{one, two});
}

TEST_CASE("a reload restores backed-up messages the durable store lacks, and writes back only "
          "then", "[history]") {
    HeldDurableStore durable;
    MemoryBackupStore backup;
    std::string earlier, mine;
    {
        Page before(durable, backup);
        enter_and_restore(before, durable, "r");
        earlier = before.receive("peer", "earlier");
        durable.complete_puts();
        before.advance(1000);
        mine = before.send("sent as the page went away");
        durable.puts.clear(); // the page is gone before IndexedDB commits
    }
    REQUIRE(ids_in(durable.committed[durable_key("r")]) == Ids{earlier});
    REQUIRE(backup_ids(backup, "r") == Ids{mine});

    Page after(durable, backup);
    after.enter("r");
    CHECK(durable.puts.empty()); // the emptied log is not the room's history: not saved
    REQUIRE(durable.gets.size() == 1);
    CHECK(durable.gets[0].key == durable_key("r"));
    durable.complete_get();
    CHECK(after.restored == 1);
    CHECK(ids_in(after.log) == Ids{earlier, mine});
    REQUIRE(durable.puts.size() == 1); // one write-back with what the store lacked
    CHECK(ids_in(durable.puts[0].value) == Ids{earlier, mine});
    durable.complete_puts();
    CHECK_FALSE(backup.values.count(backup_key("r")));

    Page again(durable, backup); // nothing missing now: the read writes nothing back
    enter_and_restore(again, durable, "r");
    CHECK(again.restored == 1);
    CHECK(ids_in(again.log) == Ids{earlier, mine});
    CHECK(durable.puts.empty());
}

TEST_CASE("a reload after a write committed but before the backup was cleared writes back to "
          "clear it", "[history]") {
    HeldDurableStore durable;
    MemoryBackupStore backup;
    std::string mine;
    {
        Page before(durable, backup);
        enter_and_restore(before, durable, "r");
        mine = before.send("mine");
        REQUIRE(durable.puts.size() == 2);
        durable.committed[durable_key("r")] = durable.puts.back().value; // committed, unanswered
        durable.puts.clear();
    }
    REQUIRE(backup_ids(backup, "r") == Ids{mine});

    Page after(durable, backup);
    enter_and_restore(after, durable, "r");
    CHECK(ids_in(after.log) == Ids{mine});
    REQUIRE(durable.puts.size() == 1); // nothing new for the store, but the backup must go
    durable.complete_puts();
    CHECK_FALSE(backup.values.count(backup_key("r")));
}

TEST_CASE("what arrives or is sent while the history is read is saved after the read, with it",
          "[history]") {
    HeldDurableStore durable;
    MemoryBackupStore backup;
    std::string earlier;
    {
        Page before(durable, backup);
        enter_and_restore(before, durable, "r");
        earlier = before.receive("peer", "earlier");
        durable.complete_puts();
    }
    Page page(durable, backup);
    page.enter("r");
    SECTION("from a peer") {
        const std::string live = page.receive("peer", "live");
        CHECK(durable.puts.empty());
        CHECK(page.wakes.empty());
        durable.complete_get();
        REQUIRE(durable.puts.size() == 1);
        CHECK(ids_in(durable.puts[0].value) == Ids{earlier, live});
    }
    SECTION("own") {
        const std::string mine = page.send("mine");
        CHECK(backup_ids(backup, "r") == Ids{mine});
        CHECK(durable.puts.empty());
        durable.complete_get();
        REQUIRE(durable.puts.size() == 1);
        // Composed before the read raised the clock: it sorts with the same Lamport value.
        CHECK(ids_in(durable.puts[0].value) == Ids{mine, earlier});
        durable.complete_puts();
        CHECK_FALSE(backup.values.count(backup_key("r")));
    }
}

TEST_CASE("a read that completes after its room was left or switched is ignored", "[history]") {
    HeldDurableStore durable;
    MemoryBackupStore backup;
    std::string in_a;
    {
        Page before(durable, backup);
        enter_and_restore(before, durable, "a");
        in_a = before.receive("peer", "in room a");
        durable.complete_puts();
    }
    const std::string stored_a = durable.committed[durable_key("a")];

    Page page(durable, backup);
    page.enter("a");
    SECTION("left") {
        page.leave();
        durable.complete_get();
        CHECK(page.log.size() == 0);
        CHECK(page.restored == 0);
        CHECK(durable.puts.empty());
    }
    SECTION("switched by leaving first (as ChatSession does)") {
        page.leave();
        page.enter("b");
        durable.complete_get(); // room a's read, now stale
        CHECK(page.log.size() == 0);
        CHECK(page.restored == 0);
        CHECK(durable.puts.empty());
        durable.complete_get(); // room b's: nothing stored there
        CHECK(page.restored == 1);
        const std::string in_b = page.receive("peer", "in room b");
        REQUIRE(durable.puts.size() == 1);
        CHECK(durable.puts[0].key == durable_key("b"));
        CHECK(ids_in(durable.puts[0].value) == Ids{in_b});
    }
    SECTION("switched directly") {
        page.enter("b");
        durable.complete_get();
        CHECK(page.log.size() == 0);
        CHECK(page.restored == 0);
        CHECK(durable.puts.empty());
        durable.complete_get();
        CHECK(page.restored == 1);
        CHECK(durable.puts.empty());
    }
    durable.complete_puts();
    CHECK(durable.committed[durable_key("a")] == stored_a);
    CHECK(ids_in(durable.committed[durable_key("a")]) == Ids{in_a});
}

TEST_CASE("hiding the page writes a pending save at once; leaving writes it for the room left",
          "[history]") {
    HeldDurableStore durable;
    MemoryBackupStore backup;
    Page page(durable, backup);
    enter_and_restore(page, durable, "r");
    const std::string a = page.receive("peer", "a");
    page.advance(10);
    const std::string b = page.receive("peer", "b");
    REQUIRE(durable.puts.size() == 1);

    SECTION("flush") {
        page.keeper.flush();
        REQUIRE(durable.puts.size() == 2);
        CHECK(ids_in(durable.puts[1].value) == Ids{a, b});
        page.keeper.flush(); // nothing pending any more
        page.advance(1000);
        CHECK(durable.puts.size() == 2);
    }
    SECTION("leave") {
        page.leave();
        REQUIRE(durable.puts.size() == 2);
        CHECK(durable.puts[1].key == durable_key("r"));
        CHECK(ids_in(durable.puts[1].value) == Ids{a, b});
        page.advance(1000); // the emptied log is not saved
        CHECK(durable.puts.size() == 2);
    }
}

TEST_CASE("an unreadable stored history counts as none instead of blocking the room", "[history]") {
    HeldDurableStore durable;
    MemoryBackupStore backup;
    durable.committed[durable_key("r")] = "{not json";
    backup.values[backup_key("r")] = "[\"another tab's\"]";
    Page page(durable, backup);
    enter_and_restore(page, durable, "r");
    CHECK(page.restored == 1);
    CHECK(page.log.size() == 0);
    CHECK(durable.puts.empty());
    const std::string a = page.receive("peer", "a"); // saved as usual from here on
    REQUIRE(durable.puts.size() == 1);
    CHECK(ids_in(durable.puts[0].value) == Ids{a});
}
