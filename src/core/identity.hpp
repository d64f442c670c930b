// identity.hpp: random identifiers for peers and chat messages.
// Needs: core/random.hpp (injected randomness), core/text.hpp (the id rule).
//  [X] peer ids: 16 characters of [A-Za-z0-9] (~95 bits), valid for is_valid_id, generated once
//      and kept in localStorage by the app so a refreshed page comes back as the same peer
//  [X] message ids: same alphabet and length; unique across the room without coordination
//  [X] no modulo bias (rejection sampling), so ids are uniformly distributed
#pragma once

#include "core/random.hpp"

#include <cstddef>
#include <string>

namespace peddlenet {

// Length of generated ids: 62^16 ~ 2^95, so a festival's worth of peers and messages never
// collide by chance, while a hello frame listing 500 message ids stays around 10 KiB.
inline constexpr std::size_t generated_id_length = 16;

// `length` characters drawn uniformly from [A-Za-z0-9]; `length` must be 1..max_id_length.
std::string make_random_id(const RandomSource& random, std::size_t length = generated_id_length);

// A new peer id (call once per browser profile, then persist it).
inline std::string make_peer_id(const RandomSource& random) { return make_random_id(random); }

// A new chat message id.
inline std::string make_message_id(const RandomSource& random) { return make_random_id(random); }

} // namespace peddlenet
