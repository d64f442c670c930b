// link_path: the path a link's selected candidate pair means, and rtc.js's report of it.
#include "core/link_path.hpp"

#include <catch2/catch.hpp>

using namespace peddlenet;

TEST_CASE("path: the pair's candidate types say direct, STUN or relay", "[path]") {
    CHECK(path_kind("host", "host") == PathKind::direct);
    CHECK(path_kind("host", "prflx") == PathKind::direct); // an mDNS-hidden host on the LAN
    CHECK(path_kind("prflx", "prflx") == PathKind::direct);
    CHECK(path_kind("srflx", "host") == PathKind::stun);
    CHECK(path_kind("prflx", "srflx") == PathKind::stun);
    CHECK(path_kind("relay", "host") == PathKind::relay);
    CHECK(path_kind("srflx", "relay") == PathKind::relay);
    CHECK_FALSE(path_kind("local", "host"));
    CHECK_FALSE(path_kind("host", ""));
    CHECK(describe(PathKind::relay) == "relayed by the box");
    CHECK(to_string(PathKind::stun) == "stun");
}

TEST_CASE("path: rtc.js's report is read strictly", "[path]") {
    const auto p = parse_path_report("relay host udp 1.5");
    REQUIRE(p);
    CHECK(p->kind == PathKind::relay);
    CHECK(p->local_type == "relay");
    CHECK(p->remote_type == "host");
    CHECK(p->protocol == "udp");
    CHECK(p->rtt_ms == 1.5);
    const auto no_rtt = parse_path_report("host host tcp -");
    REQUIRE(no_rtt);
    CHECK_FALSE(no_rtt->rtt_ms);
    for (const char* bad : {"", "host host udp", "host host udp 1 2", "host host sctp 1",
                            "host magic udp 1", "host host udp -1", "host host udp 1ms",
                            "host host udp nan", "host  host udp 1", "host host udp 1e9",
                            "host host udp 1.", "host host udp .5", "host host udp 1.2.3", "host host udp 600000"}) {
        INFO(bad);
        CHECK_FALSE(parse_path_report(bad));
    }
}
