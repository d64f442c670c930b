// qr.cpp: QR encode with qrcodegen and decode with ZXing-C++ (see qr.hpp for the feature list).
// Needs: qrcodegen.h (header-only C, included here and nowhere else), ZXing-C++ built as the QR
// reader only (src/qr/CMakeLists.txt), core/text.hpp for UTF-8 validation.
#include "qr/qr.hpp"

#include "core/text.hpp"

#include <ReadBarcode.h>
#include <qrcodegen/qrcodegen.h>

#include <algorithm>
#include <array>
#include <cstddef>

namespace peddlenet::qr {

namespace {

// ECI assignment number of UTF-8 (AIM ECI specification), declared before non-ASCII byte data so
// that decoders do not have to guess between UTF-8, Latin-1 and Shift JIS.
constexpr long eci_utf8 = 26;

// Largest side ZXing accepts for an image, in pixels (it stores coordinates in 16 bits).
constexpr int max_image_side = 65535;

qrcodegen_Ecc to_qrcodegen(Ecc ecc) {
    switch (ecc) {
    case Ecc::low: return qrcodegen_Ecc_LOW;
    case Ecc::medium: return qrcodegen_Ecc_MEDIUM;
    case Ecc::quartile: return qrcodegen_Ecc_QUARTILE;
    case Ecc::high: return qrcodegen_Ecc_HIGH;
    }
    return qrcodegen_Ecc_HIGH;
}

bool is_numeric(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_alphanumeric(std::string_view s) {
    constexpr std::string_view charset = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    return std::all_of(s.begin(), s.end(),
                       [&](char c) { return charset.find(c) != std::string_view::npos; });
}

bool is_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

} // namespace

#ifdef PEDDLENET_ZXING_ESCAPE_STAND_IN
// Link-time stand-in for ZXing::EscapeNonGraphical(std::string_view) in the wasm build (see
// src/qr/CMakeLists.txt): only TextMode::Escaped calls it, and decode_luminance reads Plain.
std::string zxing_escape_stand_in(std::string_view text) asm(PEDDLENET_ZXING_ESCAPE_STAND_IN);
std::string zxing_escape_stand_in(std::string_view text) { return std::string(text); }
#endif

bool Code::at(int x, int y) const {
    if (x < 0 || y < 0 || x >= size || y >= size)
        return false;
    const auto index = static_cast<std::size_t>(y) * static_cast<std::size_t>(size) +
                       static_cast<std::size_t>(x);
    return index < dark.size() && dark[index] != 0; // a hand-built Code may be short
}

std::optional<Code> encode(std::string_view text, Ecc min_ecc) {
    if (text.empty() || !is_valid_utf8(text))
        return std::nullopt;

    // One mode for the whole text: digits, upper-case alphanumerics, or UTF-8 bytes. Mixed
    // segmentation would save little for invite URLs, which are lower-case bytes anyway.
    const bool numeric = is_numeric(text);
    const bool alphanumeric = !numeric && is_alphanumeric(text);
    const qrcodegen_Mode mode = numeric        ? qrcodegen_Mode_NUMERIC
                                : alphanumeric ? qrcodegen_Mode_ALPHANUMERIC
                                               : qrcodegen_Mode_BYTE;
    // SIZE_MAX (too long for any segment) and anything above a version 40 buffer cannot fit.
    const std::size_t data_len = qrcodegen_calcSegmentBufferSize(mode, text.size());
    if (data_len > qrcodegen_BUFFER_LEN_MAX)
        return std::nullopt;

    std::vector<std::uint8_t> data(std::max<std::size_t>(data_len, 1));
    std::array<std::uint8_t, 3> eci_data{}; // an ECI designator takes at most 3 bytes
    std::vector<qrcodegen_Segment> segments;
    const std::string terminated(text); // qrcodegen's numeric/alphanumeric makers read C strings
    if (numeric) {
        segments.push_back(qrcodegen_makeNumeric(terminated.c_str(), data.data()));
    } else if (alphanumeric) {
        segments.push_back(qrcodegen_makeAlphanumeric(terminated.c_str(), data.data()));
    } else {
        if (!is_ascii(text))
            segments.push_back(qrcodegen_makeEci(eci_utf8, eci_data.data()));
        segments.push_back(qrcodegen_makeBytes(reinterpret_cast<const std::uint8_t*>(text.data()),
                                               text.size(), data.data()));
    }

    std::vector<std::uint8_t> temp(qrcodegen_BUFFER_LEN_MAX);
    std::vector<std::uint8_t> symbol(qrcodegen_BUFFER_LEN_MAX);
    if (!qrcodegen_encodeSegmentsAdvanced(segments.data(), segments.size(), to_qrcodegen(min_ecc),
                                          qrcodegen_VERSION_MIN, qrcodegen_VERSION_MAX,
                                          qrcodegen_Mask_AUTO, true, temp.data(), symbol.data()))
        return std::nullopt;

    Code code;
    code.size = qrcodegen_getSize(symbol.data());
    code.dark.resize(static_cast<std::size_t>(code.size) * static_cast<std::size_t>(code.size));
    for (int y = 0; y < code.size; ++y)
        for (int x = 0; x < code.size; ++x)
            code.dark[static_cast<std::size_t>(y * code.size + x)] =
                qrcodegen_getModule(symbol.data(), x, y) ? 1 : 0;
    return code;
}

std::string to_terminal(const Code& code) {
    // Light modules (and the quiet zone) are the printed glyphs, dark ones the background.
    constexpr std::string_view both_light = "\u2588";  // FULL BLOCK
    constexpr std::string_view upper_light = "\u2580"; // UPPER HALF BLOCK
    constexpr std::string_view lower_light = "\u2584"; // LOWER HALF BLOCK
    constexpr std::string_view white_on_black = "\x1b[97;40m";
    constexpr std::string_view reset = "\x1b[0m";

    const int first = -quiet_zone_modules;
    const int last = code.size + quiet_zone_modules; // exclusive
    std::string out;
    for (int y = first; y < last; y += 2) {
        out += white_on_black;
        for (int x = first; x < last; ++x) {
            // A row past the bottom edge (odd total height) is drawn dark, i.e. left blank.
            const bool top = !code.at(x, y);
            const bool bottom = y + 1 < last && !code.at(x, y + 1);
            out += top && bottom ? both_light : top ? upper_light : bottom ? lower_light : " ";
        }
        out += reset;
        out += '\n';
    }
    return out;
}

std::optional<std::string> decode_luminance(const std::uint8_t* pixels, int width, int height,
                                            int row_stride) {
    // ZXing throws on these; the wasm build cannot catch, so refuse them here.
    if (pixels == nullptr || width <= 0 || height <= 0 || width > max_image_side ||
        height > max_image_side || row_stride < width)
        return std::nullopt;

    const ZXing::ImageView image(pixels, width, height, ZXing::ImageFormat::Lum, row_stride);
    ZXing::ReaderOptions options;
    options.setFormats(ZXing::BarcodeFormat::QRCode);
    options.setTextMode(ZXing::TextMode::Plain);
    options.setMaxNumberOfSymbols(1);
    // Local thresholds cope with the uneven light of camera frames. They miss synthetic images
    // whose modules line up with their 8 px blocks (a screenshot or a fake camera showing 8 px
    // modules), which one global threshold reads; that second pass costs < 1 ms natively.
    for (const auto binarizer :
         {ZXing::Binarizer::LocalAverage, ZXing::Binarizer::GlobalHistogram}) {
        options.setBinarizer(binarizer);
        const ZXing::Barcode barcode = ZXing::ReadBarcode(image, options);
        if (barcode.isValid()) // a foreign symbol may declare any charset: hand on UTF-8 only
            return repair_utf8(barcode.text());
    }
    return std::nullopt;
}

} // namespace peddlenet::qr
