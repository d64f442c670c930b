// reconciliation.cpp: see reconciliation.hpp.
#include "core/reconciliation.hpp"

#include <unordered_set>

namespace peddlenet {

std::vector<std::string> hello_ids(const ChatLog& log) {
    std::vector<std::string> have;
    for (const ChatMessage* m : log.newest(max_sync_messages)) have.push_back(m->id);
    return have;
}

HelloAnswer answer_hello(const ChatLog& log, const std::string& self, const std::string& peer,
                         const HelloFrame& hello) {
    HelloAnswer answer;
    for (const std::string& id : hello.have) {
        const ChatMessage* m = log.find(id);
        if (m && m->from == self) answer.delivered.push_back(id);
    }
    const std::unordered_set<std::string> theirs(hello.have.begin(), hello.have.end());
    for (const ChatMessage* m : log.newest(max_sync_messages))
        if (!theirs.count(m->id) && m->from != peer && !m->sig.empty()) answer.send.push_back(m);
    return answer;
}

} // namespace peddlenet
