// qr.hpp: QR codes for room invites, the one API that the app, the server and the tests share.
// Needs: qrcodegen (encode) and ZXing-C++ (decode), both private to qr.cpp; no browser, no I/O.
//  [X] encode UTF-8 text with a minimum error correction level, boosted when it costs no size
//  [X] numeric / alphanumeric / byte mode, with the UTF-8 ECI when the text is not ASCII
//  [X] terminal rendering with Unicode half blocks and the 4-module quiet zone
//  [X] decode the first QR code in an 8-bit luminance image (camera frames, screenshots)
//  [X] hostile or empty images return nullopt, never crash (also in the wasm build)
//  [ ] Micro QR, rMQR, structured append: not needed for invites
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace peddlenet::qr {

// Error correction level: the share of codewords that may be lost (7/15/25/30 %).
enum class Ecc { low, medium, quartile, high };

// Quiet zone around a symbol in modules: the width ISO/IEC 18004 requires for Model 2 codes.
inline constexpr int quiet_zone_modules = 4;

struct Code {
    int size = 0;                   // modules per side, without quiet zone
    std::vector<std::uint8_t> dark; // size*size, row-major, 1 = dark module
    bool at(int x, int y) const;    // false outside the symbol (quiet zone)
};

// Encodes text (UTF-8, byte mode or better) with at least min_ecc, boosting ECC when the
// version allows. nullopt if too long, empty (readers report no text for an empty symbol) or not
// valid UTF-8 (it would not decode to the same text).
std::optional<Code> encode(std::string_view text, Ecc min_ecc = Ecc::medium);

// Text rendering for terminals: Unicode half blocks (two module rows per line), with the
// 4-module quiet zone, light-on-dark safe: light modules are drawn as blocks and every line
// sets white-on-black colours (ANSI), so the code scans on dark and on light terminal themes.
std::string to_terminal(const Code& code);

// Decodes the first QR code in an 8-bit luminance image (row_stride in bytes). QR only, pure
// luminance. The text is valid UTF-8 (converted from the symbol's declared or guessed charset).
// nullopt when none found or when the image is empty or larger than 65535 px a side.
std::optional<std::string> decode_luminance(const std::uint8_t* pixels, int width, int height,
                                            int row_stride);

} // namespace peddlenet::qr
