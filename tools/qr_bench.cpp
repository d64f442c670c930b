// qr_bench: QR decode and encode timings for 640x480 camera-like frames, natively or as wasm
// under node, after a self-check of the same build (round trips, hostile symbols, empty images).
// Needs: src/qr, tests/unit/qr_test_support.hpp. Built by src/qr/CMakeLists.txt.
// Usage: qr_bench [frames]   (default 200). Prints figures; exits 1 if the self-check fails.
//  [X] p50/p99/mean decode time with and without a code in the frame, and the hit rate
//  [X] natively also the CPU-time p50, which stays meaningful on a loaded machine
//  [X] encode time for an invite URL
//  [X] self-check first, so a wasm build that cannot catch ZXing's internal throws fails here
#include "qr/qr.hpp"
#include "qr_test_support.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <string>
#include <vector>

using namespace peddlenet::qr;
using namespace peddlenet::qr::testing;

namespace {

constexpr int frame_width = 640; // a typical getUserMedia preview size
constexpr int frame_height = 480;

std::optional<std::string> decode(const Image& image) {
    return decode_luminance(image.pixels.data(), image.width, image.height, image.width);
}

// Round trips, hostile symbols and empty images; prints each failure, returns their number.
int self_check() {
    int failures = 0;
    auto expect = [&](bool ok, const std::string& what) {
        if (!ok) {
            std::printf("self-check FAILED: %s\n", what.c_str());
            ++failures;
        }
    };
    Rng rng(0xC4EC);
    for (int i = 0; i < 40; ++i) {
        const auto kind = i % 2 ? PayloadKind::utf8 : PayloadKind::invite;
        const std::string payload = random_payload(rng, kind, 300);
        const auto code = encode(payload);
        if (!code) {
            expect(false, "encode " + payload);
            continue;
        }
        Image image = render(*code, {2 + i % 6, 8, 30, 220});
        if (i % 3 == 1)
            image = rotate(image, 5 + i % 10, 220);
        if (i % 3 == 2)
            add_noise(image, 30, rng);
        expect(decode(image) == payload, "round trip of " + payload);
    }
    for (const auto& hostile : hostile_symbols())
        expect(!decode(render(hostile.code, {})), std::string("hostile symbol: ") + hostile.what);
    const std::uint8_t one = 0;
    expect(!decode_luminance(&one, 1, 1, 1), "1x1 image");
    expect(!decode_luminance(&one, 0, 1, 1), "zero width");
    expect(!decode(Image(frame_width, frame_height, 0)), "black frame");
    expect(!decode(Image(frame_width, frame_height, 255)), "white frame");
    expect(!decode(scene(rng, frame_width, frame_height)), "scene without a code");
    return failures;
}

// Wall-clock and CPU milliseconds of a set of runs.
struct Timings {
    std::vector<double> wall, cpu;

    template <typename F>
    void measure(F&& f) {
        const auto start = std::chrono::steady_clock::now();
        const std::clock_t cpu_start = std::clock();
        f();
        const std::clock_t cpu_end = std::clock();
        const auto elapsed = std::chrono::steady_clock::now() - start;
        wall.push_back(std::chrono::duration<double, std::milli>(elapsed).count());
        cpu.push_back(1000.0 * static_cast<double>(cpu_end - cpu_start) / CLOCKS_PER_SEC);
    }
};

double percentile(std::vector<double> ms, int p) {
    std::sort(ms.begin(), ms.end());
    return ms[std::min(ms.size() - 1, ms.size() * static_cast<std::size_t>(p) / 100)];
}

void print(const char* what, const Timings& t) {
    double mean = 0;
    for (const double m : t.wall)
        mean += m / static_cast<double>(t.wall.size());
    std::printf("%-34s p50 %6.2f ms  p99 %6.2f ms  mean %6.2f ms", what, percentile(t.wall, 50),
                percentile(t.wall, 99), mean);
#ifndef __EMSCRIPTEN__ // std::clock is wall time in the browser
    std::printf("  (cpu p50 %6.2f ms)", percentile(t.cpu, 50));
#endif
    std::printf("\n");
}

} // namespace

int main(int argc, char** argv) {
    const int frames = argc > 1 ? std::max(1, std::atoi(argv[1])) : 200;
    if (const int failures = self_check()) {
        std::printf("self-check: %d failure(s)\n", failures);
        return 1;
    }
    std::printf("self-check passed\n");

    // Frames showing an invite as a phone camera would: 4..8 px modules, tilted, noisy, anywhere.
    Rng rng(0xF4A3E);
    Timings with_code, without_code, encoding;
    int hits = 0;
    for (int i = 0; i < frames; ++i) {
        const std::string invite = random_payload(rng, PayloadKind::invite, 300);
        const auto code = encode(invite);
        if (!code)
            return 1;
        const int scale = rng.uniform(4, 8);
        Image symbol = rotate(render(*code, {scale, 0, 40, 210}), rng.uniform(-15, 15), 210);
        if (symbol.width > frame_height) // keep every symbol inside the frame
            symbol = rotate(render(*code, {3, 0, 40, 210}), rng.uniform(-15, 15), 210);
        Image frame = scene(rng, frame_width, frame_height);
        const int x0 = rng.uniform(0, frame_width - symbol.width);
        const int y0 = rng.uniform(0, frame_height - symbol.height);
        for (int y = 0; y < symbol.height; ++y)
            for (int x = 0; x < symbol.width; ++x)
                frame.at(x0 + x, y0 + y) = symbol.at(x, y);
        add_noise(frame, 10, rng);
        std::optional<std::string> text;
        with_code.measure([&] { text = decode(frame); });
        hits += text == invite ? 1 : 0;

        const Image empty = scene(rng, frame_width, frame_height);
        without_code.measure([&] { text = decode(empty); });
        if (text)
            std::printf("false positive: %s\n", text->c_str());
    }
    for (int i = 0; i < frames; ++i) {
        const std::string invite = random_payload(rng, PayloadKind::invite, 300);
        encoding.measure([&] { (void)encode(invite); });
    }

    std::printf("%d frames of %dx%d; %d of %d codes read\n", frames, frame_width, frame_height,
                hits, frames);
    print("decode, frame with a code:", with_code);
    print("decode, frame without a code:", without_code);
    print("encode an invite (<= 300 bytes):", encoding);
    return 0;
}
