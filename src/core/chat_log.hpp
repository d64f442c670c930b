// chat_log.hpp: the chat message model and one room's history.
// Needs: core/text.hpp (UTF-8 repair, id rule), nlohmann/json (wire and storage form).
// Never throws on bad input: every JSON field is type-checked before use.
//  [X] message: id, author id and display name, author's wall clock, Lamport clock
//  [X] total display order (lamport, from, id): identical on every peer whatever the arrival order
//  [X] dedup by message id (the first copy wins; later copies with the same id are ignored)
//  [X] bounded history per room: the oldest messages fall off past max_history_messages
//  [X] delivery bookkeeping for own messages: sent (on some data channel) and acked-by peers
//  [X] text rule: invalid UTF-8 repaired to U+FFFD, then 1..4096 bytes, with a sentence on refusal
//  [X] storage form (JSON for IndexedDB) in and out, validated like network input
//  [X] the author's signature travels and is stored with the message, so anyone may relay it
//  [X] a message may carry a photo (its reference: hash, size, type, pixels; signed with it)
#pragma once

#include "core/i18n.hpp"
#include "core/photo.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace peddlenet {

// Chat text limit in bytes of UTF-8 (4 KiB): a long paragraph, while 500 of them in a
// reconciliation burst stay around 2 MiB.
inline constexpr std::size_t max_text_bytes = 4096;
// Messages kept per room (memory and IndexedDB): 1000 x 4 KiB worst case = 4 MiB.
inline constexpr std::size_t max_history_messages = 1000;
// Largest integer a JavaScript Number holds exactly (2^53 - 1): the bound for ts and lamport.
inline constexpr std::uint64_t max_json_integer = 9007199254740991ull;

struct ChatMessage {
    std::string id;            // 1..64 of [A-Za-z0-9_-] (make_message_id); unique in the room
    std::string from;          // author's peer id
    std::string name;          // author's display name when it was sent
    std::string text;          // valid UTF-8, 1..max_text_bytes bytes, shown literally; with a
                               // photo it is the caption and may be empty
    std::optional<PhotoRef> photo; // the photo it carries (its bytes travel apart, core/photo_transfer)
    std::int64_t ts_ms = 0;    // author's wall clock, ms since 1970: for display, never for order
    std::uint64_t lamport = 0; // Lamport clock, 1..max_json_integer: the order key
    // base64url Ed25519 signature by `from` (a peer key id) over message_signing_payload (all of
    // the above and the room id). Empty only for history stored before messages were signed,
    // which is shown but never relayed.
    std::string sig;
    // Local bookkeeping, meaningful for own messages only; stored, never sent on the wire.
    bool sent = false;                 // handed to at least one open data channel
    std::vector<std::string> acked_by; // peers that confirmed having it; sorted, unique
    // Big rooms: peers that reported it through relays (each counts once, on the link it first
    // reached them by); acked_by holds those that told us directly.
    std::uint32_t receipts = 0;
};

// The display order: by lamport, then author id, then message id (bytewise). A strict total
// order on distinct ids, so every peer that holds the same set shows the same sequence.
bool chat_order_less(const ChatMessage& a, const ChatMessage& b);

// User text or name after validation: `value` is the repaired string when `error` is empty,
// otherwise `error` says why, for the UI and the automation API.
struct Checked {
    std::string value;
    i18n::Message error;
    bool ok() const { return error.empty(); }
};
// Repairs invalid UTF-8 (U+FFFD), then requires 1..max_text_bytes bytes.
Checked check_chat_text(std::string_view raw);
// Repairs invalid UTF-8, then applies the display-name rule (display_name_problem, core/text.hpp).
Checked check_chat_name(std::string_view raw);

// One message as JSON: {"id","from","name","text","ts","lamport","sig"} and "photo" when it has
// one (photo_ref_to_json); the same shape on the wire
// (inside peer frames) and in storage (which adds "sent" and "acked").
nlohmann::json chat_message_to_json(const ChatMessage& m);
// The inverse, validating every field (ids, name and text rules, integer ranges). Unknown fields
// are ignored; "sent"/"acked" are not read (see ChatLog::merge_storage_json). On refusal returns
// nullopt and, if `why` is given, a short reason.
std::optional<ChatMessage> chat_message_from_json(const nlohmann::json& j,
                                                  std::string* why = nullptr);

// One room's history, kept in display order. A plain value; single-threaded.
class ChatLog {
public:
    explicit ChatLog(std::size_t capacity = max_history_messages);

    enum class AddResult {
        added,     // new; the log changed
        duplicate, // its id was already present: ignored
        too_old,   // the log is full and it sorts before the oldest kept message: not kept
    };
    // Inserts a message that passed chat_message_from_json (or was composed locally) and raises
    // the Lamport clock to its value. Evicts the oldest message past capacity.
    AddResult add(ChatMessage m);

    // All messages, oldest first, in chat_order_less order (random access; a deque because the
    // oldest message falls off the front whenever a new one arrives at the back).
    const std::deque<ChatMessage>& messages() const { return messages_; }
    std::size_t size() const { return messages_.size(); }
    std::size_t capacity() const { return capacity_; }
    bool contains(std::string_view id) const;
    const ChatMessage* find(std::string_view id) const;
    // The newest `n` messages, oldest of them first (the reconciliation window).
    std::vector<const ChatMessage*> newest(std::size_t n) const;

    // Highest Lamport value seen (restored, received or composed).
    std::uint64_t lamport() const { return lamport_; }
    // Advances the clock for a new local message and returns its value (saturates at
    // max_json_integer; ties are still ordered by author and id).
    std::uint64_t next_lamport();

    // Delivery bookkeeping; each returns true when it changed something.
    bool mark_sent(std::string_view id);
    bool mark_acked(std::string_view id, std::string_view peer);
    // Adds `n` relayed receipts to an own message, up to `limit` in all (the room's size).
    bool add_receipts(std::string_view id, std::uint32_t n, std::uint32_t limit);
    // Sets the signature of a message that has none yet (own messages are signed after compose).
    bool set_signature(std::string_view id, std::string sig);

    // Storage form: {"v":1,"lamport":N,"messages":[{...message..., "sent":bool, "acked":[ids]}]}.
    // Every string in it is valid UTF-8, so nlohmann's dump() cannot throw on it.
    nlohmann::json to_storage_json() const;
    // Merges a storage document (possibly corrupt or from an older build) into this log:
    // valid messages are added (dedup as usual), their sent/acked state is united with what the
    // log already knows, the clock is raised. Invalid messages are skipped and counted, and so
    // are later items that reuse an id with other content (the document's first item of an id
    // defines that message), so merging the same document again changes nothing.
    struct MergeResult {
        std::size_t added = 0;
        std::size_t skipped = 0;
        std::string error; // non-empty when the document itself is unusable (nothing merged)
    };
    MergeResult merge_storage_json(const nlohmann::json& doc);

    void clear();

private:
    ChatMessage* find_mutable(std::string_view id);

    std::size_t capacity_;
    std::deque<ChatMessage> messages_; // sorted by chat_order_less
    std::unordered_set<std::string> ids_;
    std::uint64_t lamport_ = 0;
};

} // namespace peddlenet
