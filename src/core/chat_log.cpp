// chat_log.cpp: see chat_log.hpp.
#include "core/chat_log.hpp"

#include "core/base64url.hpp"
#include "core/crypto.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace peddlenet {
namespace {

using nlohmann::json;

// Acked-by lists read from storage are cut here: a room never holds more peers than this, and a
// corrupt document must not make one message carry an unbounded list.
constexpr std::size_t max_stored_acks = 256;
// Receipts a stored message may claim: far above any room (the server holds 5000 at most).
constexpr std::uint64_t max_receipts = 1000000;

// Reads a non-negative JSON integer no larger than max_json_integer (floats, negatives, strings
// and everything else are refused).
std::optional<std::uint64_t> read_uint(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer()) return std::nullopt;
    if (it->is_number_unsigned()) {
        const auto v = it->get<std::uint64_t>();
        if (v <= max_json_integer) return v;
        return std::nullopt;
    }
    const auto v = it->get<std::int64_t>();
    if (v < 0) return std::nullopt;
    return static_cast<std::uint64_t>(v);
}

const std::string* read_string(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return nullptr;
    return it->get_ptr<const std::string*>();
}

// Every signed field equal (everything message_signing_payload covers but the room).
bool same_content(const ChatMessage& a, const ChatMessage& b) {
    return a.id == b.id && a.from == b.from && a.name == b.name && a.text == b.text &&
           a.ts_ms == b.ts_ms && a.lamport == b.lamport && a.photo == b.photo;
}

} // namespace

bool chat_order_less(const ChatMessage& a, const ChatMessage& b) {
    return std::tie(a.lamport, a.from, a.id) < std::tie(b.lamport, b.from, b.id);
}

Checked check_chat_text(std::string_view raw) {
    Checked c{repair_utf8(raw), {}};
    if (c.value.empty()) {
        c.error = {"messages.empty_text", {}};
    } else if (c.value.size() > max_text_bytes) {
        c.error = {"messages.too_long",
                   {{"used", std::to_string(c.value.size())}, {"max", std::to_string(max_text_bytes)}}};
    }
    return c;
}

Checked check_chat_name(std::string_view raw) {
    Checked c{repair_utf8(raw), {}};
    switch (display_name_problem(c.value)) {
    case NameProblem::none:
    case NameProblem::invalid_utf8: break; // repaired above
    case NameProblem::empty: c.error = {"name.empty", {}}; break;
    case NameProblem::too_long: c.error = {"name.too_long", {{"max", std::to_string(max_display_name_chars)}}}; break;
    case NameProblem::control_char: c.error = {"name.control_chars", {}}; break;
    }
    return c;
}

json chat_message_to_json(const ChatMessage& m) {
    json j{{"id", m.id},     {"from", m.from}, {"name", m.name},
           {"text", m.text}, {"ts", m.ts_ms},  {"lamport", m.lamport}};
    if (!m.sig.empty()) j["sig"] = m.sig;
    if (m.photo) j["photo"] = photo_ref_to_json(*m.photo);
    return j;
}

std::optional<ChatMessage> chat_message_from_json(const json& j, std::string* why) {
    const auto refuse = [why](const char* reason) -> std::optional<ChatMessage> {
        if (why) *why = reason;
        return std::nullopt;
    };
    if (!j.is_object()) return refuse("message is not an object");
    const std::string* id = read_string(j, "id");
    const std::string* from = read_string(j, "from");
    const std::string* name = read_string(j, "name");
    const std::string* text = read_string(j, "text");
    if (!id || !is_valid_id(*id)) return refuse("bad id");
    if (!from || !is_valid_id(*from)) return refuse("bad from");
    if (!name) return refuse("bad name");
    if (!text) return refuse("bad text");
    Checked checked_name = check_chat_name(*name);
    if (!checked_name.ok()) return refuse("bad name");
    std::optional<PhotoRef> photo;
    if (const auto p = j.find("photo"); p != j.end()) {
        photo = photo_ref_from_json(*p);
        if (!photo) return refuse("bad photo");
    }
    Checked checked_text = check_chat_text(*text);
    const bool no_caption = photo && text->empty();
    if (!checked_text.ok() && !no_caption) return refuse("bad text");
    const auto ts = read_uint(j, "ts");
    if (!ts) return refuse("bad ts");
    const auto lamport = read_uint(j, "lamport");
    if (!lamport || *lamport == 0) return refuse("bad lamport");
    const std::string* sig = nullptr;
    if (j.contains("sig")) {
        sig = read_string(j, "sig");
        const auto raw = sig ? base64url_decode(*sig) : std::nullopt;
        if (!raw || raw->size() != ed25519_signature_bytes) return refuse("bad sig");
    }

    ChatMessage m;
    m.id = *id;
    m.from = *from;
    m.name = std::move(checked_name.value);
    m.text = std::move(checked_text.value);
    m.photo = std::move(photo);
    m.ts_ms = static_cast<std::int64_t>(*ts);
    m.lamport = *lamport;
    if (sig) m.sig = *sig;
    return m;
}

ChatLog::ChatLog(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

ChatLog::AddResult ChatLog::add(ChatMessage m) {
    if (ids_.count(m.id)) return AddResult::duplicate;
    lamport_ = std::max(lamport_, m.lamport);
    if (messages_.size() >= capacity_ && chat_order_less(m, messages_.front()))
        return AddResult::too_old;
    const auto at = std::upper_bound(messages_.begin(), messages_.end(), m, chat_order_less);
    ids_.insert(m.id);
    messages_.insert(at, std::move(m));
    if (messages_.size() > capacity_) {
        ids_.erase(messages_.front().id);
        messages_.pop_front();
    }
    return AddResult::added;
}

bool ChatLog::contains(std::string_view id) const { return ids_.count(std::string(id)) != 0; }

const ChatMessage* ChatLog::find(std::string_view id) const {
    if (!contains(id)) return nullptr;
    // Newest first: acks and lookups concern recent messages.
    for (auto it = messages_.rbegin(); it != messages_.rend(); ++it)
        if (it->id == id) return &*it;
    return nullptr;
}

ChatMessage* ChatLog::find_mutable(std::string_view id) {
    return const_cast<ChatMessage*>(std::as_const(*this).find(id));
}

std::vector<const ChatMessage*> ChatLog::newest(std::size_t n) const {
    std::vector<const ChatMessage*> out;
    const std::size_t first = messages_.size() > n ? messages_.size() - n : 0;
    out.reserve(messages_.size() - first);
    for (std::size_t i = first; i < messages_.size(); ++i) out.push_back(&messages_[i]);
    return out;
}

std::uint64_t ChatLog::next_lamport() {
    if (lamport_ < max_json_integer) ++lamport_;
    return lamport_;
}

bool ChatLog::mark_sent(std::string_view id) {
    ChatMessage* m = find_mutable(id);
    if (!m || m->sent) return false;
    m->sent = true;
    return true;
}

bool ChatLog::set_signature(std::string_view id, std::string sig) {
    ChatMessage* m = find_mutable(id);
    if (!m || !m->sig.empty()) return false;
    m->sig = std::move(sig);
    return true;
}

bool ChatLog::mark_acked(std::string_view id, std::string_view peer) {
    ChatMessage* m = find_mutable(id);
    if (!m) return false;
    const auto at = std::lower_bound(m->acked_by.begin(), m->acked_by.end(), peer);
    if (at != m->acked_by.end() && *at == peer) return false;
    m->acked_by.insert(at, std::string(peer));
    m->sent = true; // an ack proves it went out, even if that happened before a reload
    return true;
}

bool ChatLog::add_receipts(std::string_view id, std::uint32_t n, std::uint32_t limit) {
    ChatMessage* m = find_mutable(id);
    if (!m || n == 0 || m->receipts >= limit) return false;
    m->receipts = static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t{m->receipts} + n, limit));
    m->sent = true;
    return true;
}

json ChatLog::to_storage_json() const {
    json list = json::array();
    for (const ChatMessage& m : messages_) {
        json j = chat_message_to_json(m);
        j["sent"] = m.sent;
        j["acked"] = m.acked_by;
        if (m.receipts > 0) j["receipts"] = m.receipts;
        list.push_back(std::move(j));
    }
    return json{{"v", 1}, {"lamport", lamport_}, {"messages", std::move(list)}};
}

ChatLog::MergeResult ChatLog::merge_storage_json(const json& doc) {
    MergeResult r;
    if (!doc.is_object()) {
        r.error = "stored history is not a JSON object";
        return r;
    }
    const auto v = read_uint(doc, "v");
    if (!v || *v != 1) {
        r.error = "stored history has an unknown version";
        return r;
    }
    const auto list = doc.find("messages");
    if (list == doc.end() || !list->is_array()) {
        r.error = "stored history has no message list";
        return r;
    }
    if (const auto clock = read_uint(doc, "lamport")) lamport_ = std::max(lamport_, *clock);
    // The first valid item of each id is what the document says that message is; a later item
    // with the same id and other content is skipped. Otherwise which one is kept would depend on
    // whether the first was evicted meanwhile, and merging the document again would change it.
    std::unordered_map<std::string, ChatMessage> first_item;
    for (const json& item : *list) {
        std::optional<ChatMessage> m = chat_message_from_json(item);
        if (!m) {
            ++r.skipped;
            continue;
        }
        const auto [seen, is_first] = first_item.try_emplace(m->id, *m);
        if (!is_first && !same_content(seen->second, *m)) {
            ++r.skipped;
            continue;
        }
        const std::string id = m->id;
        std::string sig = m->sig;
        if (add(std::move(*m)) == AddResult::added) {
            ++r.added;
        } else if (!sig.empty()) {
            // The backup was not signed yet: its signature is taken only for that same message,
            // never for another one that merely shares the id (it would not verify over it).
            const ChatMessage* held = find(id);
            if (held && same_content(*held, seen->second)) set_signature(id, std::move(sig));
        }
        const auto sent = item.find("sent");
        if (sent != item.end() && sent->is_boolean() && sent->get<bool>()) mark_sent(id);
        const auto receipts = item.find("receipts");
        if (receipts != item.end() && receipts->is_number_unsigned() &&
            receipts->get<std::uint64_t>() <= max_receipts)
            if (ChatMessage* held = find_mutable(id))
                held->receipts = std::max(held->receipts, receipts->get<std::uint32_t>());
        const auto acked = item.find("acked");
        if (acked == item.end() || !acked->is_array()) continue;
        // The cut is per message, not per item: duplicated items (one id stored twice) must not
        // add up past it, or the list would grow with the document and not survive a reload.
        const ChatMessage* held = find(id);
        std::size_t n = 0;
        for (const json& peer : *acked) {
            if (n++ == max_stored_acks || !held || held->acked_by.size() >= max_stored_acks) break;
            if (peer.is_string() && is_valid_id(peer.get_ref<const std::string&>()))
                mark_acked(id, peer.get_ref<const std::string&>());
        }
    }
    return r;
}

void ChatLog::clear() {
    messages_.clear();
    ids_.clear();
    lamport_ = 0;
}

} // namespace peddlenet
