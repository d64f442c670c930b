// i18n.hpp: the app's words in the user's language. One catalog per language
// (assets/i18n/<tag>.json), each a table of texts keyed by id; a text may have a form per
// CLDR plural category and named placeholders ("{name}").
// Needs: nlohmann/json (catalogs are JSON).
//  [X] catalogs parsed with clear errors; a missing id falls back to English, then to the id
//  [X] CLDR cardinal plural rules for the shipped languages (en de es fr pt ar ja)
//  [X] placeholders filled by name; a placeholder with no value stays as written
//  [X] the language picked from the browser's list (navigator.languages), or an override
//  [ ] other languages' plural rules: add them with the language
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace peddlenet::i18n {

enum class Plural { zero, one, two, few, many, other };
std::string_view to_string(Plural p);
std::optional<Plural> plural_from_string(std::string_view name);

// The CLDR cardinal category of the whole number `n` in `language` (a primary tag: "ar").
Plural plural_category(std::string_view language, long long n);
// The categories plural_category() can return for `language`: a catalog's plural texts need one
// form for each.
std::vector<Plural> plural_categories(std::string_view language);

// One id's text: a single form, or one form per plural category.
struct Entry {
    std::string text;                   // when not plural
    std::map<Plural, std::string> forms; // when plural
    bool plural() const { return !forms.empty(); }
};

struct Catalog {
    std::string language;  // primary tag: "pt"
    std::string name;      // in its own language, for the picker: "Português"
    bool rtl = false;      // the whole UI lays out right to left
    std::map<std::string, Entry, std::less<>> entries;
};

// Parses a catalog; on failure returns nullopt and says why in `error`.
std::optional<Catalog> parse_catalog(std::string_view json, std::string& error);

// The names inside braces in `pattern`, in order of appearance, without repeats.
std::vector<std::string> placeholders(std::string_view pattern);

using Args = std::vector<std::pair<std::string_view, std::string>>;
// `pattern` with each {name} replaced by its value in `args`.
std::string format(std::string_view pattern, const Args& args);

// Words for the user, not yet in any language: a catalog id and its placeholders' values.
// Core code that explains a problem returns one; the app says it in the user's language.
struct Message {
    std::string id; // empty: nothing to say
    Args args;      // names are literals in the code that builds the message
    bool empty() const { return id.empty(); }
    bool operator==(const Message&) const = default;
};
// For logs and protocol errors, where no language applies: "ice.too_many max=8".
std::string to_string(const Message& m);

// The first of `preferred` (BCP 47 tags, in the user's order) that `available` (primary tags)
// has, by primary tag: "pt-BR" picks "pt". `fallback` when none matches.
std::string pick_language(const std::vector<std::string>& preferred,
                          const std::vector<std::string>& available, const std::string& fallback);

// Looks texts up in the chosen catalog, then in the fallback (English), then answers the id
// itself, so a missing text shows as its id instead of nothing.
class Translator {
public:
    void add(Catalog catalog);
    // Chooses the language; false (and nothing changes) if no catalog has it.
    bool use(std::string_view language);
    void set_fallback(std::string_view language) { fallback_ = std::string(language); }

    const std::string& language() const { return current_; }
    bool rtl() const;
    std::vector<std::pair<std::string, std::string>> languages() const; // (tag, own name)

    // The text of `id`; stable until the catalogs change (fit for ImGui labels).
    const std::string& text(std::string_view id) const;
    std::string text(std::string_view id, const Args& args) const;
    std::string text(const Message& m) const { return text(m.id, m.args); }
    // The plural form for `n`; `args` get {count} = n added.
    std::string plural(std::string_view id, long long n, Args args = {}) const;

private:
    const Entry* find(std::string_view id, const Catalog** from) const;

    std::map<std::string, Catalog, std::less<>> catalogs_;
    std::string current_ = "en";
    std::string fallback_ = "en";
    mutable std::map<std::string, std::string, std::less<>> missing_; // ids shown as themselves
};

} // namespace peddlenet::i18n
