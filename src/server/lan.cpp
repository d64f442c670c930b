// lan.cpp: see lan.hpp.
#include "server/lan.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>

namespace peddlenet::server {

std::vector<std::string> lan_addresses() {
    std::vector<std::string> out;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return out;
    for (const ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
        if (!(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK)) continue;
        char text[INET_ADDRSTRLEN] = {};
        const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
        if (!inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text)) continue;
        if (std::find(out.begin(), out.end(), text) == out.end()) out.emplace_back(text);
    }
    freeifaddrs(list);
    return out;
}

std::vector<std::string> lan_urls(const std::string& host, unsigned short port, bool tls) {
    const std::string scheme = tls ? "https://" : "http://";
    const std::string suffix = ":" + std::to_string(port) + "/";
    std::vector<std::string> urls;
    if (host == "0.0.0.0" || host == "::") {
        for (const std::string& a : lan_addresses()) urls.push_back(scheme + a + suffix);
    } else if (host != "127.0.0.1" && host != "::1") {
        urls.push_back(scheme + (host.find(':') != std::string::npos ? "[" + host + "]" : host) +
                       suffix);
    }
    return urls;
}

} // namespace peddlenet::server
