// lan.hpp: the addresses phones on the same network can use to reach this machine.
// Needs: getifaddrs (POSIX).
//  [X] IPv4 addresses of interfaces that are up, loopback excluded
//  [ ] IPv6: phones on festival Wi-Fi get IPv4 from the access point; v6 URLs are long for QR
#pragma once

#include <string>
#include <vector>

namespace peddlenet::server {

// Dotted IPv4 addresses of up, non-loopback interfaces, in interface order.
std::vector<std::string> lan_addresses();

// The URLs to print for a server bound to `host` on `port`: one per LAN address when bound to
// every interface, else just `host`.
std::vector<std::string> lan_urls(const std::string& host, unsigned short port, bool tls);

} // namespace peddlenet::server
