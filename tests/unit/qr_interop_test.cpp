// QR interoperability with independent implementations (Debian's zbar-tools and qrencode, both
// pinned in scripts/deps/apt.txt): what phones' scanners read from our codes, and what other
// generators' codes (mixed modes, no ECI for UTF-8) read back through decode_luminance.
#include "qr/qr.hpp"
#include "qr_test_support.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace peddlenet::qr;
using namespace peddlenet::qr::testing;

namespace {

// A directory for one test's files, removed afterwards.
class TempDir {
public:
    TempDir()
        : path_(std::filesystem::temp_directory_path() /
                ("peddlenet-qr-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++))) {
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::filesystem::path file(const std::string& name) const { return path_ / name; }

private:
    static inline int counter_ = 0;
    std::filesystem::path path_;
};

// Runs a shell command (file paths only, never payload text) and returns its standard output.
std::string run(const std::string& command) {
    std::string out;
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
        out.append(buffer, n);
    REQUIRE(::pclose(pipe) != -1);
    return out;
}

void write_pgm(const std::filesystem::path& path, const Image& image) {
    std::ofstream out(path, std::ios::binary);
    out << "P5\n" << image.width << ' ' << image.height << "\n255\n";
    out.write(reinterpret_cast<const char*>(image.pixels.data()),
              static_cast<std::streamsize>(image.pixels.size()));
    REQUIRE(out.good());
}

// qrencode -t ASCII draws each module as two characters, "##" dark and "  " light.
Code parse_qrencode_ascii(const std::string& art) {
    Code code;
    std::size_t pos = 0;
    while (pos < art.size()) {
        const std::size_t end = art.find('\n', pos);
        const std::string line = art.substr(pos, end == std::string::npos ? end : end - pos);
        pos = end == std::string::npos ? art.size() : end + 1;
        if (line.empty())
            continue;
        REQUIRE(line.size() % 2 == 0);
        for (std::size_t i = 0; i < line.size(); i += 2)
            code.dark.push_back(line[i] == '#' ? 1 : 0);
        ++code.size;
    }
    REQUIRE(code.dark.size() == static_cast<std::size_t>(code.size * code.size));
    return code;
}

std::vector<std::string> payloads() {
    Rng rng(0x1A7E);
    std::vector<std::string> out = {
        "https://10.0.0.2:8443/#join=festival-main-stage",
        "https://peddle.example/#join=zelt_7&signal=wss%3A%2F%2F10.0.0.2%3A8443%2Fws",
        "Gr\xC3\xBC\xC3\x9F" "e \xE4\xBD\xA0\xE5\xA5\xBD " // German, Chinese,
        "\xF0\x9F\x8E\x89 \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D",     // an emoji, Hebrew
        "MAIN STAGE 2",
        "0123456789",
    };
    for (int i = 0; i < 15; ++i)
        out.push_back(random_payload(rng, i % 3 == 0 ? PayloadKind::invite
                                          : i % 3 == 1 ? PayloadKind::utf8
                                                       : PayloadKind::ascii,
                                     200));
    return out;
}

} // namespace

TEST_CASE("zbarimg reads the text of every code encode makes", "[qr][interop]") {
    TempDir dir;
    const auto image = dir.file("code.pgm");
    for (const std::string& payload : payloads()) {
        const auto code = encode(payload);
        REQUIRE(code.has_value());
        write_pgm(image, render(*code, {4, 0, 0, 255}));
        std::string text = run("zbarimg --raw -q -Sdisable -Sqrcode.enable '" + image.string() +
                               "' 2>/dev/null");
        if (!text.empty() && text.back() == '\n')
            text.pop_back(); // zbarimg ends each symbol with a newline
        INFO("payload: " << payload);
        CHECK(text == payload);
    }
}

TEST_CASE("decode_luminance reads what qrencode makes", "[qr][interop]") {
    TempDir dir;
    const auto input = dir.file("payload.txt");
    for (const std::string& payload : payloads()) {
        {
            std::ofstream(input, std::ios::binary) << payload;
        }
        // Default: qrencode picks numeric/alphanumeric/byte segments itself; -8: byte mode only.
        // Neither declares UTF-8 with an ECI, so the decoder has to recognise it.
        for (const char* mode : {"", "-8 "}) {
            for (const char level : {'L', 'M', 'Q', 'H'}) {
                const std::string art = run(std::string("qrencode -t ASCII -m 0 ") + mode + "-l " +
                                            level + " -r '" + input.string() + "' -o -");
                const Code code = parse_qrencode_ascii(art);
                INFO("payload: " << payload << ", qrencode " << mode << "-l " << level);
                const Image image = render(code, {3, 0, 10, 245});
                CHECK(decode_luminance(image.pixels.data(), image.width, image.height,
                                       image.width) == payload);
            }
        }
    }
}
