// reconciliation.hpp: how two linked peers fill each other's gaps, one link at a time. When a
// link's channel opens each side sends hello (the ids of its newest messages); each answers the
// other's hello once with the signed messages it lacks (sync). A peer that was away catches up
// from its neighbours this way, and in a big room what it learns travels on through the relay.
// Needs: core/chat_log.hpp, core/peer_protocol.hpp.
//  [X] per-link state, reset at every channel opening: one hello answered, a bounded sync budget
//  [X] our hello and the answer to theirs wait while the stored history is still being read
//  [X] the answer: what they lack from our window, oldest first; never their own messages (they
//      refuse copies of their own that they do not hold) nor unsigned ones; ours they hold are
//      delivered to them
#pragma once

#include "core/chat_log.hpp"
#include "core/peer_protocol.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace peddlenet {

struct LinkReconciliation {
    bool hello_answered = false;          // theirs, this opening
    bool hello_deferred = false;          // ours waits for the stored history
    std::optional<HelloFrame> held_hello; // theirs waits for it too
    std::size_t sync_budget = 0;          // sync messages still accepted this opening

    void channel_opened() {
        hello_answered = false;
        held_hello.reset();
        sync_budget = max_sync_messages;
    }
    void channel_closed() {
        hello_answered = false;
        hello_deferred = false;
        held_hello.reset();
        sync_budget = 0;
    }
    // A sync frame arrived: true (one of the budget spent) when it answers our hello.
    bool take_sync() {
        if (sync_budget == 0 || hello_deferred) return false;
        --sync_budget;
        return true;
    }
};

// The ids our hello lists: the newest max_sync_messages of the log.
std::vector<std::string> hello_ids(const ChatLog& log);

struct HelloAnswer {
    std::vector<std::string> delivered;  // own messages they hold
    std::vector<const ChatMessage*> send; // what they lack, oldest first (pointers into the log)
};
// What answers `peer`'s hello, for us (`self`).
HelloAnswer answer_hello(const ChatLog& log, const std::string& self, const std::string& peer,
                         const HelloFrame& hello);

} // namespace peddlenet
