// turn_credentials.cpp: see turn_credentials.hpp.
#include "server/turn_credentials.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <fstream>

namespace peddlenet::server {

TurnCredential make_turn_credential(std::string_view secret, std::string_view peer,
                                    std::int64_t now_unix, std::chrono::seconds ttl) {
    TurnCredential c;
    c.expires_unix = now_unix + std::min(ttl, max_turn_ttl).count();
    c.username = std::to_string(c.expires_unix) + ":" + std::string(peer);
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int mac_len = 0;
    HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(c.username.data()), c.username.size(), mac.data(),
         &mac_len);
    std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> text{};
    const int n = EVP_EncodeBlock(text.data(), mac.data(), static_cast<int>(mac_len));
    c.credential.assign(reinterpret_cast<const char*>(text.data()), static_cast<std::size_t>(n));
    return c;
}

std::optional<std::string> read_turn_secret(const std::string& path, std::string& error) {
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line)) {
        error = "cannot read the TURN secret from " + path;
        return std::nullopt;
    }
    const auto first = line.find_first_not_of(" \t\r");
    const auto last = line.find_last_not_of(" \t\r");
    std::string secret = first == std::string::npos ? "" : line.substr(first, last - first + 1);
    if (secret.size() < 16) {
        error = "the TURN secret in " + path + " is shorter than 16 characters";
        return std::nullopt;
    }
    return secret;
}

} // namespace peddlenet::server
