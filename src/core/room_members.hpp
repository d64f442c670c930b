// room_members.hpp: who is in the room as this peer knows it, and whom to link to. The server
// names members (its joined sample, then peer-joined / peer-left); neighbours name theirs (links
// frames), which is how a peer finds new partners when the server is gone. Platform-free.
// Needs: core/random.hpp.
//  [X] one entry per member: display name, signaling session, whether the server vouched for it,
//      and a retry time after a link to it failed
//  [X] the room's size: the server's count while it is there, else what we know
//  [X] uniform random choice among candidates (no member is favoured, so nobody becomes a hub)
#pragma once

#include "core/random.hpp"

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace peddlenet {

class RoomMembers {
public:
    struct Member {
        std::string name;
        std::string session;      // for the signal envelope
        bool from_server = false; // named by the server (else only by a neighbour)
        double retry_at = 0.0;    // not chosen as a link partner before this (monotonic ms)
        std::vector<std::string> reporters; // neighbours that listed it (a few)
    };
    // Members kept: the server bounds a room at 5000; neighbours cannot grow it past this.
    static constexpr std::size_t max_members = 8192;

    void clear();
    // The server's count of members, us included (joined); peer-joined and peer-left move it.
    void set_server_size(std::size_t size) { server_size_ = size; }
    void server_size_changed(int delta) {
        if (server_size_ > 0 && (delta > 0 || server_size_ > 1)) server_size_ += delta;
    }
    // A member named by the server (replaces what a neighbour said).
    void add_from_server(const std::string& peer, const std::string& name, const std::string& session);
    // A member named by neighbour `reporter`: kept unless the server already named it.
    void add_from_neighbor(const std::string& peer, const std::string& name,
                           const std::string& session, const std::string& reporter);
    void remove(const std::string& peer);
    const Member* find(const std::string& peer) const;
    void retry_after(const std::string& peer, double at);
    // Members, us included: the server's count, or what we know when that is larger.
    std::size_t room_size() const;
    std::size_t known() const { return members_.size(); }
    // Up to `k` distinct members for which `eligible` holds and whose retry time has passed,
    // chosen uniformly at random; `server_only` leaves out those only neighbours named. Members
    // the server named or that two neighbours listed come first: one hostile neighbour can
    // invent ids for free, and each try costs a connection of the page's budget.
    std::vector<std::string> pick(std::size_t k, double now, RandomSource& random, bool server_only,
                                  const std::function<bool(const std::string&)>& eligible) const;

private:
    std::map<std::string, Member> members_;
    std::size_t server_size_ = 0;
};

} // namespace peddlenet
