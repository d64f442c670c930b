// room_name.cpp: see room_name.hpp. 32 adjectives x 32 animals x 1000 numbers ~ 1M names.
#include "core/room_name.hpp"

#include <array>

namespace peddlenet {
namespace {
constexpr std::array<const char*, 32> adjectives = {
    "amber", "brave", "bright", "calm",  "clever", "cosmic", "crisp",  "dancing",
    "eager", "fancy", "gentle", "golden", "happy", "humble", "jolly", "kind",
    "lively", "lucky", "mellow", "merry", "misty", "noble",  "proud",  "quick",
    "rapid", "shiny", "silver", "sunny", "swift", "vivid",  "wild",   "zesty"};
constexpr std::array<const char*, 32> animals = {
    "badger", "beaver", "bison",  "crane", "dolphin", "eagle",  "falcon", "ferret",
    "finch",  "fox",    "gecko",  "heron", "ibis",    "jaguar", "koala",  "lemur",
    "lynx",   "marten", "moose",  "newt",  "otter",   "owl",    "panda",  "puffin",
    "quail",  "raven",  "salmon", "seal",  "tiger",   "toucan", "walrus", "yak"};
} // namespace

std::string make_room_name(const std::function<std::uint32_t()>& random) {
    // Modulo bias is irrelevant here: 2^32 is a multiple of 32, and 1000 leaves a 0.00002% skew.
    std::string name = adjectives[random() % adjectives.size()];
    name += '-';
    name += animals[random() % animals.size()];
    name += '-';
    name += std::to_string(random() % 1000);
    return name;
}

} // namespace peddlenet
