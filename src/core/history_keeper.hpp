// history_keeper.hpp: keeps a room's chat history from being lost between visits: reads it back
// when the room is entered, saves the log after changes, and backs up own messages until a save
// covering them has committed.
// Needs: core/chat_log.hpp (storage form, message JSON). Platform-free: the two stores, the clock
// and the timer are injected (the app binds IndexedDB, localStorage, performance.now() and a
// timer; tests/unit/history_keeper_test.cpp fakes them). Nothing runs on its own.
//  [X] restore on entering a room: the stored history, then the backed-up own messages; written
//      back only when the durable store lacks something (the backup, or what arrived meanwhile)
//  [X] nothing is saved while the stored history is being read: the log is not the room's yet
//  [X] a read that completes after its room was left (or switched) is ignored
//  [X] throttled saves: the first change is saved at once, a burst after it in one more write
//      history_save_interval_ms after the previous one
//  [X] own messages: backed up synchronously and saved at once (peers never give us back our
//      own, so a reload before the durable write commits would lose them); dropped from the
//      backup only once a write that covered them committed; a failed write keeps them
//  [X] flush (the page hides) and leave write a pending save at once
//
// Usage: on entering a room call enter(room id) before the log is emptied for it
// (RoomEngine::enter_room); leave() before leaving it; on_log_changed() from
// RoomCallbacks::history_changed; on_own_message() after each successful send; tick() when the
// clock's wake_after timer fires; flush() when the page hides. Single-threaded.
#pragma once

#include "core/chat_log.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace peddlenet {

// At most one history write per this interval (ms) for what arrives from peers: a burst of
// hundreds of messages costs two writes of the whole log, not hundreds. Own messages skip it.
inline constexpr double history_save_interval_ms = 300.0;

// The durable store (IndexedDB): one text document per key. Asynchronous: every completion runs
// later, never inside the call, and exactly once.
class DurableStore {
public:
    virtual ~DurableStore() = default;
    // `done(value)`: nullopt when the key is absent or the store unreadable.
    virtual void get(const std::string& key,
                     std::function<void(std::optional<std::string> value)> done) = 0;
    // `done(ok, error)`: ok once the value has committed; otherwise `error` says why.
    virtual void put(const std::string& key, const std::string& value,
                     std::function<void(bool ok, const std::string& error)> done) = 0;
};

// The backup store (localStorage): small text values written synchronously, so they survive a
// reload that comes right after the write. Shared with other tabs: values may be anything.
class BackupStore {
public:
    virtual ~BackupStore() = default;
    virtual std::optional<std::string> get(const std::string& key) const = 0;
    virtual void set(const std::string& key, const std::string& value) = 0;
    virtual void remove(const std::string& key) = 0;
};

// The room's log as the keeper reads and fills it (RoomEngine in the app), and its reports.
struct HistoryKeeperCallbacks {
    // The log in storage form (RoomEngine::history_json). Required.
    std::function<nlohmann::json()> history_json;
    // Merges a storage document, null when nothing is stored, into the log
    // (RoomEngine::restore_history). Required.
    std::function<ChatLog::MergeResult(const nlohmann::json& stored)> restore_history;
    // Messages in the log now. Required.
    std::function<std::size_t()> message_count;
    // The stored history and the backup were merged: redraw. Optional.
    std::function<void()> restored;
    // A write failed; the backed-up messages it covered stay backed up. Optional.
    std::function<void(const std::string& error)> save_failed;
};

// Injected time; the keeper never reads a clock or sets a timer itself.
struct HistoryClock {
    // Monotonic milliseconds (performance.now()).
    std::function<double()> monotonic_ms;
    // Call tick() in `ms` (at least 1) milliseconds: a throttled save is waiting. Required.
    std::function<void(double ms)> wake_after;
};

class HistoryKeeper {
public:
    // `durable` and `backup` must outlive the keeper and the completions of its writes.
    HistoryKeeper(DurableStore& durable, BackupStore& backup, HistoryKeeperCallbacks callbacks,
                  HistoryClock clock);
    HistoryKeeper(const HistoryKeeper&) = delete;
    HistoryKeeper& operator=(const HistoryKeeper&) = delete;

    // The room with server id `room_id` is entered (any previous one is left first): reads its
    // stored history, and saves nothing until the read has been merged. Call before the log is
    // emptied for the new room, so that emptying it is not saved over the room's history.
    void enter(const std::string& room_id);
    // Writes a pending save, then forgets the room; a read still running is ignored when it
    // completes. Call while the log still holds the room's history.
    void leave();
    // The log changed: saves at once, or when history_save_interval_ms since the last save
    // have passed (asking the clock to wake tick() then).
    void on_log_changed();
    // An own message entered the log: backs it up synchronously, then saves at once (after the
    // read, when the stored history is still being read).
    void on_own_message(const ChatMessage& m);
    // Writes the throttled save once it is due.
    void tick();
    // Writes a pending save now (the page is hiding and may be killed without another event).
    void flush();

private:
    void save_now();

    DurableStore& durable_;
    BackupStore& backup_;
    HistoryKeeperCallbacks callbacks_;
    HistoryClock clock_;
    std::optional<std::string> room_; // the room entered (its server id)
    std::uint64_t generation_ = 0;    // ignores reads of a room left meanwhile
    bool restoring_ = false;          // the stored history is being read: do not save
    bool save_pending_ = false;
    double save_due_ms_ = 0;
    double last_save_ms_ = -1e9;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0); // read completions check it
};

} // namespace peddlenet
