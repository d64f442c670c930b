// UTF-8 and id rules (core/text.hpp), including the hostile inputs chat must survive.
#include "core/text.hpp"

#include <catch2/catch.hpp>

using namespace peddlenet;

TEST_CASE("valid UTF-8 of every width passes", "[text]") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("plain %s%n ##x###y"));
    CHECK(is_valid_utf8("Grüße, Привет, שלום, مرحبا, 你好"));
    CHECK(is_valid_utf8("\xF0\x9F\x8E\x89 party")); // U+1F389
    CHECK(utf8_length("\xF0\x9F\x8E\x89" "ab") == 3u);
    CHECK(utf8_length("你好") == 2u);
}

TEST_CASE("ill-formed UTF-8 is rejected", "[text]") {
    CHECK_FALSE(is_valid_utf8("\xC0\xAF"));         // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xE0\x80\xAF"));     // overlong, 3 bytes
    CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));     // surrogate U+D800
    CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80")); // above U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xFF"));
    CHECK_FALSE(is_valid_utf8("abc\xE2\x82"));      // truncated at the end
    CHECK_FALSE(utf8_length("\x80").has_value());
}

TEST_CASE("repair replaces each maximal invalid subpart with one U+FFFD", "[text]") {
    const std::string fffd = "\xEF\xBF\xBD";
    CHECK(repair_utf8("ok") == "ok");
    CHECK(repair_utf8("a\xFF" "b") == "a" + fffd + "b");
    CHECK(repair_utf8("\xE2\x82" "x") == fffd + "x");            // truncated 3-byte: one U+FFFD
    CHECK(repair_utf8("\xC0\xAF") == fffd + fffd);               // C0 is never a lead byte
    CHECK(repair_utf8("\xED\xA0\x80") == fffd + fffd + fffd);    // surrogate: ED then two strays
    CHECK(repair_utf8("\xF0\x9F\x8E") == fffd);                  // truncated emoji
    CHECK(is_valid_utf8(repair_utf8("\x80\x81\xFE\xF5\xC2")));
}

TEST_CASE("ids are 1..64 of [A-Za-z0-9_-]", "[text]") {
    CHECK(is_valid_id("festival-main_stage-42"));
    CHECK(is_valid_id(std::string(64, 'a')));
    CHECK_FALSE(is_valid_id(""));
    CHECK_FALSE(is_valid_id(std::string(65, 'a')));
    CHECK_FALSE(is_valid_id("room one"));
    CHECK_FALSE(is_valid_id("räum"));
    CHECK_FALSE(is_valid_id("../etc"));
}

TEST_CASE("one display-name rule: 1..32 code points of valid UTF-8, no control characters", "[text]") {
    CHECK(display_name_problem("Zoë 🎉") == NameProblem::none);
    CHECK(display_name_problem(std::string(max_display_name_chars, 'n')) == NameProblem::none);
    CHECK(display_name_problem(std::string(max_display_name_chars + 1, 'n')) == NameProblem::too_long);
    CHECK(display_name_problem("") == NameProblem::empty);
    CHECK(display_name_problem("\xC0") == NameProblem::invalid_utf8);
    CHECK(display_name_problem("tab\there") == NameProblem::control_char);
    CHECK(display_name_problem("del\x7F") == NameProblem::control_char);
    // 32 four-byte characters are still a name: the field's byte cap holds them.
    std::string widest;
    for (std::size_t i = 0; i < max_display_name_chars; ++i) widest += "🎉";
    CHECK(display_name_problem(widest) == NameProblem::none);
    CHECK(widest.size() == max_display_name_bytes);
}
