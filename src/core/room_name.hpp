// room_name.hpp: friendly names for new rooms ("amber-otter-42"): easy to read out loud across
// a field, valid as room ids, and with enough combinations that two groups rarely collide.
// Needs: a random source (the app passes the browser's crypto.getRandomValues).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace peddlenet {

// `random` returns uniformly distributed 32-bit values.
std::string make_room_name(const std::function<std::uint32_t()>& random);

} // namespace peddlenet
