// i18n.cpp: see i18n.hpp.
#include "core/i18n.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>

namespace peddlenet::i18n {
namespace {

constexpr std::array<std::string_view, 6> plural_names = {"zero", "one", "two", "few", "many", "other"};

bool is_placeholder_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

// "pt-BR" / "PT_br" -> "pt".
std::string primary_tag(std::string_view tag) {
    std::string out(tag.substr(0, tag.find_first_of("-_")));
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// A million, ten million...: the "many" of Spanish, French and Portuguese ("1 000 000 de").
bool is_millions(long long n) { return n != 0 && n % 1000000 == 0; }

} // namespace

std::string_view to_string(Plural p) { return plural_names[static_cast<std::size_t>(p)]; }

std::optional<Plural> plural_from_string(std::string_view name) {
    for (std::size_t i = 0; i < plural_names.size(); ++i)
        if (plural_names[i] == name) return static_cast<Plural>(i);
    return std::nullopt;
}

// CLDR 44 cardinal rules for whole numbers (https://cldr.unicode.org, "Language Plural Rules").
Plural plural_category(std::string_view language, long long n) {
    const long long a = n < 0 ? -n : n;
    if (language == "ja") return Plural::other;
    if (language == "ar") {
        const long long h = a % 100;
        if (a == 0) return Plural::zero;
        if (a == 1) return Plural::one;
        if (a == 2) return Plural::two;
        if (h >= 3 && h <= 10) return Plural::few;
        if (h >= 11 && h <= 99) return Plural::many;
        return Plural::other;
    }
    if (language == "fr" || language == "pt") {
        if (a == 0 || a == 1) return Plural::one;
        return is_millions(a) ? Plural::many : Plural::other;
    }
    if (language == "es") {
        if (a == 1) return Plural::one;
        return is_millions(a) ? Plural::many : Plural::other;
    }
    return a == 1 ? Plural::one : Plural::other; // en, de, and the default
}

std::vector<Plural> plural_categories(std::string_view language) {
    if (language == "ja") return {Plural::other};
    if (language == "ar") return {Plural::zero, Plural::one, Plural::two, Plural::few, Plural::many, Plural::other};
    if (language == "fr" || language == "pt" || language == "es") return {Plural::one, Plural::many, Plural::other};
    return {Plural::one, Plural::other};
}

std::optional<Catalog> parse_catalog(std::string_view text, std::string& error) {
    const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        error = "not a JSON object";
        return std::nullopt;
    }
    Catalog c;
    const auto string_field = [&](const char* key, std::string& out) {
        const auto it = doc.find(key);
        if (it == doc.end() || !it->is_string()) {
            error = std::string("\"") + key + "\" is missing or not text";
            return false;
        }
        out = it->get<std::string>();
        return true;
    };
    std::string direction;
    if (!string_field("language", c.language) || !string_field("name", c.name) ||
        !string_field("direction", direction))
        return std::nullopt;
    if (direction != "ltr" && direction != "rtl") {
        error = "\"direction\" must be \"ltr\" or \"rtl\"";
        return std::nullopt;
    }
    c.rtl = direction == "rtl";
    const auto strings = doc.find("strings");
    if (strings == doc.end() || !strings->is_object()) {
        error = "\"strings\" is missing or not an object";
        return std::nullopt;
    }
    for (const auto& [id, value] : strings->items()) {
        Entry e;
        if (value.is_string()) {
            e.text = value.get<std::string>();
        } else if (value.is_object() && !value.empty()) {
            for (const auto& [category, form] : value.items()) {
                const auto p = plural_from_string(category);
                if (!p || !form.is_string()) {
                    error = "\"" + id + "\": \"" + category + "\" is not a plural category with a text";
                    return std::nullopt;
                }
                e.forms[*p] = form.get<std::string>();
            }
            if (!e.forms.count(Plural::other)) {
                error = "\"" + id + "\": plural texts need an \"other\" form";
                return std::nullopt;
            }
        } else {
            error = "\"" + id + "\": a text or an object of plural forms expected";
            return std::nullopt;
        }
        c.entries.emplace(id, std::move(e));
    }
    return c;
}

std::vector<std::string> placeholders(std::string_view pattern) {
    std::vector<std::string> out;
    for (std::size_t open = pattern.find('{'); open != std::string_view::npos; open = pattern.find('{', open + 1)) {
        const std::size_t close = pattern.find('}', open + 1);
        if (close == std::string_view::npos) break;
        const std::string_view name = pattern.substr(open + 1, close - open - 1);
        if (is_placeholder_name(name) && std::find(out.begin(), out.end(), name) == out.end())
            out.emplace_back(name);
    }
    return out;
}

std::string format(std::string_view pattern, const Args& args) {
    std::string out;
    out.reserve(pattern.size() + 16);
    std::size_t i = 0;
    while (i < pattern.size()) {
        const std::size_t open = pattern.find('{', i);
        if (open == std::string_view::npos) break;
        const std::size_t close = pattern.find('}', open + 1);
        if (close == std::string_view::npos) break;
        const std::string_view name = pattern.substr(open + 1, close - open - 1);
        const auto arg = std::find_if(args.begin(), args.end(), [&](const auto& a) { return a.first == name; });
        out.append(pattern.substr(i, open - i));
        if (arg != args.end()) {
            out += arg->second;
            i = close + 1;
        } else {
            out += '{'; // not ours to fill: keep it as written
            i = open + 1;
        }
    }
    out.append(pattern.substr(i));
    return out;
}

std::string to_string(const Message& m) {
    std::string out = m.id;
    for (const auto& [name, value] : m.args) out += " " + std::string(name) + "=" + value;
    return out;
}

std::string pick_language(const std::vector<std::string>& preferred, const std::vector<std::string>& available,
                          const std::string& fallback) {
    for (const std::string& tag : preferred) {
        const std::string primary = primary_tag(tag);
        if (std::find(available.begin(), available.end(), primary) != available.end()) return primary;
    }
    return fallback;
}

void Translator::add(Catalog catalog) {
    std::string language = catalog.language;
    catalogs_[language] = std::move(catalog);
}

bool Translator::use(std::string_view language) {
    if (!catalogs_.count(language)) return false;
    current_ = std::string(language);
    return true;
}

bool Translator::rtl() const {
    const auto it = catalogs_.find(current_);
    return it != catalogs_.end() && it->second.rtl;
}

std::vector<std::pair<std::string, std::string>> Translator::languages() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [tag, c] : catalogs_) out.emplace_back(tag, c.name);
    return out;
}

const Entry* Translator::find(std::string_view id, const Catalog** from) const {
    for (const std::string* language : {&current_, &fallback_}) {
        const auto c = catalogs_.find(*language);
        if (c == catalogs_.end()) continue;
        const auto e = c->second.entries.find(id);
        if (e == c->second.entries.end()) continue;
        *from = &c->second;
        return &e->second;
    }
    return nullptr;
}

const std::string& Translator::text(std::string_view id) const {
    const Catalog* from = nullptr;
    const Entry* e = find(id, &from);
    if (e && !e->plural()) return e->text;
    if (e) return e->forms.at(Plural::other);
    auto it = missing_.find(id);
    if (it == missing_.end()) it = missing_.emplace(std::string(id), std::string(id)).first;
    return it->second;
}

std::string Translator::text(std::string_view id, const Args& args) const { return format(text(id), args); }

std::string Translator::plural(std::string_view id, long long n, Args args) const {
    args.emplace_back("count", std::to_string(n));
    const Catalog* from = nullptr;
    const Entry* e = find(id, &from);
    if (!e || !e->plural()) return format(text(id), args);
    const auto form = e->forms.find(plural_category(from->language, n));
    return format(form != e->forms.end() ? form->second : e->forms.at(Plural::other), args);
}

} // namespace peddlenet::i18n
