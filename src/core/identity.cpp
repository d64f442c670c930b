// identity.cpp: see identity.hpp.
#include "core/identity.hpp"

#include <string_view>

namespace peddlenet {
namespace {
constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
// Bytes at or above 248 (= 4 * 62) are thrown away so that `byte % 62` is uniform.
constexpr unsigned unbiased_limit = 256 - 256 % alphabet.size();
} // namespace

std::string make_random_id(const RandomSource& random, std::size_t length) {
    std::string id;
    id.reserve(length);
    while (id.size() < length) {
        std::uint32_t bits = random();
        for (int i = 0; i < 4 && id.size() < length; ++i, bits >>= 8) {
            const unsigned byte = bits & 0xFFu;
            if (byte < unbiased_limit) id += alphabet[byte % alphabet.size()];
        }
    }
    return id;
}

} // namespace peddlenet
