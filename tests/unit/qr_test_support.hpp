// qr_test_support.hpp: images and symbols for exercising src/qr without a camera, shared by the
// native unit tests (qr_test.cpp) and tools/qr_bench.cpp (native and wasm under node).
// Needs: qr/qr.hpp and the standard library only (no qrcodegen, no ZXing), so that it is an
// independent check of both.
//  [X] deterministic random numbers (SplitMix64: same sequence on every compiler and library)
//  [X] render a Code to 8-bit luminance at any module scale, with quiet zone and margins
//  [X] bilinear rotation, uniform noise, placement into a camera-sized frame
//  [X] a from-scratch version 1-L encoder taking raw data codewords, to build symbols whose
//      Reed-Solomon is valid but whose bit stream is malformed (what a hostile poster could show)
//  [X] reading the error correction level back from a symbol's format information
#pragma once

#include "split_mix.hpp"

#include "core/text.hpp"

#include "qr/qr.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace peddlenet::qr::testing {

using peddlenet::append_utf8;

// SplitMix64 (Steele, Lea, Flood 2014): tiny, and unlike std::uniform_int_distribution it gives
// the same numbers with libstdc++ and libc++.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        return peddlenet::testing::split_mix_next(state_);
    }
    // Uniform in [lo, hi] (the modulo bias is irrelevant for test data).
    int uniform(int lo, int hi) {
        return lo + static_cast<int>(next() % static_cast<std::uint64_t>(hi - lo + 1));
    }
    double unit() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }

private:
    std::uint64_t state_;
};

// ---- Payloads

inline std::size_t utf8_width(char32_t cp) {
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

enum class PayloadKind { ascii, utf8, invite, numeric, alphanumeric };

// Code point ranges mixed into UTF-8 payloads: Latin, Cyrillic, Hebrew and Arabic (RTL), CJK,
// kana, Hangul, emoji (4 bytes), combining marks, and plain ASCII so words and marks interleave.
constexpr std::pair<char32_t, char32_t> utf8_ranges[] = {
    {0x20, 0x7E},     {0xC0, 0xFF},     {0x410, 0x44F},   {0x5D0, 0x5EA},
    {0x627, 0x64A},   {0x4E00, 0x9FFF}, {0x3041, 0x3096}, {0xAC00, 0xD7A3},
    {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF}, {0x300, 0x36F}, {0x200D, 0x200F},
};

// Random text of 1..max_bytes bytes of the given kind.
inline std::string random_payload(Rng& rng, PayloadKind kind, int max_bytes) {
    const std::size_t target = static_cast<std::size_t>(rng.uniform(1, max_bytes));
    auto pick = [&](std::string_view chars) {
        return chars[static_cast<std::size_t>(rng.uniform(0, static_cast<int>(chars.size()) - 1))];
    };
    std::string s;
    switch (kind) {
    case PayloadKind::ascii:
        while (s.size() < target)
            s += static_cast<char>(rng.uniform(0x20, 0x7E));
        break;
    case PayloadKind::numeric:
        while (s.size() < target)
            s += static_cast<char>(rng.uniform('0', '9'));
        break;
    case PayloadKind::alphanumeric: {
        constexpr std::string_view charset = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
        while (s.size() < target)
            s += pick(charset);
        break;
    }
    case PayloadKind::utf8:
        for (;;) {
            const auto& [lo, hi] =
                utf8_ranges[rng.uniform(0, static_cast<int>(std::size(utf8_ranges)) - 1)];
            const auto cp = lo + static_cast<char32_t>(rng.uniform(0, static_cast<int>(hi - lo)));
            if (s.size() + utf8_width(cp) <= target)
                append_utf8(s, cp);
            else if (!s.empty())
                break; // never return empty text: keep picking until something fits
        }
        break;
    case PayloadKind::invite: {
        constexpr std::string_view id_chars =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
        auto id = [&](int n) {
            std::string r;
            for (int i = 0; i < n; ++i)
                r += pick(id_chars);
            return r;
        };
        s = "https://192.168." + std::to_string(rng.uniform(0, 255)) + "." +
            std::to_string(rng.uniform(1, 254)) + ":8443/#join=" + id(rng.uniform(1, 64));
        if (rng.uniform(0, 1) == 1)
            s += "&signal=wss%3A%2F%2Fsignal.example.org%3A" +
                 std::to_string(rng.uniform(1, 65535)) + "%2Fws";
        if (rng.uniform(0, 1) == 1)
            s += "&key=" + id(43); // a 256-bit room key in base64url, as a later issue may add
        s.resize(std::min<std::size_t>(s.size(), static_cast<std::size_t>(max_bytes)));
        break;
    }
    }
    return s;
}

// ---- Images

// 8-bit luminance, row_stride == width.
struct Image {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels;

    Image() = default;
    Image(int w, int h, std::uint8_t fill)
        : width(w), height(h),
          pixels(static_cast<std::size_t>(w) * static_cast<std::size_t>(h), fill) {}
    std::uint8_t& at(int x, int y) { return pixels[index(x, y)]; }
    std::uint8_t at(int x, int y) const { return pixels[index(x, y)]; }

private:
    std::size_t index(int x, int y) const {
        return static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
               static_cast<std::size_t>(x);
    }
};

struct RenderStyle {
    int scale = 4;                  // pixels per module
    int margin = 0;                 // extra light pixels outside the quiet zone
    std::uint8_t dark = 20;
    std::uint8_t light = 235;
};

// The symbol with its 4-module quiet zone (and `margin` more pixels), axis-aligned.
inline Image render(const Code& code, const RenderStyle& style) {
    const int modules = code.size + 2 * quiet_zone_modules;
    const int side = modules * style.scale + 2 * style.margin;
    Image image(side, side, style.light);
    for (int y = 0; y < code.size; ++y)
        for (int x = 0; x < code.size; ++x) {
            if (!code.at(x, y))
                continue;
            const int px = style.margin + (x + quiet_zone_modules) * style.scale;
            const int py = style.margin + (y + quiet_zone_modules) * style.scale;
            for (int dy = 0; dy < style.scale; ++dy)
                for (int dx = 0; dx < style.scale; ++dx)
                    image.at(px + dx, py + dy) = style.dark;
        }
    return image;
}

// Rotated by `degrees` about the centre, into a canvas large enough for the whole image,
// sampled bilinearly (what a camera's resampling does to module edges); corners get `fill`.
inline Image rotate(const Image& src, double degrees, std::uint8_t fill) {
    const double a = degrees * 3.14159265358979323846 / 180.0;
    const double c = std::cos(a), s = std::sin(a);
    const int w = static_cast<int>(std::ceil(std::abs(src.width * c) + std::abs(src.height * s)));
    const int h = static_cast<int>(std::ceil(std::abs(src.width * s) + std::abs(src.height * c)));
    Image out(w, h, fill);
    const double cx = src.width / 2.0, cy = src.height / 2.0, ox = w / 2.0, oy = h / 2.0;
    auto sample = [&](int x, int y) -> double {
        if (x < 0 || y < 0 || x >= src.width || y >= src.height)
            return fill;
        return src.at(x, y);
    };
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            // Inverse mapping: where in the source does this output pixel's centre come from?
            const double dx = x + 0.5 - ox, dy = y + 0.5 - oy;
            const double sx = c * dx + s * dy + cx - 0.5, sy = -s * dx + c * dy + cy - 0.5;
            const int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
            const double fx = sx - x0, fy = sy - y0;
            const double v = (1 - fx) * (1 - fy) * sample(x0, y0) +
                             fx * (1 - fy) * sample(x0 + 1, y0) +
                             (1 - fx) * fy * sample(x0, y0 + 1) + fx * fy * sample(x0 + 1, y0 + 1);
            out.at(x, y) = static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0, 255.0)));
        }
    return out;
}

// Adds uniform noise in [-amplitude, amplitude] to every pixel.
inline void add_noise(Image& image, int amplitude, Rng& rng) {
    for (auto& p : image.pixels)
        p = static_cast<std::uint8_t>(std::clamp(p + rng.uniform(-amplitude, amplitude), 0, 255));
}

// `src` pasted at (x, y) into a width x height frame of `fill` (clipped at the frame's edges).
inline Image place(const Image& src, int width, int height, int x, int y, std::uint8_t fill) {
    Image frame(width, height, fill);
    for (int sy = 0; sy < src.height; ++sy)
        for (int sx = 0; sx < src.width; ++sx) {
            const int fx = x + sx, fy = y + sy;
            if (fx >= 0 && fy >= 0 && fx < width && fy < height)
                frame.at(fx, fy) = src.at(sx, sy);
        }
    return frame;
}

// A camera-like frame without a code: a lighting gradient, flat objects with hard edges, and
// sensor noise.
inline Image scene(Rng& rng, int width, int height) {
    Image frame(width, height, 0);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            frame.at(x, y) = static_cast<std::uint8_t>(60 + x * 120 / width + y * 40 / height);
    for (int i = 0; i < 12; ++i) {
        const int x0 = rng.uniform(0, width - 1), y0 = rng.uniform(0, height - 1);
        const int x1 = std::min(width, x0 + rng.uniform(8, width / 3));
        const int y1 = std::min(height, y0 + rng.uniform(8, height / 3));
        const auto value = static_cast<std::uint8_t>(rng.uniform(0, 255));
        for (int y = y0; y < y1; ++y)
            for (int x = x0; x < x1; ++x)
                frame.at(x, y) = value;
    }
    add_noise(frame, 8, rng);
    return frame;
}

// ---- A minimal version 1 encoder (ISO/IEC 18004 layout), for symbols qrcodegen would never make.

// Bits appended most significant first; to_codewords pads like the standard (terminator, zero
// bits to a byte boundary, then 0xEC 0x11 ...), truncating nothing: callers stay within capacity.
class BitWriter {
public:
    void put(std::uint32_t value, int bits) {
        for (int i = bits - 1; i >= 0; --i)
            bits_.push_back(((value >> i) & 1u) != 0);
    }
    std::vector<std::uint8_t> to_codewords(std::size_t count) const {
        std::vector<bool> bits = bits_;
        for (int i = 0; i < 4 && bits.size() < count * 8; ++i)
            bits.push_back(false); // terminator
        while (bits.size() % 8 != 0)
            bits.push_back(false);
        std::vector<std::uint8_t> out;
        for (std::size_t i = 0; i < bits.size(); i += 8) {
            std::uint8_t byte = 0;
            for (std::size_t j = 0; j < 8; ++j)
                byte = static_cast<std::uint8_t>((byte << 1) | (bits[i + j] ? 1 : 0));
            out.push_back(byte);
        }
        for (std::uint8_t pad = 0xEC; out.size() < count; pad ^= 0xEC ^ 0x11)
            out.push_back(pad);
        return out;
    }

private:
    std::vector<bool> bits_;
};

inline std::uint8_t gf256_multiply(std::uint8_t x, std::uint8_t y) {
    int z = 0;
    for (int i = 7; i >= 0; --i) {
        z = (z << 1) ^ ((z >> 7) * 0x11D);
        z ^= ((y >> i) & 1) * x;
    }
    return static_cast<std::uint8_t>(z);
}

// Reed-Solomon check codewords over GF(256) with the QR generator (roots alpha^0..alpha^(n-1)).
inline std::vector<std::uint8_t> reed_solomon(const std::vector<std::uint8_t>& data,
                                              int ecc_count) {
    std::vector<std::uint8_t> divisor(static_cast<std::size_t>(ecc_count), 0);
    divisor.back() = 1;
    std::uint8_t root = 1;
    for (int i = 0; i < ecc_count; ++i) {
        for (std::size_t j = 0; j < divisor.size(); ++j) {
            divisor[j] = gf256_multiply(divisor[j], root);
            if (j + 1 < divisor.size())
                divisor[j] ^= divisor[j + 1];
        }
        root = gf256_multiply(root, 0x02);
    }
    std::vector<std::uint8_t> remainder(divisor.size(), 0);
    for (const std::uint8_t b : data) {
        const std::uint8_t factor = b ^ remainder.front();
        remainder.erase(remainder.begin());
        remainder.push_back(0);
        for (std::size_t j = 0; j < remainder.size(); ++j)
            remainder[j] ^= gf256_multiply(divisor[j], factor);
    }
    return remainder;
}

// Version 1 at ECC level L holds 19 data and 7 check codewords in one block.
inline constexpr std::size_t version1_low_data_codewords = 19;

// A version 1-L symbol with mask 0 carrying exactly `data` (19 codewords) plus valid checks.
inline Code make_version1_low(const std::vector<std::uint8_t>& data) {
    constexpr int size = 21;
    Code code;
    code.size = size;
    code.dark.assign(size * size, 0);
    std::vector<bool> function(size * size, false);
    auto set = [&](int x, int y, bool dark) {
        code.dark[static_cast<std::size_t>(y * size + x)] = dark ? 1 : 0;
        function[static_cast<std::size_t>(y * size + x)] = true;
    };
    for (int i = 0; i < size; ++i) { // timing patterns
        set(6, i, i % 2 == 0);
        set(i, 6, i % 2 == 0);
    }
    constexpr std::array<std::pair<int, int>, 3> finder_centres{
        {{3, 3}, {size - 4, 3}, {3, size - 4}}};
    for (const auto& [cx, cy] : finder_centres)
        for (int dy = -4; dy <= 4; ++dy) // finder patterns with their separators
            for (int dx = -4; dx <= 4; ++dx) {
                const int x = cx + dx, y = cy + dy;
                const int dist = std::max(std::abs(dx), std::abs(dy));
                if (x >= 0 && y >= 0 && x < size && y < size)
                    set(x, y, dist != 2 && dist != 4);
            }
    // Format information: ECC level L (01) and mask 0, BCH(15,5) protected, XOR-masked.
    const int format_data = (1 << 3) | 0;
    int rem = format_data;
    for (int i = 0; i < 10; ++i)
        rem = (rem << 1) ^ ((rem >> 9) * 0x537);
    const int format = ((format_data << 10) | rem) ^ 0x5412;
    auto bit = [&](int i) { return ((format >> i) & 1) != 0; };
    for (int i = 0; i <= 5; ++i)
        set(8, i, bit(i));
    set(8, 7, bit(6));
    set(8, 8, bit(7));
    set(7, 8, bit(8));
    for (int i = 9; i < 15; ++i)
        set(14 - i, 8, bit(i));
    for (int i = 0; i < 8; ++i)
        set(size - 1 - i, 8, bit(i));
    for (int i = 8; i < 15; ++i)
        set(8, size - 15 + i, bit(i));
    set(8, size - 8, true); // the dark module

    std::vector<std::uint8_t> codewords = data;
    const std::vector<std::uint8_t> checks = reed_solomon(data, 7);
    codewords.insert(codewords.end(), checks.begin(), checks.end());
    std::size_t i = 0; // zig-zag placement in column pairs from the bottom right
    for (int right = size - 1; right >= 1; right -= 2) {
        if (right == 6)
            right = 5;
        for (int vert = 0; vert < size; ++vert)
            for (int j = 0; j < 2; ++j) {
                const int x = right - j;
                const bool upward = ((right + 1) & 2) == 0;
                const int y = upward ? size - 1 - vert : vert;
                if (function[static_cast<std::size_t>(y * size + x)] || i >= codewords.size() * 8)
                    continue;
                const bool dark = ((codewords[i >> 3] >> (7 - (i & 7))) & 1) != 0;
                const bool mask = (x + y) % 2 == 0; // mask pattern 0
                code.dark[static_cast<std::size_t>(y * size + x)] = dark != mask ? 1 : 0;
                ++i;
            }
    }
    return code;
}

// Version 1-L symbols whose checksums are valid but whose bit streams are not: ZXing parses these
// by throwing and catching inside its decoder, so they also prove that the wasm build can catch
// there (see src/qr/CMakeLists.txt). Each must decode to nothing.
struct HostileSymbol {
    const char* what;
    Code code;
};
inline std::vector<HostileSymbol> hostile_symbols() {
    const std::pair<const char*, std::vector<std::pair<std::uint32_t, int>>> streams[] = {
        {"byte count beyond the data", {{0b0100, 4}, {200, 8}, {'h', 8}, {'i', 8}}},
        {"reserved mode indicator", {{0b0110, 4}, {0xFF, 8}}},
        {"invalid ECI designator", {{0b0111, 4}, {0xFF, 8}}},
        {"unsupported Hanzi subset", {{0b1101, 4}, {0b0010, 4}, {1, 8}}},
        {"numeric count beyond the data", {{0b0001, 4}, {1000, 10}, {123, 10}}},
    };
    std::vector<HostileSymbol> out;
    for (const auto& [what, fields] : streams) {
        BitWriter bits;
        for (const auto& [value, width] : fields)
            bits.put(value, width);
        out.push_back({what, make_version1_low(bits.to_codewords(version1_low_data_codewords))});
    }
    return out;
}

// The error correction level from the first copy of a symbol's format information.
inline Ecc read_ecc(const Code& code) {
    int format = 0;
    auto put = [&](int i, bool dark) { format |= (dark ? 1 : 0) << i; };
    for (int i = 0; i <= 5; ++i)
        put(i, code.at(8, i));
    put(6, code.at(8, 7));
    put(7, code.at(8, 8));
    put(8, code.at(7, 8));
    for (int i = 9; i < 15; ++i)
        put(i, code.at(14 - i, 8));
    switch (((format ^ 0x5412) >> 13) & 3) {
    case 1: return Ecc::low;
    case 0: return Ecc::medium;
    case 3: return Ecc::quartile;
    default: return Ecc::high;
    }
}

} // namespace peddlenet::qr::testing
