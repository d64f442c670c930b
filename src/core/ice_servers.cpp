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
        const std::string where = "Line " + std::to_string(number) + ": ";
        const std::string& url = fields[0];
        for (const std::string& f : fields) {
            if (f.size() > max_field_bytes) {
                r.error = where + "a field is too long.";
                return r;
            }
        }
        const bool stun = starts_with(url, "stun:");
        const bool turn = starts_with(url, "turn:") || starts_with(url, "turns:");
        if (!stun && !turn) {
            r.error = where + "URLs start with stun:, turn: or turns:.";
            return r;
        }
        if (url.find_first_of("\"\\") != std::string::npos) {
            r.error = where + "the URL has characters a server address cannot have.";
            return r;
        }
        nlohmann::json server = {{"urls", url}};
        if (turn) {
            if (fields.size() != 3) {
                r.error = where + "a TURN server needs a username and a credential after its URL.";
                return r;
            }
            server["username"] = fields[1];
            server["credential"] = fields[2];
        } else if (fields.size() != 1) {
            r.error = where + "a STUN server takes no username or credential.";
            return r;
        }
        if (r.servers.size() == max_ice_servers) {
            r.error = "At most " + std::to_string(max_ice_servers) + " ICE servers.";
            return r;
        }
        r.servers.push_back(std::move(server));
    }
    return r;
}

} // namespace peddlenet
