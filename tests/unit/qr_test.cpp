// QR module (qr/qr.hpp): qrcodegen encode -> rendered bitmap -> ZXing-C++ decode round trips,
// capacity limits, terminal rendering, and images that must decode to nothing without crashing.
#include "qr/qr.hpp"
#include "qr_test_support.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace peddlenet::qr;
using namespace peddlenet::qr::testing;

namespace {

// Largest invite the app builds (origin, room id, signaling URL, room key to come) with headroom.
constexpr int max_invite_bytes = 300;

// Byte-mode capacity of version 40 in bytes per ECC level, without and with the 12-bit UTF-8 ECI
// header (ISO/IEC 18004 table 7: 2956/2334/1666/1276 data codewords, minus 20 or 32 header bits).
struct Capacity {
    Ecc ecc;
    int ascii;
    int utf8;
};
constexpr Capacity capacities[] = {
    {Ecc::low, 2953, 2952},
    {Ecc::medium, 2331, 2330},
    {Ecc::quartile, 1663, 1662},
    {Ecc::high, 1273, 1272},
};

std::optional<std::string> decode(const Image& image) {
    return decode_luminance(image.pixels.data(), image.width, image.height, image.width);
}

// The modules a to_terminal() rendering shows, quiet zone included: true = light (a block half).
std::vector<std::vector<bool>> parse_terminal(const std::string& text, int& lines) {
    std::vector<std::vector<bool>> rows;
    lines = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t end = text.find('\n', pos);
        REQUIRE(end != std::string::npos); // every line ends with a newline
        std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        ++lines;
        // Colours are set at the start of each line and reset before its end.
        const std::string set = "\x1b[97;40m", reset = "\x1b[0m";
        REQUIRE(line.rfind(set, 0) == 0);
        REQUIRE(line.size() >= set.size() + reset.size());
        REQUIRE(line.compare(line.size() - reset.size(), reset.size(), reset) == 0);
        line = line.substr(set.size(), line.size() - set.size() - reset.size());
        std::vector<bool> top, bottom;
        for (std::size_t i = 0; i < line.size();) {
            if (line[i] == ' ') {
                top.push_back(false), bottom.push_back(false), i += 1;
            } else if (line.compare(i, 3, "\u2588") == 0) {
                top.push_back(true), bottom.push_back(true), i += 3;
            } else if (line.compare(i, 3, "\u2580") == 0) {
                top.push_back(true), bottom.push_back(false), i += 3;
            } else if (line.compare(i, 3, "\u2584") == 0) {
                top.push_back(false), bottom.push_back(true), i += 3;
            } else {
                FAIL("unexpected character in terminal QR at byte " << i);
            }
        }
        rows.push_back(top);
        rows.push_back(bottom);
    }
    return rows;
}

} // namespace

TEST_CASE("random payloads survive encode, render and decode", "[qr]") {
    Rng rng(0x5EED'0005);
    constexpr int cases = 240;
    for (int i = 0; i < cases; ++i) {
        // 40 % UTF-8, 30 % ASCII, 20 % invite URLs, 5 % digits, 5 % upper-case alphanumerics.
        const PayloadKind kind = i % 10 < 4    ? PayloadKind::utf8
                                 : i % 10 < 7  ? PayloadKind::ascii
                                 : i % 10 < 9  ? PayloadKind::invite
                                 : i % 20 == 9 ? PayloadKind::numeric
                                               : PayloadKind::alphanumeric;
        const std::string payload = random_payload(rng, kind, max_invite_bytes);
        const auto code = encode(payload, Ecc::medium);
        INFO("case " << i << ", payload (" << payload.size() << " bytes): " << payload);
        REQUIRE(code.has_value());

        RenderStyle style;
        style.dark = static_cast<std::uint8_t>(rng.uniform(0, 70));
        style.light = static_cast<std::uint8_t>(rng.uniform(170, 255));
        style.margin = rng.uniform(0, 40);
        const int variant = i % 4;
        // 1 px modules only upright: rotating them blurs every module into its neighbours.
        style.scale = variant == 2 ? rng.uniform(3, 8) : 1 + (i / 4) % 8;
        Image image = render(*code, style);
        double angle = 0;
        if (variant == 2) {
            angle = (rng.uniform(0, 1) == 1 ? 1 : -1) * (5 + 10 * rng.unit());
            image = rotate(image, angle, style.light);
        }
        if (variant == 1 || (variant == 2 && i % 8 == 2))
            add_noise(image, rng.uniform(10, 40), rng);
        if (variant == 3 && (i / 4) % 2 == 1) {
            for (auto& p : image.pixels)
                p = static_cast<std::uint8_t>(255 - p); // light modules on dark, as in a dark theme
        }
        INFO("symbol " << code->size << " modules, scale " << style.scale << ", angle " << angle
                       << ", image " << image.width << "x" << image.height);
        CHECK(decode(image) == payload);
    }
}

TEST_CASE("encode keeps at least the requested error correction and boosts it for free", "[qr]") {
    // 47 bytes in byte mode; capacities from ISO/IEC 18004 table 7: version 3 holds L 53, M 42;
    // version 4 M 62, Q 46; version 5 Q 60, H 44; version 6 H 58. So each level gets its own
    // version, and at none of them would the next level up fit: nothing is boosted.
    const std::string invite = "https://10.0.0.2:8443/#join=festival-main-stage";
    const std::pair<Ecc, int> expected[] = {
        {Ecc::low, 29}, {Ecc::medium, 33}, {Ecc::quartile, 37}, {Ecc::high, 41}};
    for (const auto& [ecc, size] : expected) {
        const auto code = encode(invite, ecc);
        REQUIRE(code.has_value());
        CHECK(read_ecc(*code) == ecc);
        CHECK(code->size == size);
    }
    // 40 bytes need version 3 at L, where M (42) fits as well but Q (32) does not.
    const auto boosted = encode(std::string(40, 'b'), Ecc::low);
    REQUIRE(boosted.has_value());
    CHECK(boosted->size == 29);
    CHECK(read_ecc(*boosted) == Ecc::medium);
    // One byte fits version 1 at H whatever was asked.
    CHECK(read_ecc(*encode("x", Ecc::low)) == Ecc::high);
    CHECK(encode("x", Ecc::low)->size == 21);
    CHECK(read_ecc(*encode("x")) == Ecc::high);
}

TEST_CASE("encode accepts exactly the version 40 capacity and refuses one byte more", "[qr]") {
    for (const auto& cap : capacities) {
        INFO("ecc " << static_cast<int>(cap.ecc));
        const std::string ascii(static_cast<std::size_t>(cap.ascii), 'a');
        const auto full = encode(ascii, cap.ecc);
        REQUIRE(full.has_value());
        CHECK(full->size == 177);
        CHECK_FALSE(encode(ascii + "a", cap.ecc).has_value());

        // Non-ASCII text carries the UTF-8 ECI header, 12 bits more.
        const std::string utf8 =
            "\xC3\xA9" + std::string(static_cast<std::size_t>(cap.utf8 - 2), 'a');
        CHECK(encode(utf8, cap.ecc).has_value());
        CHECK_FALSE(encode(utf8 + "a", cap.ecc).has_value());
    }
    // Numeric mode packs 3 digits in 10 bits, alphanumeric 2 characters in 11.
    CHECK(encode(std::string(5596, '7'), Ecc::medium).has_value());
    CHECK_FALSE(encode(std::string(5597, '7'), Ecc::medium).has_value());
    CHECK(encode(std::string(3391, 'Q'), Ecc::medium).has_value());
    CHECK_FALSE(encode(std::string(3392, 'Q'), Ecc::medium).has_value());
    CHECK_FALSE(encode(std::string(100000, 'a'), Ecc::low).has_value());
}

TEST_CASE("payloads at the capacity edge decode back", "[qr]") {
    Rng rng(0xED6E);
    for (const auto& cap : capacities) {
        std::string ascii;
        while (static_cast<int>(ascii.size()) < cap.ascii)
            ascii += static_cast<char>(rng.uniform(0x21, 0x7E));
        std::string utf8 = "\xE6\x97\xA5"; // 日, then 2-byte letters and one ASCII byte if odd
        while (static_cast<int>(utf8.size()) + 2 <= cap.utf8)
            append_utf8(utf8, static_cast<char32_t>(rng.uniform(0x410, 0x44F)));
        if (static_cast<int>(utf8.size()) < cap.utf8)
            utf8 += 'z';
        REQUIRE(static_cast<int>(utf8.size()) == cap.utf8);
        for (const std::string* payload : {&ascii, &utf8}) {
            const auto code = encode(*payload, cap.ecc);
            REQUIRE(code.has_value());
            INFO("ecc " << static_cast<int>(cap.ecc) << ", " << payload->size() << " bytes");
            CHECK(decode(render(*code, {3, 0, 0, 255})) == *payload);
        }
    }
}

TEST_CASE("encode refuses text that would not decode to itself", "[qr]") {
    CHECK_FALSE(encode("caf\xE9").has_value());         // Latin-1, not UTF-8
    CHECK_FALSE(encode("\xED\xA0\x80").has_value());     // a UTF-16 surrogate
    CHECK_FALSE(encode("abc\xF0\x9F\x8E").has_value());  // truncated emoji
}

TEST_CASE("empty text is refused", "[qr]") {
    CHECK_FALSE(encode("").has_value());
    CHECK_FALSE(encode("", Ecc::low).has_value());
}

TEST_CASE("text with NUL bytes round trips", "[qr]") {
    for (const std::string& payload : {std::string("a\0b", 3), std::string("\0", 1)}) {
        const auto code = encode(payload);
        REQUIRE(code.has_value());
        CHECK(code->size == 21);
        CHECK(decode(render(*code, {})) == payload);
    }
}

TEST_CASE("Code::at is false outside the symbol", "[qr]") {
    const auto code = encode("quiet");
    REQUIRE(code.has_value());
    CHECK(code->at(0, 0)); // finder pattern corner
    CHECK(code->at(code->size - 1, 0));
    CHECK_FALSE(code->at(-1, 0));
    CHECK_FALSE(code->at(0, -1));
    CHECK_FALSE(code->at(code->size, 0));
    CHECK_FALSE(code->at(0, code->size));
    CHECK_FALSE(Code{}.at(0, 0));
    Code short_code; // size claims more modules than `dark` holds
    short_code.size = 21;
    short_code.dark.assign(10, 1);
    CHECK(short_code.at(9, 0));
    CHECK_FALSE(short_code.at(10, 0));
    CHECK_FALSE(short_code.at(20, 20));
}

TEST_CASE("to_terminal draws two module rows per line inside a 4-module light quiet zone", "[qr]") {
    for (const std::string& payload :
         {std::string("x"), std::string("https://10.0.0.2:8443/#join=festival-main-stage"),
          std::string(300, 'w')}) {
        const auto code = encode(payload);
        REQUIRE(code.has_value());
        const int side = code->size + 2 * quiet_zone_modules;
        int lines = 0;
        const auto rows = parse_terminal(to_terminal(*code), lines);
        CHECK(lines == (side + 1) / 2);
        REQUIRE(rows.size() == static_cast<std::size_t>(2 * lines));
        for (int y = 0; y < side; ++y) {
            REQUIRE(rows[static_cast<std::size_t>(y)].size() == static_cast<std::size_t>(side));
            for (int x = 0; x < side; ++x) {
                const int mx = x - quiet_zone_modules, my = y - quiet_zone_modules;
                const bool in_symbol = mx >= 0 && my >= 0 && mx < code->size && my < code->size;
                INFO("module " << mx << "," << my);
                // Light modules are glyphs; the quiet zone is all light.
                REQUIRE(rows[static_cast<std::size_t>(y)][static_cast<std::size_t>(x)] ==
                        (in_symbol ? !code->at(mx, my) : true));
            }
        }
        // The half row below the last quiet-zone row (odd side) is left blank.
        for (const bool light : rows.back())
            CHECK_FALSE(light);
    }
}

TEST_CASE("the terminal rendering itself scans", "[qr]") {
    // Rasterise the glyphs as a terminal would (block = light) and decode the picture.
    const std::string invite = "https://10.0.0.2:8443/#join=festival-main-stage";
    const auto code = encode(invite);
    REQUIRE(code.has_value());
    int lines = 0;
    const auto rows = parse_terminal(to_terminal(*code), lines);
    constexpr int cell = 4;
    Image image(static_cast<int>(rows[0].size()) * cell, static_cast<int>(rows.size()) * cell, 0);
    for (std::size_t y = 0; y < rows.size(); ++y)
        for (std::size_t x = 0; x < rows[y].size(); ++x)
            for (int d = 0; d < cell * cell; ++d)
                image.at(static_cast<int>(x) * cell + d % cell,
                         static_cast<int>(y) * cell + d / cell) = rows[y][x] ? 255 : 0;
    CHECK(decode(image) == invite);
}

TEST_CASE("images without a QR code decode to nothing", "[qr]") {
    Rng rng(0xBAD1);
    std::vector<std::uint8_t> one{128};
    CHECK_FALSE(decode_luminance(one.data(), 1, 1, 1).has_value());
    CHECK_FALSE(decode_luminance(one.data(), 0, 1, 1).has_value());
    CHECK_FALSE(decode_luminance(one.data(), 1, 0, 1).has_value());
    CHECK_FALSE(decode_luminance(one.data(), -5, 1, 1).has_value());
    CHECK_FALSE(decode_luminance(one.data(), 1, 1, 0).has_value()); // stride shorter than a row
    CHECK_FALSE(decode_luminance(nullptr, 640, 480, 640).has_value());
    std::vector<std::uint8_t> wide(70000, 255);
    // Wider than ZXing's 16-bit coordinates.
    CHECK_FALSE(decode_luminance(wide.data(), 70000, 1, 70000).has_value());

    for (const std::uint8_t fill : {std::uint8_t{0}, std::uint8_t{255}, std::uint8_t{128}}) {
        Image flat(640, 480, fill);
        CHECK_FALSE(decode(flat).has_value());
    }
    for (int i = 0; i < 8; ++i) {
        Image noise(rng.uniform(1, 800), rng.uniform(1, 600), 0);
        for (auto& p : noise.pixels)
            p = static_cast<std::uint8_t>(rng.uniform(0, 255));
        INFO(noise.width << "x" << noise.height);
        CHECK_FALSE(decode(noise).has_value());
    }
    for (int i = 0; i < 8; ++i)
        CHECK_FALSE(decode(scene(rng, 640, 480)).has_value());
    // Thin strips and a checkerboard of module-sized squares: finder-like edges, no symbol.
    Image strip(640, 2, 0);
    for (int x = 0; x < 640; ++x)
        strip.at(x, x % 2) = 255;
    CHECK_FALSE(decode(strip).has_value());
    Image checker(320, 320, 0);
    for (int y = 0; y < 320; ++y)
        for (int x = 0; x < 320; ++x)
            checker.at(x, y) = ((x / 8 + y / 8) % 2) ? 255 : 0;
    CHECK_FALSE(decode(checker).has_value());
}

TEST_CASE("modules aligned with the binarizer's 8 px blocks decode", "[qr]") {
    // Screenshots and fake cameras show perfectly aligned modules; ZXing's local binarizer
    // misses some of these, so decode_luminance falls back to a global threshold.
    const std::string invite =
        "https://192.168.131.195:8443/#join=Bv71DPWXuO5bqdl1IX5AvxkF4EBGExTulLPc";
    const auto code = encode(invite);
    REQUIRE(code.has_value());
    for (int margin = 0; margin <= 40; margin += 4) {
        Image image = render(*code, {8, margin, 20, 235});
        INFO("margin " << margin);
        CHECK(decode(image) == invite);
        for (auto& p : image.pixels)
            p = static_cast<std::uint8_t>(255 - p);
        CHECK(decode(image) == invite);
    }
}

TEST_CASE("a padded row stride and a symbol inside a camera frame decode", "[qr]") {
    const std::string invite = "https://10.0.0.2:8443/#join=stride";
    const auto code = encode(invite);
    REQUIRE(code.has_value());
    const Image frame = place(render(*code, {5, 0, 30, 220}), 640, 480, 200, 90, 120);
    constexpr int stride = 704; // e.g. rows aligned to 64 bytes
    std::vector<std::uint8_t> padded(static_cast<std::size_t>(stride) * 480, 0);
    for (int y = 0; y < 480; ++y)
        std::copy_n(&frame.pixels[static_cast<std::size_t>(y * 640)], 640,
                    &padded[static_cast<std::size_t>(y * stride)]);
    CHECK(decode_luminance(padded.data(), 640, 480, stride) == invite);
}

TEST_CASE("the hand-made version 1 encoder produces symbols ZXing reads", "[qr]") {
    // Guards the hostile-symbol test below: its symbols differ only in their bit streams.
    BitWriter bits;
    const std::string text = "crafted";
    bits.put(0b0100, 4);
    bits.put(static_cast<std::uint32_t>(text.size()), 8);
    for (const char c : text)
        bits.put(static_cast<std::uint8_t>(c), 8);
    const Code code = make_version1_low(bits.to_codewords(version1_low_data_codewords));
    CHECK(read_ecc(code) == Ecc::low);
    CHECK(decode(render(code, {})) == text);
}

TEST_CASE("symbols with valid checksums but malformed data decode to nothing", "[qr]") {
    for (const auto& hostile : hostile_symbols()) {
        INFO(hostile.what);
        CHECK_FALSE(decode(render(hostile.code, {})).has_value());
    }
}
