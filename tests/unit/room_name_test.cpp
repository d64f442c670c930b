// Room names (core/room_name.hpp) are valid ids and vary with the random source.
#include "core/room_name.hpp"
#include "core/text.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <set>

TEST_CASE("room names are valid ids and rarely repeat", "[room-name]") {
    std::mt19937 rng(7);
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        const std::string name = peddlenet::make_room_name([&] { return static_cast<std::uint32_t>(rng()); });
        CHECK(peddlenet::is_valid_id(name));
        seen.insert(name);
    }
    CHECK(seen.size() > 190);
}
