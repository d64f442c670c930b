// ice_servers.cpp: see ice_servers.hpp.
#include "core/ice_servers.hpp"

#include "core/text.hpp"

#include <sstream>
#include <vector>

namespace peddlenet {
namespace {

// More than this is a mistake (each server is contacted by every connection).
constexpr std::size_t max_ice_servers = 8;
// A URL or credential longer than this is not a real one.
constexpr std::size_t max_field_bytes = 512;

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

// Why a server entry breaks a rule (empty when it does not); `credentials` follow the URL;
// `line` names the entry.
i18n::Message entry_problem(const std::string& url, const std::vector<std::string>& credentials, std::size_t line) {
    const auto problem = [line](const char* id) { return i18n::Message{id, {{"line", std::to_string(line)}}}; };
    if (url.size() > max_field_bytes) return problem("ice.field_too_long");
    for (const std::string& c : credentials)
        if (c.size() > max_field_bytes) return problem("ice.field_too_long");
    const bool stun = starts_with(url, "stun:");
    const bool turn = starts_with(url, "turn:") || starts_with(url, "turns:");
    if (!stun && !turn) return problem("ice.bad_scheme");
    if (url.find_first_of("\"\\") != std::string::npos) return problem("ice.bad_characters");
    if (turn && credentials.size() != 2) return problem("ice.turn_needs_credentials");
    if (stun && !credentials.empty()) return problem("ice.stun_takes_none");
    if (!is_valid_utf8(url)) return problem("ice.not_text");
    return {};
}

nlohmann::json entry(const std::string& url, const std::vector<std::string>& credentials) {
    nlohmann::json server = {{"urls", url}};
    if (credentials.size() == 2) {
        server["username"] = credentials[0];
        server["credential"] = credentials[1];
    }
    return server;
}

i18n::Message too_many() { return {"ice.too_many", {{"max", std::to_string(max_ice_servers)}}}; }

} // namespace

IceServersParse parse_ice_servers(std::string_view text) {
    IceServersParse r;
    if (!is_valid_utf8(text)) {
        r.error = {"ice.list_not_text", {}};
        return r;
    }
    std::istringstream lines{std::string(text)};
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
        std::istringstream words(line);
        std::vector<std::string> fields;
        for (std::string w; words >> w;) fields.push_back(w);
        if (fields.empty() || fields[0][0] == '#') continue;
        const std::vector<std::string> credentials(fields.begin() + 1, fields.end());
        if (i18n::Message problem = entry_problem(fields[0], credentials, static_cast<std::size_t>(number));
            !problem.empty()) {
            r.error = std::move(problem);
            return r;
        }
        if (r.servers.size() == max_ice_servers) {
            r.error = too_many();
            return r;
        }
        r.servers.push_back(entry(fields[0], credentials));
    }
    return r;
}

IceServersParse check_ice_server_list(const nlohmann::json& list) {
    IceServersParse r;
    if (!list.is_array()) {
        r.error = {"ice.list_not_list", {}};
        return r;
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
        const nlohmann::json& server = list[i];
        const std::string line = std::to_string(i + 1);
        const auto urls = server.is_object() ? server.find("urls") : server.end();
        std::vector<std::string> url_list;
        if (urls != server.end() && urls->is_string()) {
            url_list.push_back(urls->get<std::string>());
        } else if (urls != server.end() && urls->is_array()) {
            for (const nlohmann::json& u : *urls)
                if (u.is_string()) url_list.push_back(u.get<std::string>());
            if (url_list.size() != urls->size()) url_list.clear();
        }
        if (url_list.empty()) {
            r.error = {"ice.urls_missing", {{"line", line}}};
            return r;
        }
        std::vector<std::string> credentials;
        for (const char* key : {"username", "credential"}) {
            const auto it = server.find(key);
            if (it == server.end()) continue;
            if (!it->is_string()) {
                r.error = {"ice.field_not_text", {{"line", line}}};
                return r;
            }
            credentials.push_back(it->get<std::string>());
        }
        for (const std::string& url : url_list) {
            if (i18n::Message problem = entry_problem(url, credentials, i + 1); !problem.empty()) {
                r.error = std::move(problem);
                return r;
            }
            if (r.servers.size() == max_ice_servers) {
                r.error = too_many();
                return r;
            }
            r.servers.push_back(entry(url, credentials));
        }
    }
    return r;
}

} // namespace peddlenet
