// history_keeper.cpp: see history_keeper.hpp.
#include "core/history_keeper.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace peddlenet {
namespace {

// Both keys name the room by its server id: an open room keeps the history of the versions before
// private rooms. Stored on people's devices: changing either loses what they saved.
std::string durable_key(const std::string& room_id) {
    return "room:" + room_id;
}

// Own messages not yet confirmed written to the durable store, per room, in storage form
// {"v":1,"messages":[...]}, which RoomEngine::restore_history reads like any stored history.
std::string backup_key(const std::string& room_id) {
    return "peddlenet.unsaved." + room_id;
}

nlohmann::json read_backup(const BackupStore& backup, const std::string& room_id) {
    const auto text = backup.get(backup_key(room_id));
    nlohmann::json doc = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
    if (!doc.is_object() || !doc.contains("messages") || !doc["messages"].is_array()) {
        doc = {{"v", 1}, {"messages", nlohmann::json::array()}};
    }
    return doc;
}

void write_backup(BackupStore& backup, const std::string& room_id, const nlohmann::json& doc) {
    if (doc["messages"].empty()) {
        backup.remove(backup_key(room_id));
    } else {
        backup.set(backup_key(room_id),
                   doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
}

// The id of a backed-up message, "" for anything malformed (another tab may have written it).
std::string stored_id(const nlohmann::json& m) {
    if (!m.is_object()) return {};
    const auto id = m.find("id");
    return id != m.end() && id->is_string() ? id->get<std::string>() : std::string();
}

// Removes the messages with the ids `committed` from the backup, keeping any backed up since.
void drop_from_backup(BackupStore& backup, const std::string& room_id,
                      const std::vector<std::string>& committed) {
    nlohmann::json doc = read_backup(backup, room_id);
    nlohmann::json kept = nlohmann::json::array();
    for (auto& m : doc["messages"]) {
        if (std::find(committed.begin(), committed.end(), stored_id(m)) == committed.end()) {
            kept.push_back(std::move(m));
        }
    }
    doc["messages"] = std::move(kept);
    write_backup(backup, room_id, doc);
}

} // namespace

HistoryKeeper::HistoryKeeper(DurableStore& durable, BackupStore& backup,
                             HistoryKeeperCallbacks callbacks, HistoryClock clock)
    : durable_(durable), backup_(backup), callbacks_(std::move(callbacks)),
      clock_(std::move(clock)) {}

void HistoryKeeper::enter(const std::string& room_id) {
    if (room_) leave();
    room_ = room_id;
    restoring_ = true;
    const std::uint64_t generation = ++generation_;
    const std::weak_ptr<int> alive = alive_;
    durable_.get(durable_key(room_id), [this, alive, generation,
                                        room_id](std::optional<std::string> stored) {
        if (alive.expired() || generation != generation_) return; // left (or switched) meanwhile
        nlohmann::json json =
            stored ? nlohmann::json::parse(*stored, nullptr, false) : nlohmann::json();
        if (json.is_discarded()) json = nullptr; // unreadable: start afresh rather than stay stuck
        const ChatLog::MergeResult stored_result = callbacks_.restore_history(json);
        const nlohmann::json backup = read_backup(backup_, room_id); // sent just before a reload
        const bool backed_up = !backup["messages"].empty();
        if (backed_up) callbacks_.restore_history(backup);
        // Still restoring until here, so merging what was just read schedules no write of it.
        // Write back only when the store may lack something: the backup (whose write also
        // clears it), or what arrived during the read.
        restoring_ = false;
        if (backed_up || callbacks_.message_count() > stored_result.added) save_now();
        if (callbacks_.restored) callbacks_.restored();
    });
}

void HistoryKeeper::leave() {
    if (save_pending_) save_now();
    ++generation_;
    restoring_ = false;
    room_.reset();
}

void HistoryKeeper::on_log_changed() {
    // While the stored history is being read, the log is not the room's history yet: saving it
    // would overwrite what we are about to restore.
    if (!room_ || restoring_) return;
    const double now = clock_.monotonic_ms();
    if (!save_pending_ && now - last_save_ms_ >= history_save_interval_ms) {
        save_now();
        return;
    }
    if (!save_pending_) {
        save_pending_ = true;
        save_due_ms_ = last_save_ms_ + history_save_interval_ms;
        clock_.wake_after(std::max(1.0, save_due_ms_ - now));
    }
}

void HistoryKeeper::on_own_message(const ChatMessage& m) {
    if (!room_) return;
    nlohmann::json backup = read_backup(backup_, *room_);
    backup["messages"].push_back(chat_message_to_json(m));
    write_backup(backup_, *room_, backup);
    if (!restoring_) save_now(); // else the read's write-back covers it
}

void HistoryKeeper::tick() {
    if (save_pending_ && clock_.monotonic_ms() >= save_due_ms_) save_now();
}

void HistoryKeeper::flush() {
    if (save_pending_) save_now();
}

void HistoryKeeper::save_now() {
    save_pending_ = false;
    last_save_ms_ = clock_.monotonic_ms();
    if (!room_) return;
    const std::string room = *room_;
    // The backed-up messages this write covers: dropped from the backup once it has committed.
    const nlohmann::json backup = read_backup(backup_, room);
    std::vector<std::string> covered;
    for (const auto& m : backup["messages"]) covered.push_back(stored_id(m));
    // No `this` in the completion: it may come after the keeper is gone (the stores outlive it),
    // and a write that committed must still clear its messages from the backup.
    durable_.put(durable_key(room), callbacks_.history_json().dump(),
                 [&backup_store = backup_, save_failed = callbacks_.save_failed, room,
                  covered = std::move(covered)](bool ok, const std::string& error) {
                     if (!ok) {
                         if (save_failed) save_failed(error);
                         return;
                     }
                     if (!covered.empty()) drop_from_backup(backup_store, room, covered);
                 });
}

} // namespace peddlenet
