// Reconnection backoff (core/backoff.hpp) and identity helpers (core/identity.hpp).
#include "core/backoff.hpp"
#include "core/identity.hpp"
#include "core/text.hpp"

#include "fake_rtc.hpp" // SplitMix

#include <catch2/catch.hpp>

#include <set>

using namespace peddlenet;

TEST_CASE("backoff grows exponentially, stays within [n/2, n], caps, and resets", "[mesh][backoff]") {
    fake::SplitMix rng{5};
    Backoff b([&] { return rng(); }, BackoffParams{500.0, 15000.0, 2.0});
    double nominal = 500.0;
    for (int k = 0; k < 40; ++k) {
        const double d = b.next_delay_ms();
        INFO("attempt " << k);
        CHECK(d >= nominal / 2.0);
        CHECK(d <= nominal);
        nominal = std::min(nominal * 2.0, 15000.0);
    }
    CHECK(b.attempt() == 40);
    b.reset();
    CHECK(b.attempt() == 0);
    CHECK(b.next_delay_ms() <= 500.0);
}

TEST_CASE("backoff jitter comes from the injected source only", "[mesh][backoff]") {
    std::uint32_t value = 0;
    Backoff b([&] { return value; });
    CHECK(b.next_delay_ms() == Approx(250.0)); // random 0 -> n/2
    value = 0xFFFFFFFFu;
    CHECK(b.next_delay_ms() == Approx(1000.0)); // random max -> n
    // Two clients with different randomness spread out; the same randomness repeats exactly.
    fake::SplitMix r1{1}, r2{2}, r1_again{1};
    Backoff a1([&] { return r1(); }), a2([&] { return r2(); }), a3([&] { return r1_again(); });
    for (int k = 0; k < 5; ++k) {
        const double x = a1.next_delay_ms();
        CHECK(x != a2.next_delay_ms());
        CHECK(x == a3.next_delay_ms());
    }
}

TEST_CASE("a very long outage neither overflows nor exceeds the cap", "[mesh][backoff]") {
    std::uint32_t max = 0xFFFFFFFFu;
    Backoff b([&] { return max; });
    for (int k = 0; k < 5000; ++k) b.next_delay_ms();
    CHECK(b.next_delay_ms() == Approx(15000.0));
}

TEST_CASE("peer and message ids are valid ids, uniform-looking and distinct", "[mesh][identity]") {
    fake::SplitMix rng{99};
    const RandomSource random = [&] { return rng(); };
    std::set<std::string> seen;
    std::set<char> alphabet;
    for (int i = 0; i < 5000; ++i) {
        const std::string id = make_peer_id(random);
        REQUIRE(id.size() == generated_id_length);
        REQUIRE(is_valid_id(id));
        seen.insert(id);
        alphabet.insert(id.begin(), id.end());
    }
    CHECK(seen.size() == 5000);
    CHECK(alphabet.size() == 62); // every letter and digit shows up
    CHECK(make_random_id(random, 64).size() == 64);
    CHECK(is_valid_id(make_message_id(random)));
    // The same random source gives the same id: identity is the caller's to persist.
    fake::SplitMix a{7}, b{7};
    CHECK(make_peer_id([&] { return a(); }) == make_peer_id([&] { return b(); }));
}

TEST_CASE("id generation throws away biased bytes", "[mesh][identity]") {
    // Bytes are taken low first; 248..255 are skipped so that byte % 62 stays uniform.
    // 0xF8..0xFF: all skipped; then 0xFA, 0xF9 skipped, 0x00 -> 'A', 0x3D (61) -> '9'.
    const std::vector<std::uint32_t> values = {0xFFFEFDF8u, 0x3D00F9FAu};
    std::size_t i = 0;
    CHECK(make_random_id([&] { return values[i++]; }, 2) == "A9");
    CHECK(i == 2);
}
