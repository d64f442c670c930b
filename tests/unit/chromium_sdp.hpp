// chromium_sdp.hpp: real SDP from this machine's headless Chromium 156 (a data channel's offer
// and answer in a loopback-only network namespace, with camera permission so that host
// candidates show 127.0.0.1), the fixtures of the pairing tests. Header-only: the unit test glob
// compiles *_test.cpp files only.
#pragma once

#include <string>
#include <vector>

namespace peddlenet::testing {

inline const std::string chromium_offer =
    "v=0\r\n"
    "o=- 7716264046970486374 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS\r\n"
    "m=application 42583 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "a=candidate:11901904 1 udp 2122260223 127.0.0.1 42583 typ host generation 0 network-id 1 network-cost 50\r\n"
    "a=candidate:2121955656 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 network-id 1 network-cost 50\r\n"
    "a=ice-ufrag:1Izu\r\n"
    "a=ice-pwd:/I2cZSLiRINAVafg3ksR3sVI\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 E7:52:8B:F3:69:56:6E:EB:9C:B8:86:BE:8D:CA:FA:BD:7A:04:3D:1B:5D:46:9A:23:CC:40:1A:BB:50:99:B1:48\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n";

inline const std::string chromium_answer =
    "v=0\r\n"
    "o=- 7986222811333242484 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS\r\n"
    "m=application 38065 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "a=candidate:1555175985 1 udp 2122260223 127.0.0.1 38065 typ host generation 0 network-id 1 network-cost 50\r\n"
    "a=ice-ufrag:/1DK\r\n"
    "a=ice-pwd:JVXT3i2ud9SJufA/t0V5NV6L\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 81:2F:BC:1D:EB:BE:9B:8E:C6:F7:EB:A8:A1:A9:94:AF:B8:A2:D6:21:27:2A:F5:95:43:22:08:E6:1A:F1:4F:7A\r\n"
    "a=setup:active\r\n"
    "a=mid:0\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n";

// The same offer before gathering (createOffer's own SDP): no candidates; they were trickled.
inline const std::string chromium_offer_before_gathering =
    "v=0\r\no=- 7716264046970486374 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "a=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:1Izu\r\na=ice-pwd:/I2cZSLiRINAVafg3ksR3sVI\r\na=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 E7:52:8B:F3:69:56:6E:EB:9C:B8:86:BE:8D:CA:FA:BD:7A:04:3D:1B:5D:46:9A:23:CC:40:1A:BB:50:99:B1:48\r\n"
    "a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";
// What that page's icecandidate events gave (RTCIceCandidate.candidate).
inline const std::vector<std::string> chromium_trickled = {
    "candidate:11901904 1 udp 2122260223 127.0.0.1 42583 typ host generation 0 ufrag 1Izu network-id 1 network-cost 50",
    "candidate:2121955656 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 ufrag 1Izu network-id 1 network-cost 50",
};

} // namespace peddlenet::testing
