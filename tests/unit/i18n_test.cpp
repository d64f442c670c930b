// The translation machinery (core/i18n) and the shipped catalogs (assets/i18n/*.json): every id
// in every language, matching placeholders, a form for every plural category of the language.
#include "core/i18n.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace peddlenet::i18n;

namespace {

const std::filesystem::path repo = PEDDLENET_SOURCE_DIR;
const std::vector<std::string> shipped = {"en", "de", "es", "fr", "pt", "ar", "ja"};

std::string read(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

Catalog load(const std::string& language) {
    std::string error;
    auto c = parse_catalog(read(repo / "assets/i18n" / (language + ".json")), error);
    INFO(language << ": " << error);
    REQUIRE(c);
    return *c;
}

std::set<std::string> names(const std::string& pattern) {
    const auto v = placeholders(pattern);
    return {v.begin(), v.end()};
}

// Every placeholder any form of `e` uses.
std::set<std::string> all_names(const Entry& e) {
    if (!e.plural()) return names(e.text);
    std::set<std::string> out;
    for (const auto& [p, text] : e.forms) out.merge(names(text));
    return out;
}

// The string literals in the app's and core's sources that look like ids of `catalog`: a
// section of it ("room", "ice"...), a dot, a name. Wherever they stand (tr("room.leave"),
// tr(open ? "a.b" : "a.c"), Message{"ice.too_many", ...}), each is an id the code may show.
std::set<std::string> ids_in_sources(const Catalog& catalog) {
    std::set<std::string> sections;
    for (const auto& [id, e] : catalog.entries) sections.insert(id.substr(0, id.find('.')));
    std::set<std::string> out;
    const std::regex literal(R"re("([a-z_]+)\.([a-z0-9_]+)")re");
    for (const auto& dir : {repo / "src/app", repo / "src/core"}) {
        for (const auto& f : std::filesystem::directory_iterator(dir)) {
            const std::string text = read(f.path());
            for (auto it = std::sregex_iterator(text.begin(), text.end(), literal); it != std::sregex_iterator(); ++it)
                if (sections.count((*it)[1])) out.insert(std::string((*it)[1]) + "." + std::string((*it)[2]));
        }
    }
    return out;
}

} // namespace

TEST_CASE("plural rules: CLDR categories for whole numbers", "[i18n]") {
    CHECK(plural_category("en", 1) == Plural::one);
    CHECK(plural_category("en", 0) == Plural::other);
    CHECK(plural_category("de", 2) == Plural::other);
    CHECK(plural_category("fr", 0) == Plural::one);
    CHECK(plural_category("fr", 1) == Plural::one);
    CHECK(plural_category("fr", 2) == Plural::other);
    CHECK(plural_category("fr", 1000000) == Plural::many);
    CHECK(plural_category("pt", 0) == Plural::one);
    CHECK(plural_category("es", 0) == Plural::other);
    CHECK(plural_category("es", 2000000) == Plural::many);
    CHECK(plural_category("ja", 1) == Plural::other);
    CHECK(plural_category("ar", 0) == Plural::zero);
    CHECK(plural_category("ar", 1) == Plural::one);
    CHECK(plural_category("ar", 2) == Plural::two);
    CHECK(plural_category("ar", 3) == Plural::few);
    CHECK(plural_category("ar", 110) == Plural::few); // by n % 100
    CHECK(plural_category("ar", 102) == Plural::other);
    CHECK(plural_category("ar", 103) == Plural::few);
    CHECK(plural_category("ar", 11) == Plural::many);
    CHECK(plural_category("ar", 199) == Plural::many);
    CHECK(plural_category("ar", 100) == Plural::other);
    for (const std::string& language : shipped)
        for (long long n = 0; n < 300; ++n) {
            const auto cats = plural_categories(language);
            CHECK(std::find(cats.begin(), cats.end(), plural_category(language, n)) != cats.end());
        }
}

TEST_CASE("format: named placeholders; unknown ones and stray braces stay as written", "[i18n]") {
    CHECK(format("{name} joined {room}", {{"name", "Ann"}, {"room", "amber-otter"}}) == "Ann joined amber-otter");
    CHECK(format("{a}{a}", {{"a", "x"}}) == "xx");
    CHECK(format("{who} and {other}", {{"who", "{other}"}}) == "{other} and {other}"); // values are not re-read
    CHECK(format("{ {name", {{"name", "Ann"}}) == "{ {name");
    CHECK(format("no braces", {}) == "no braces");
    CHECK(placeholders("{count} of {total}, {count}") == std::vector<std::string>{"count", "total"});
    CHECK(placeholders("{Not One} {}") .empty());
}

TEST_CASE("catalogs: malformed ones are refused with a reason", "[i18n]") {
    std::string error;
    CHECK_FALSE(parse_catalog("[]", error));
    CHECK_FALSE(parse_catalog(R"({"language":"xx","name":"X","direction":"up","strings":{}})", error));
    CHECK(error.find("direction") != std::string::npos);
    CHECK_FALSE(parse_catalog(R"({"language":"xx","name":"X","direction":"ltr","strings":{"a":{"one":"1"}}})", error));
    CHECK(error.find("other") != std::string::npos);
    CHECK_FALSE(parse_catalog(R"({"language":"xx","name":"X","direction":"ltr","strings":{"a":{"lots":"x","other":"y"}}})", error));
    CHECK_FALSE(parse_catalog(R"({"language":"xx","name":"X","direction":"ltr","strings":{"a":3}})", error));
    CHECK_FALSE(parse_catalog("{\"language\":", error));
}

TEST_CASE("translator: the chosen language, then English, then the id itself", "[i18n]") {
    std::string error;
    Translator t;
    t.add(*parse_catalog(R"({"language":"en","name":"English","direction":"ltr","strings":{
        "hi":"Hello {name}","only_en":"Only English",
        "people":{"one":"{count} person","other":"{count} people"}}})", error));
    t.add(*parse_catalog(R"({"language":"ar","name":"العربية","direction":"rtl","strings":{
        "hi":"مرحبا {name}",
        "people":{"zero":"لا أحد","one":"شخص واحد","two":"شخصان","few":"{count} أشخاص","many":"{count} شخصًا","other":"{count} شخص"}}})",
                            error));
    CHECK(t.text("hi", {{"name", "Ann"}}) == "Hello Ann");
    CHECK_FALSE(t.rtl());
    CHECK(t.plural("people", 1) == "1 person");
    CHECK(t.plural("people", 5) == "5 people");
    REQUIRE(t.use("ar"));
    CHECK(t.rtl());
    CHECK(t.plural("people", 0) == "لا أحد");
    CHECK(t.plural("people", 2) == "شخصان");
    CHECK(t.plural("people", 7) == "7 أشخاص");
    CHECK(t.plural("people", 11) == "11 شخصًا");
    CHECK(t.text("only_en") == "Only English");
    CHECK(t.text("no.such.id") == "no.such.id");
    CHECK(&t.text("hi") == &t.text("hi")); // stable for ImGui labels
    CHECK_FALSE(t.use("xx"));
    CHECK(t.language() == "ar");
}

TEST_CASE("language choice: the browser's list by primary tag, else the fallback", "[i18n]") {
    const std::vector<std::string> available = {"en", "de", "pt", "ar", "ja"};
    CHECK(pick_language({"pt-BR", "en-US"}, available, "en") == "pt");
    CHECK(pick_language({"sv-SE", "DE-at"}, available, "en") == "de");
    CHECK(pick_language({"sv", "fi"}, available, "en") == "en");
    CHECK(pick_language({}, available, "en") == "en");
    CHECK(pick_language({"ar_EG"}, available, "en") == "ar");
}

TEST_CASE("shipped catalogs: every id in every language, matching placeholders and plural forms", "[i18n]") {
    const Catalog en = load("en");
    for (const std::string& language : shipped) {
        const Catalog c = load(language);
        INFO("language " << language);
        CHECK(c.language == language);
        CHECK(c.rtl == (language == "ar"));
        for (const auto& [id, e] : en.entries) {
            INFO("id " << id);
            const auto it = c.entries.find(id);
            REQUIRE(it != c.entries.end());
            const Entry& t = it->second;
            REQUIRE(t.plural() == e.plural());
            if (!t.plural()) {
                CHECK(names(t.text) == names(e.text));
                CHECK_FALSE(t.text.empty());
                continue;
            }
            // Every category the language tells apart has its form; a form may leave out {count}
            // where the word says the number ("one message"), but uses no name English lacks.
            for (const Plural p : plural_categories(language)) {
                INFO("plural form " << to_string(p));
                CHECK(t.forms.count(p) == 1);
            }
            for (const auto& [p, text] : t.forms) {
                const auto cats = plural_categories(language);
                CHECK(std::find(cats.begin(), cats.end(), p) != cats.end());
                std::set<std::string> expected = all_names(e);
                std::set<std::string> got = names(text);
                for (const auto& n : got) CHECK(expected.count(n) == 1);
                if (p == Plural::other || p == Plural::few || p == Plural::many) CHECK(got == expected);
            }
        }
        for (const auto& [id, e] : c.entries) {
            INFO("id " << id << " is in " << language << " but not in English");
            CHECK(en.entries.count(id) == 1);
        }
    }
}

TEST_CASE("shipped catalogs: every id the app asks for exists, and none is unused", "[i18n]") {
    const Catalog en = load("en");
    const std::set<std::string> used = ids_in_sources(en);
    CHECK(used.size() > 50);
    for (const std::string& id : used) {
        INFO("the sources ask for " << id);
        CHECK(en.entries.count(id) == 1);
    }
    for (const auto& [id, e] : en.entries) {
        INFO("no source asks for " << id);
        CHECK(used.count(id) == 1);
    }
}
