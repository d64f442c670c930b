// Right-to-left display (core/bidi.hpp): shaping and reordering for a left-to-right renderer.
#include "core/bidi.hpp"

#include <catch2/catch.hpp>

using peddlenet::has_rtl;
using peddlenet::to_visual_order;

TEST_CASE("left-to-right text is untouched", "[bidi]") {
    CHECK_FALSE(has_rtl("hello %s%n 🎉 中文"));
    CHECK(to_visual_order("hello (world) 123") == "hello (world) 123");
    CHECK(to_visual_order("") == "");
}

TEST_CASE("Hebrew is reversed into display order", "[bidi]") {
    CHECK(has_rtl("שלום"));
    CHECK(to_visual_order("שלום") == "םולש");
    CHECK(to_visual_order("שלום עולם") == "םלוע םולש"); // the space between joins the run
}

TEST_CASE("mixed lines keep each run in its own direction", "[bidi]") {
    // LTR paragraph with an embedded Hebrew word.
    CHECK(to_visual_order("hi שלום there") == "hi םולש there");
    // RTL paragraph (first strong char is Hebrew) with an English word: runs swap places.
    CHECK(to_visual_order("שלום hi") == "hi םולש");
    // Digits inside RTL keep their order.
    CHECK(to_visual_order("חדר 42") == "42 רדח");
}

TEST_CASE("brackets are mirrored inside right-to-left runs", "[bidi]") {
    CHECK(to_visual_order("(שלום)") == "(םולש)");
}

TEST_CASE("Arabic letters take their joining forms", "[bidi]") {
    // سلام: seen (initial), lam-alef ligature (final, joined from seen), meem (isolated).
    const std::string shaped = to_visual_order("سلام");
    // Visual order is reversed: meem isolated U+FEE1, lam-alef final U+FEFC, seen initial U+FEB3.
    CHECK(shaped == "\xEF\xBB\xA1\xEF\xBB\xBC\xEF\xBA\xB3");
    // Each line is handled on its own.
    CHECK(to_visual_order("a\nשב") == "a\nבש");
}

TEST_CASE("a separator between digits stays inside the number", "[bidi]") {
    CHECK(to_visual_order("שעה 3:52") == "3:52 העש");
    CHECK(to_visual_order("1,000 שקל") == "לקש 1,000");
    CHECK(to_visual_order("שעה 3: אחר כך") == "ךכ רחא :3 העש"); // a colon after a number is no separator
}

TEST_CASE("wrapping takes words in reading order, then each line is put in display order", "[bidi]") {
    using peddlenet::wrap_visual;
    // One unit per code point, as a fixed-width font would measure.
    const auto measure = [](std::string_view s) {
        float n = 0;
        for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        return n;
    };
    // Hebrew "one two three": the first line holds the first words, each line reversed.
    CHECK(wrap_visual("אחת שתיים שלוש", 9, measure) == std::vector<std::string>{"םייתש תחא", "שולש"});
    CHECK(wrap_visual("one two three", 7, measure) == std::vector<std::string>{"one two", "three"});
    CHECK(wrap_visual("a\nb c", 100, measure) == std::vector<std::string>{"a", "b c"});
    CHECK(wrap_visual("", 10, measure) == std::vector<std::string>{""});
    CHECK(wrap_visual("supercalifragilistic x", 5, measure) == std::vector<std::string>{"supercalifragilistic", "x"});
    CHECK(peddlenet::is_rtl_paragraph("שלום world"));
    CHECK_FALSE(peddlenet::is_rtl_paragraph("world שלום"));
    CHECK_FALSE(peddlenet::is_rtl_paragraph("123"));
}
