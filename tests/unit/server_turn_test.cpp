// TURN credentials (server/turn_credentials.hpp) in the TURN REST API form coturn checks with
// --use-auth-secret, and the secret file they come from.
#include "server/turn_credentials.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>

using namespace peddlenet::server;

TEST_CASE("TURN credentials: '<expiry>:<peer>' and base64(HMAC-SHA1(secret, username))",
          "[server][turn]") {
    // Expected value from Python's hmac module, an implementation apart from OpenSSL's:
    // base64.b64encode(hmac.new(b"festival-secret-0123456789", b"1700043200:peerXYZ", sha1).digest())
    const TurnCredential c = make_turn_credential("festival-secret-0123456789", "peerXYZ",
                                                  1'700'000'000, std::chrono::hours(12));
    CHECK(c.expires_unix == 1'700'043'200);
    CHECK(c.username == "1700043200:peerXYZ");
    CHECK(c.credential == "8sKbBxlsBovoQ5fR9ZNUubG5s08=");
    // Another secret or peer, another password; the lifetime never passes 24 h.
    CHECK(make_turn_credential("festival-secret-0123456789", "peerXYZ", 1'700'000'000,
                               std::chrono::hours(12))
              .credential == c.credential);
    CHECK(make_turn_credential("another-secret-0123456789", "peerXYZ", 1'700'000'000,
                               std::chrono::hours(12))
              .credential != c.credential);
    CHECK(make_turn_credential("festival-secret-0123456789", "peerXYZ", 1'700'000'000,
                               std::chrono::hours(48))
              .expires_unix == 1'700'000'000 + 24 * 3600);
}

TEST_CASE("the TURN secret file: first line, trimmed, at least 16 characters", "[server][turn]") {
    const std::string path = "turn_secret_test.txt";
    const auto write = [&](const std::string& text) { std::ofstream(path) << text; };
    std::string error;
    write("  0123456789abcdef0123  \nignored\n");
    CHECK(read_turn_secret(path, error) == std::optional<std::string>("0123456789abcdef0123"));
    write("short\n");
    CHECK_FALSE(read_turn_secret(path, error));
    CHECK(error.find("shorter than 16") != std::string::npos);
    std::remove(path.c_str());
    CHECK_FALSE(read_turn_secret(path, error));
    CHECK(error.find("cannot read") != std::string::npos);
}
