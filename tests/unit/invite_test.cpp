// Invite links (core/invite.hpp): building, parsing, round trips, and refusal of hostile links.
#include "core/invite.hpp"
#include "core/text.hpp"
#include "qr/qr.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>

using namespace peddlenet;

TEST_CASE("page URLs: query and fragment cut, scheme and host lower-cased, default port dropped", "[invite]") {
    CHECK(page_url_of("https://10.0.0.2:8443/") == "https://10.0.0.2:8443/");
    CHECK(page_url_of("HTTPS://Festival.Example:443/app/index.html?x=1#join=a") ==
          "https://festival.example/app/index.html");
    CHECK(page_url_of("http://127.0.0.1:80") == "http://127.0.0.1/");
    CHECK(page_url_of("http://127.0.0.1:8080/#join=r") == "http://127.0.0.1:8080/");
    CHECK(page_url_of("http://[::1]:9000/") == "http://[::1]:9000/");
    CHECK(page_url_of("http://host?q") == "http://host/");

    for (const char* bad : {"", "festival.example/", "ftp://host/", "javascript://host/%0aalert(1)",
                            "https://", "https:///path", "https://user@host/", "https://ho st/",
                            "https://host:/", "https://host:123456/", "https://host:80a/",
                            "https://host\\evil/", "https://h\xC3\xA9.example/", "https://host/\x01"}) {
        INFO(bad);
        CHECK_FALSE(page_url_of(bad));
    }
    CHECK_FALSE(page_url_of("https://host/" + std::string(max_invite_url_length, 'a')));
}

// Found by fuzz_invite: a colon inside the host passed, and normalizing then changed the URL's
// meaning (the next normalization refused what the first one returned).
TEST_CASE("page URLs: a colon belongs only to a port or a bracketed IPv6 host", "[invite]") {
    CHECK_FALSE(page_url_of("HTTPS://Example.:443COM:443/path/?q=1#join=Eamxaple.COM:443/>>>&x=y"));
    CHECK_FALSE(page_url_of("https://a:b:8443/"));
    CHECK_FALSE(page_url_of("https://[zz::1]/"));
    CHECK_FALSE(page_url_of("https://[]/"));
    CHECK_FALSE(normalize_signaling_url("ws://a.:80b:80/ws"));
    CHECK(page_url_of("https://[FE80::1]:8443/") == "https://[fe80::1]:8443/");
    CHECK(page_url_of("https://[::ffff:10.0.0.2]/") == "https://[::ffff:10.0.0.2]/");
}

// Found by fuzz_invite: "ws://h?query" normalizes to "ws://h/?query", one byte longer, so a
// server URL at the limit came out over it.
TEST_CASE("a normalized URL stays within its limit", "[invite]") {
    const std::string at_limit = "wss://h?" + std::string(max_server_url_length - 8, 'q');
    REQUIRE(at_limit.size() == max_server_url_length);
    CHECK_FALSE(normalize_signaling_url(at_limit));
    CHECK(normalize_signaling_url(at_limit.substr(0, max_server_url_length - 1)));
    CHECK_FALSE(parse_invite_fragment("join=r&server=" + at_limit));
}

// Found by fuzz_invite: an invite whose page is so long that its server URL passes
// max_server_url_length parsed, yet no invite could be made again from it.
TEST_CASE("an invite means a server the app can name again", "[invite]") {
    const std::string page = "https://" + std::string(300, 'b') + "/";
    REQUIRE(page_url_of(page));
    CHECK_FALSE(parse_invite_url(page + "#join=zo"));
    const auto link = parse_invite_url("https://festival.example/#join=zo");
    REQUIRE(link);
    CHECK(make_invite_url(link->page, link->invite.room, link->signaling));
}

TEST_CASE("the default signaling server is ws next to the page, ws for http and wss for https", "[invite]") {
    CHECK(default_signaling_url("http://127.0.0.1:8080/") == "ws://127.0.0.1:8080/ws");
    CHECK(default_signaling_url("https://10.0.0.2:8443/#join=x") == "wss://10.0.0.2:8443/ws");
    CHECK(default_signaling_url("https://host/app/index.html?q") == "wss://host/app/ws");
    CHECK(default_signaling_url("https://host") == "wss://host/ws");
    CHECK_FALSE(default_signaling_url("file:///index.html"));
}

TEST_CASE("an invite is the page URL plus #join=<room>; server only when it is not the page's own", "[invite]") {
    CHECK(make_invite_url("https://10.0.0.2:8443/", "festival-main-stage", "wss://10.0.0.2:8443/ws") ==
          "https://10.0.0.2:8443/#join=festival-main-stage");
    // The page's query and fragment (e.g. the invite it was opened with) never leak into a new one.
    CHECK(make_invite_url("http://127.0.0.1:8080/?utm=x#join=old", "new-room", "ws://127.0.0.1:8080/ws") ==
          "http://127.0.0.1:8080/#join=new-room");
    // Spelling differences of the same server are not a different server.
    CHECK(make_invite_url("https://host/", "r", "WSS://HOST:443/ws") == "https://host/#join=r");
    CHECK(make_invite_url("https://app.example/", "amber-otter-42", "wss://signal.example/ws") ==
          "https://app.example/#join=amber-otter-42&server=wss://signal.example/ws");
    // Characters that would end the parameter or the fragment are encoded.
    const auto with_query = make_invite_url("https://app.example/", "r", "wss://signal.example/ws?a=1&b=2");
    REQUIRE(with_query);
    CHECK(*with_query == "https://app.example/#join=r&server=wss://signal.example/ws%3Fa%3D1%26b%3D2");

    CHECK_FALSE(make_invite_url("https://host/", "", "wss://host/ws"));
    CHECK_FALSE(make_invite_url("https://host/", "bad room", "wss://host/ws"));
    CHECK_FALSE(make_invite_url("https://host/", std::string(65, 'a'), "wss://host/ws"));
    CHECK_FALSE(make_invite_url("https://host/", "r", "ws"));            // relative: resolve it first
    CHECK_FALSE(make_invite_url("https://host/", "r", "https://host/ws")); // not a WebSocket URL
    CHECK_FALSE(make_invite_url("about:blank", "r", "wss://host/ws"));
}

TEST_CASE("a private room's key travels in the fragment, exactly 16 bytes, canonical base64url", "[invite]") {
    const std::string key("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\xfe\xff", 16);
    REQUIRE(key.size() == 16);
    const auto url = make_invite_url("http://127.0.0.1:8080/", "crew", "ws://127.0.0.1:8080/ws", key);
    REQUIRE(url);
    CHECK(*url == "http://127.0.0.1:8080/#join=crew&key=AAECAwQFBgcICQoLDA3-_w");
    const auto link = parse_invite_url(*url);
    REQUIRE(link);
    CHECK(link->invite.room == "crew");
    CHECK(link->invite.key == key);
    CHECK(parse_invite_fragment("#key=AAECAwQFBgcICQoLDA3-_w&join=crew")->key == key); // any order

    CHECK_FALSE(make_invite_url("http://h/", "crew", "ws://h/ws", "short"));
    for (const char* bad : {"#join=r&key=", "#join=r&key=AAECAwQFBgcICQoLDA3-_x", // non-canonical tail
                            "#join=r&key=AAECAwQFBgcICQoLDA3-_w==", "#join=r&key=AAECAwQFBgcICQoLDA3+/w",
                            "#join=r&key=AAECAwQFBgcICQoLDA0", "#join=r&key=AAECAwQFBgcICQoLDA3-_wAA",
                            "#join=r&key=AAECAwQFBgcICQoLDA3-_w&key=AAECAwQFBgcICQoLDA3-_w"}) {
        INFO(bad);
        CHECK_FALSE(parse_invite_fragment(bad));
    }
}

TEST_CASE("parsing a fragment validates every value and ignores unknown parameters", "[invite]") {
    const auto plain = parse_invite_fragment("#join=festival-main-stage");
    REQUIRE(plain);
    CHECK(plain->room == "festival-main-stage");
    CHECK(plain->server.empty());
    CHECK(parse_invite_fragment("join=a_b-C9")->room == "a_b-C9");

    // Forward compatibility: anything newer is ignored, in any order.
    const auto newer = parse_invite_fragment("#v=2&join=r&theme=dark&&flag");
    REQUIRE(newer);
    CHECK(newer->room == "r");
    CHECK(newer->key.empty());

    const auto server = parse_invite_fragment("#join=r&server=wss%3A%2F%2FSignal.Example%3A443%2Fws%3Ft%3D1");
    REQUIRE(server);
    CHECK(server->server == "wss://signal.example/ws?t=1");
    CHECK(parse_invite_fragment("#join=r&server=ws://127.0.0.1:9000/ws")->server == "ws://127.0.0.1:9000/ws");
    CHECK(parse_invite_fragment("#join=%61%62c")->room == "abc"); // percent-encoded ids are the same ids

    for (const char* bad : {"", "#", "#join", "#join=", "#room=r", "#JOIN=r", "#join=a%20b", "#join=a+b",
                            "#join=%zz", "#join=%4", "#join=%", "#join=caf%C3%A9", "#join=a/b", "#join=a&join=b",
                            "#join=a&join=a", "#join=r&server=", "#join=r&server=https://host/ws",
                            "#join=r&server=wss://user@evil/ws", "#join=r&server=javascript:alert(1)",
                            "#join=r&server=wss://a/ws&server=wss://b/ws", "#join=r&server=wss%3A%2F%2Fho%20st%2Fws",
                            "#join=r&server=wss://host/ws%23frag"}) {
        INFO(bad);
        CHECK_FALSE(parse_invite_fragment(bad));
    }
    CHECK_FALSE(parse_invite_fragment("#join=" + std::string(65, 'a')));
    CHECK(parse_invite_fragment("#join=" + std::string(64, 'a')));
    CHECK_FALSE(parse_invite_fragment("#join=r&server=wss://h/" + std::string(max_server_url_length, 'a')));
    CHECK_FALSE(parse_invite_fragment("#join=r&x=" + std::string(max_invite_url_length, 'a')));
}

TEST_CASE("parsing a whole URL gives the page, the room and the server to join on", "[invite]") {
    const auto link = parse_invite_url("https://10.0.0.2:8443/#join=festival-main-stage");
    REQUIRE(link);
    CHECK(link->page == "https://10.0.0.2:8443/");
    CHECK(link->invite.room == "festival-main-stage");
    CHECK(link->signaling == "wss://10.0.0.2:8443/ws");

    const auto other = parse_invite_url("https://app.example/?src=poster#join=r&server=ws%3A%2F%2F10.0.0.9%3A9000%2Fws");
    REQUIRE(other);
    CHECK(other->page == "https://app.example/");
    CHECK(other->signaling == "ws://10.0.0.9:9000/ws");

    for (const char* bad : {"festival-main-stage", "#join=r", "https://host/", "https://host/#", "https://host/#x=1",
                            "http://host/#join=bad%20room", "ftp://host/#join=r", "https://host/ #join=r",
                            "https://evil@host/#join=r", "WIFI:S:festival;T:WPA;P:secret;;", "hello world",
                            "https://host/#join=r\n"}) {
        INFO(bad);
        CHECK_FALSE(parse_invite_url(bad));
    }
}

TEST_CASE("random rooms and servers survive make -> parse, and the QR round trip", "[invite]") {
    std::mt19937 rng(2024);
    constexpr std::string_view id_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    auto random_id = [&](int length) {
        std::string s;
        for (int i = 0; i < length; ++i) s += id_chars[static_cast<std::size_t>(pick(0, 63))];
        return s;
    };
    std::size_t longest = 0;
    for (int i = 0; i < 300; ++i) {
        const std::string host = std::to_string(pick(1, 254)) + "." + std::to_string(pick(0, 255)) + ".0." +
                                 std::to_string(pick(1, 254)) + ":" + std::to_string(pick(1024, 65535));
        const bool tls = pick(0, 1) == 1;
        const std::string page = std::string(tls ? "https://" : "http://") + host + "/";
        const std::string room = random_id(pick(1, 64));
        // Half the time the signaling server lives elsewhere, with a path and a query to encode.
        const bool elsewhere = pick(0, 1) == 1;
        const std::string server = elsewhere ? "wss://" + random_id(pick(1, 20)) + ".example/" + random_id(pick(0, 30)) +
                                                   "?room=" + random_id(pick(1, 10)) + "&a=b%20c"
                                             : *default_signaling_url(page);
        // Host names are case-insensitive: links carry them lower-cased.
        const std::string expected = *normalize_signaling_url(server);
        const auto url = make_invite_url(page, room, server);
        REQUIRE(url);
        longest = std::max(longest, url->size());
        const auto link = parse_invite_url(*url);
        REQUIRE(link);
        CHECK(link->page == page);
        CHECK(link->invite.room == room);
        CHECK(link->signaling == expected);
        CHECK(link->invite.server == (elsewhere ? expected : std::string()));
        // The text the QR code carries comes back exactly (the app's encoder, the app's decoder).
        if (i % 10 == 0) {
            const auto code = qr::encode(*url);
            REQUIRE(code);
            const int scale = 4, side = (code->size + 2 * qr::quiet_zone_modules) * scale;
            std::vector<std::uint8_t> pixels(static_cast<std::size_t>(side * side), 255);
            for (int y = 0; y < side; ++y)
                for (int x = 0; x < side; ++x)
                    if (code->at(x / scale - qr::quiet_zone_modules, y / scale - qr::quiet_zone_modules))
                        pixels[static_cast<std::size_t>(y * side + x)] = 0;
            CHECK(qr::decode_luminance(pixels.data(), side, side, side) == *url);
        }
    }
    CHECK(longest < 400); // the largest invite still makes a QR code phones read easily
}
