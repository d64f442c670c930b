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

// Why a server entry breaks a rule ("" when it does not); `credentials` follow the URL.
std::string entry_problem(const std::string& url, const std::vector<std::string>& credentials) {
    if (url.size() > max_field_bytes) return "a field is too long.";
    for (const std::string& c : credentials)
        if (c.size() > max_field_bytes) return "a field is too long.";
    const bool stun = starts_with(url, "stun:");
    const bool turn = starts_with(url, "turn:") || starts_with(url, "turns:");
    if (!stun && !turn) return "URLs start with stun:, turn: or turns:.";
    if (url.find_first_of("\"\\") != std::string::npos)
        return "the URL has characters a server address cannot have.";
    if (turn && credentials.size() != 2)
        return "a TURN server needs a username and a credential after its URL.";
    if (stun && !credentials.empty()) return "a STUN server takes no username or credential.";
    return "";
}

nlohmann::json entry(const std::string& url, const std::vector<std::string>& credentials) {
    nlohmann::json server = {{"urls", url}};
    if (credentials.size() == 2) {
        server["username"] = credentials[0];
        server["credential"] = credentials[1];
    }
    return server;
}

} // namespace

IceServersParse parse_ice_servers(std::string_view text) {
    IceServersParse r;
    if (!is_valid_utf8(text)) {
        r.error = "The ICE server list is not valid text.";
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
        if (std::string problem = entry_problem(fields[0], credentials); !problem.empty()) {
            r.error = "Line " + std::to_string(number) + ": " + problem;
            return r;
        }
        if (r.servers.size() == max_ice_servers) {
            r.error = "At most " + std::to_string(max_ice_servers) + " ICE servers.";
            return r;
        }
        r.servers.push_back(entry(fields[0], credentials));
    }
    return r;
}

IceServersParse check_ice_server_list(const nlohmann::json& list) {
    IceServersParse r;
    if (!list.is_array()) {
        r.error = "The ICE server list is not a list.";
        return r;
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
        const nlohmann::json& server = list[i];
        const std::string where = "Server " + std::to_string(i + 1) + ": ";
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
            r.error = where + "\"urls\" must be a URL or a list of URLs.";
            return r;
        }
        std::vector<std::string> credentials;
        for (const char* key : {"username", "credential"}) {
            const auto it = server.find(key);
            if (it == server.end()) continue;
            if (!it->is_string()) {
                r.error = where + "\"" + key + "\" must be text.";
                return r;
            }
            credentials.push_back(it->get<std::string>());
        }
        for (const std::string& url : url_list) {
            std::string problem = entry_problem(url, credentials);
            if (problem.empty() && !is_valid_utf8(url)) problem = "the URL is not valid text.";
            if (!problem.empty()) {
                r.error = where + problem;
                return r;
            }
            if (r.servers.size() == max_ice_servers) {
                r.error = "At most " + std::to_string(max_ice_servers) + " ICE servers.";
                return r;
            }
            r.servers.push_back(entry(url, credentials));
        }
    }
    return r;
}

} // namespace peddlenet
