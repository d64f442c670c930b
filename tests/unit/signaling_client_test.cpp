// SignalingClient (core/signaling_client.hpp) against a scripted socket, a scripted signer and a
// real RoomEngine on a do-nothing RTC transport: the signed join after the server's challenge,
// late signatures dropped, reconnection with backoff, keepalive, server frames (with sessions)
// reaching the engine, "replaced" ending the retries, hostile frames refused.
#include "core/room_engine.hpp"
#include "core/signaling_client.hpp"
#include "core/trust.hpp"
#include "openssl_crypto.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace peddlenet;
using peddlenet::testing::OpenSslCrypto;

namespace {

class ScriptedSocket final : public SignalingSocket {
public:
    void open(const std::string& url) override { opened.push_back(url); }
    bool send(std::string_view text) override {
        sent.emplace_back(text);
        return true;
    }
    void close() override { ++closes; }
    std::vector<std::string> opened, sent;
    int closes = 0;
};

// Connections that never complete: enough to see links created and closed.
class InertRtc final : public RtcTransport {
public:
    void create_connection(const std::string& peer, bool) override { live.push_back(peer); }
    void close_connection(const std::string& peer) override { std::erase(live, peer); }
    void set_local_description(const std::string&) override {}
    void set_remote_description(const std::string&, const SessionDescription&) override {}
    void add_ice_candidate(const std::string&, const nlohmann::json&) override {}
    void restart_ice(const std::string&) override {}
    bool send(const std::string&, std::string_view) override { return false; }
    void get_fingerprints(const std::string&) override {}
    SignalingState signaling_state(const std::string&) const override { return SignalingState::stable; }
    std::vector<std::string> live;
};

RoomKeys open_room(const std::string& name) {
    OpenSslCrypto crypto;
    std::optional<RoomKeys> keys;
    derive_open_room(crypto, name, [&](std::optional<RoomKeys> k) { keys = std::move(k); });
    return *keys;
}

// A deterministic stand-in for the device's signature (the server is not involved here).
std::string fake_sig(const std::string& payload) {
    return "sig" + std::to_string(std::hash<std::string>{}(payload));
}

const std::string nonce1(protocol::nonce_chars, 'a'), nonce2(protocol::nonce_chars, 'b');
const std::string zed = OpenSslCrypto("zed").peer_id(), amy = OpenSslCrypto("amy").peer_id();

struct Fixture {
    double now = 1000;
    std::mt19937 rng{42};
    InertRtc rtc;
    OpenSslCrypto crypto{"me"};
    const std::string me = crypto.peer_id();
    const RoomKeys stage = open_room("stage");
    ScriptedSocket socket;
    RoomEngine engine{rtc,
                      crypto,
                      RoomCallbacks{[](const std::string&, const nlohmann::json&) {}, {}, {}, {}, {}, {}, {}, {}},
                      RoomClock{[this] { return now; }, [] { return std::int64_t{1700000000000}; }},
                      [this] { return static_cast<std::uint32_t>(rng()); },
                      me,
                      "Me"};
    std::vector<std::string> joined_rooms, errors;
    std::vector<std::pair<nlohmann::json, std::int64_t>> ice_servers;
    // The signer answers at once, or (async) keeps the requests for the test to answer.
    bool async = false;
    std::string answer; // when not async: "" means sign with fake_sig
    bool fail = false;
    std::vector<std::pair<std::string, std::function<void(std::string)>>> requests;
    std::unique_ptr<SignalingClient> client = make_client();

    std::unique_ptr<SignalingClient> make_client() {
        SignalingCallbacks callbacks;
        callbacks.joined = [this](const std::string& r) { joined_rooms.push_back(r); };
        callbacks.error = [this](const std::string& code, const std::string&) {
            errors.push_back(code);
        };
        callbacks.ice_servers = [this](const nlohmann::json& servers, std::int64_t expires) {
            ice_servers.emplace_back(servers, expires);
        };
        callbacks.sign_join = [this](const std::string& payload,
                                     std::function<void(std::string)> done) {
            if (async) {
                requests.emplace_back(payload, std::move(done));
                return;
            }
            requests.emplace_back(payload, nullptr);
            done(fail ? std::string() : fake_sig(payload));
        };
        return std::make_unique<SignalingClient>(
            socket, engine, std::move(callbacks), [this] { return static_cast<std::uint32_t>(rng()); },
            [this] { return now; });
    }

    void enter(const RoomKeys& keys) {
        engine.enter_room(keys);
        client->join(keys.id, "Me");
    }
    // The socket opens and the server sends its challenge, as it always does first.
    void connect(const std::string& nonce = nonce1) {
        client->on_open();
        client->on_message(protocol::build_challenge(nonce));
    }
    void answer_request(std::size_t i) { requests.at(i).second(fake_sig(requests.at(i).first)); }
    std::string signed_join(const std::string& nonce, const std::string& room) const {
        return protocol::build_join(room, me, "Me",
                                    fake_sig(protocol::join_signing_payload(nonce, room, me)));
    }
    std::vector<std::string> joins_sent() const {
        std::vector<std::string> out;
        for (const auto& s : socket.sent)
            if (s.find(R"("type":"join")") != std::string::npos) out.push_back(s);
        return out;
    }
    bool sent_contains(const std::string& needle) const {
        for (const auto& s : socket.sent)
            if (s.find(needle) != std::string::npos) return true;
        return false;
    }
    std::string joined_frame(const std::string& room, const std::string& peers = "[]") const {
        return R"({"type":"joined","room":")" + room + R"(","peer":")" + me +
               R"(","session":"Sme","peers":)" + peers + "}";
    }
};

} // namespace

TEST_CASE("the room is joined once the server's challenge is signed", "[signaling-client]") {
    Fixture f;
    f.enter(f.stage);
    f.client->start("/ws");
    REQUIRE(f.socket.opened == std::vector<std::string>{"/ws"});
    CHECK(f.client->status() == SignalingStatus::connecting);
    f.client->on_open();
    CHECK(f.client->status() == SignalingStatus::online);
    CHECK(f.socket.sent.empty()); // nothing to sign before the challenge
    CHECK(f.requests.empty());
    f.client->on_message(protocol::build_challenge(nonce1));
    REQUIRE(f.requests.size() == 1);
    CHECK(f.requests[0].first == protocol::join_signing_payload(nonce1, f.stage.id, f.me));
    REQUIRE(f.socket.sent.size() == 1);
    CHECK(f.socket.sent[0] == f.signed_join(nonce1, f.stage.id));

    f.client->on_message(f.joined_frame(
        f.stage.id, R"([{"peer":")" + zed + R"(","name":"Zed","session":"Szed"}])"));
    CHECK(f.client->joined());
    CHECK(f.joined_rooms == std::vector<std::string>{f.stage.id});
    CHECK(f.engine.link_count() == 1);
    f.client->on_message(R"({"type":"peer-joined","peer":")" + amy +
                         R"(","name":"Amy","session":"Samy"})");
    CHECK(f.engine.link_count() == 2);
    f.client->on_message(R"({"type":"peer-rejoined","peer":")" + amy +
                         R"(","name":"Amy","session":"Samy2"})");
    CHECK(f.engine.link_count() == 2);
    CHECK(f.rtc.live.size() == 2); // amy's link was replaced, not added
    f.client->on_message(R"({"type":"peer-left","peer":")" + zed + R"("})");
    CHECK(f.engine.link_count() == 1);
    CHECK(f.errors.empty());
}

TEST_CASE("the server's TURN credentials reach the app; a malformed list is an error",
          "[signaling-client]") {
    Fixture f;
    f.enter(f.stage);
    f.connect();
    const std::vector<std::string> urls = {"turn:10.0.0.1:3478?transport=udp"};
    f.client->on_message(protocol::build_ice_servers(urls, "1700043200:" + f.me, "Y3JlZA==", 1700043200));
    REQUIRE(f.ice_servers.size() == 1);
    CHECK(f.ice_servers[0].first ==
          nlohmann::json::parse(R"([{"urls":"turn:10.0.0.1:3478?transport=udp","username":"1700043200:)" +
                                f.me + R"(","credential":"Y3JlZA=="}])"));
    CHECK(f.ice_servers[0].second == 1700043200);
    f.client->on_message(R"({"type":"ice-servers","servers":[{"urls":"turn:x"}],"expires":1})");
    CHECK(f.ice_servers.size() == 1);
    REQUIRE(f.errors.size() == 1);
    CHECK(f.errors[0] == "bad-field");
}

TEST_CASE("a join asked for while online but before the challenge waits for it",
          "[signaling-client]") {
    Fixture f;
    f.client->start("/ws");
    f.client->on_open();
    f.enter(f.stage);
    CHECK(f.requests.empty());
    CHECK(f.socket.sent.empty());
    f.client->on_message(protocol::build_challenge(nonce1));
    CHECK(f.joins_sent() == std::vector<std::string>{f.signed_join(nonce1, f.stage.id)});
    // a second challenge on the same connection changes nothing
    f.client->on_message(protocol::build_challenge(nonce2));
    CHECK(f.requests.size() == 1);
    CHECK(f.joins_sent().size() == 1);
    // and a repeated join() of the same room sends no second join
    f.client->join(f.stage.id, "Me");
    CHECK(f.joins_sent().size() == 1);
}

TEST_CASE("a signature that comes back late counts only for the join it was made for",
          "[signaling-client]") {
    Fixture f;
    f.async = true;
    f.enter(f.stage);
    f.client->start("/ws");
    f.connect(nonce1);
    REQUIRE(f.requests.size() == 1);

    // the connection drops while the signer works: that signature is for the dead connection
    f.client->on_closed();
    f.answer_request(0);
    CHECK(f.socket.sent.empty());
    f.now += f.client->ms_until_next_tick();
    f.client->tick();
    f.connect(nonce2);
    REQUIRE(f.requests.size() == 2);
    CHECK(f.requests[1].first == protocol::join_signing_payload(nonce2, f.stage.id, f.me));
    f.answer_request(1);
    CHECK(f.joins_sent() == std::vector<std::string>{f.signed_join(nonce2, f.stage.id)});
    f.client->on_message(f.joined_frame(f.stage.id));
    REQUIRE(f.client->joined());

    // another room while its signature is on the way; then the old room's answer arrives late
    const RoomKeys other = open_room("other");
    f.enter(other);
    CHECK(f.sent_contains(R"("type":"leave")"));
    REQUIRE(f.requests.size() == 3);
    const RoomKeys third = open_room("third");
    f.enter(third);
    REQUIRE(f.requests.size() == 4);
    f.answer_request(2); // for "other": dropped
    CHECK(f.joins_sent().size() == 1);
    f.answer_request(3);
    CHECK(f.joins_sent().back() == f.signed_join(nonce2, third.id));

    // left before the signature came back: nothing is sent
    f.client->leave();
    f.enter(f.stage);
    REQUIRE(f.requests.size() == 5);
    f.client->leave();
    const std::size_t sent = f.socket.sent.size();
    f.answer_request(4);
    CHECK(f.socket.sent.size() == sent);

    // answered after the client is gone: ignored, no crash
    f.enter(f.stage);
    REQUIRE(f.requests.size() == 6);
    f.client.reset();
    f.answer_request(5);
    CHECK(f.socket.sent.size() == sent);
}

TEST_CASE("a failed signature is reported, and the join can be asked for again",
          "[signaling-client]") {
    Fixture f;
    f.fail = true;
    f.enter(f.stage);
    f.client->start("/ws");
    f.connect();
    CHECK(f.errors == std::vector<std::string>{"sign-failed"});
    CHECK(f.joins_sent().empty());
    CHECK(f.requests.size() == 1); // no retry loop
    f.fail = false;
    f.client->join(f.stage.id, "Me");
    CHECK(f.joins_sent() == std::vector<std::string>{f.signed_join(nonce1, f.stage.id)});
}

TEST_CASE("a refused join (bad proof) is reported and may be asked for again",
          "[signaling-client]") {
    Fixture f;
    f.enter(f.stage);
    f.client->start("/ws");
    f.connect();
    f.client->on_message(R"({"type":"error","code":"bad-signature","message":"no"})");
    CHECK(f.errors == std::vector<std::string>{"bad-signature"});
    CHECK_FALSE(f.client->joined());
    f.client->join(f.stage.id, "Me");
    CHECK(f.joins_sent().size() == 2);
}

TEST_CASE("a dropped connection is retried with backoff and the room re-joined", "[signaling-client]") {
    Fixture f;
    f.enter(f.stage);
    f.client->start("/ws");
    f.connect();
    f.client->on_message(f.joined_frame(f.stage.id));
    f.socket.sent.clear();

    f.client->on_closed();
    CHECK(f.client->status() == SignalingStatus::offline);
    CHECK_FALSE(f.client->joined());
    const double wait = f.client->ms_until_next_tick();
    CHECK(wait >= 250); // first retry: uniform in [base/2, base] = [250, 500] ms
    CHECK(wait <= 500);
    f.now += wait - 1;
    f.client->tick();
    CHECK(f.socket.opened.size() == 1);
    f.now += 1;
    f.client->tick();
    CHECK(f.socket.opened.size() == 2);

    // Failures in a row back off further, up to the cap.
    double last = 0;
    for (int i = 0; i < 12; ++i) {
        f.client->on_closed();
        last = f.client->ms_until_next_tick();
        f.now += last;
        f.client->tick();
    }
    CHECK(last >= 7500);
    CHECK(last <= 15000);

    f.connect(nonce2); // the new connection's own challenge is signed
    CHECK(f.joins_sent() == std::vector<std::string>{f.signed_join(nonce2, f.stage.id)});
}

TEST_CASE("keepalive pings, and a silent server counts as gone", "[signaling-client]") {
    Fixture f;
    f.client->start("/ws");
    f.client->on_open();
    f.now += 20000;
    f.client->tick();
    CHECK(f.sent_contains(R"("type":"ping")"));
    f.client->on_message(R"({"type":"pong"})");
    f.now += 44000;
    f.client->tick();
    CHECK(f.client->status() == SignalingStatus::online);
    f.now += 2000; // 46 s since the pong
    f.client->tick();
    CHECK(f.client->status() == SignalingStatus::offline);
    CHECK(f.socket.closes >= 1);
}

TEST_CASE("being replaced by the same peer elsewhere stops the retries", "[signaling-client]") {
    Fixture f;
    f.enter(f.stage);
    f.client->start("/ws");
    f.connect();
    f.client->on_message(R"({"type":"error","code":"replaced","message":"joined elsewhere"})");
    f.client->on_closed();
    f.now += 60000;
    f.client->tick();
    CHECK(f.socket.opened.size() == 1);
    CHECK(f.errors == std::vector<std::string>{"replaced"});
}

TEST_CASE("signals reach the engine parsed, and only once joined", "[signaling-client]") {
    Fixture f;
    f.enter(f.stage);
    f.client->start("/ws");
    f.connect();
    const std::string signal = R"({"type":"signal","from":")" + zed + R"(","data":{"x":1}})";
    f.client->on_message(signal);
    const auto seen = [&] {
        return f.engine.stats().signals_dropped + f.engine.stats().signals_stale +
               f.engine.stats().signals_ignored;
    };
    CHECK(seen() == 0);
    f.client->on_message(f.joined_frame(
        f.stage.id, R"([{"peer":")" + zed + R"(","name":"Zed","session":"Szed"}])"));
    f.client->on_message(signal); // no envelope: the engine refuses it, but it got there
    CHECK(seen() == 1);
}

TEST_CASE("hostile or stale server frames change nothing", "[signaling-client]") {
    Fixture f;
    f.enter(f.stage);
    f.client->start("/ws");
    f.client->on_open();
    // A challenge that is not one is refused; nothing is signed.
    const std::vector<std::string> bad_challenges = {
        R"({"type":"challenge"})", R"({"type":"challenge","nonce":"x"})",
        R"({"type":"challenge","nonce":")" + std::string(42, 'a') + "=\"}"};
    for (const auto& bad : bad_challenges) f.client->on_message(bad);
    CHECK(f.requests.empty());
    CHECK(f.errors.size() == 3);
    f.client->on_message(protocol::build_challenge(nonce1));
    // Events before our join is confirmed, and a joined for another room, are ignored.
    f.client->on_message(R"({"type":"peer-joined","peer":")" + amy +
                         R"(","name":"Amy","session":"Samy"})");
    f.client->on_message(f.joined_frame("other"));
    CHECK_FALSE(f.client->joined());
    CHECK(f.engine.link_count() == 0);
    f.errors.clear();
    for (const char* bad : {"", "null", "[]", "{", R"({"type":"joined"})", R"({"type":"nope"})",
                            "%s%n", "\xff\xfe", R"({"type":"signal","from":"x","data":"not an object"})"}) {
        f.client->on_message(bad);
    }
    // joined without sessions (a v1 server's shape) is refused too
    f.client->on_message(R"({"type":"joined","room":")" + f.stage.id + R"(","peer":")" + f.me +
                         R"(","peers":[]})");
    CHECK(f.errors.size() >= 8);
    CHECK_FALSE(f.client->joined());
    CHECK(f.client->status() == SignalingStatus::online);
    CHECK(f.engine.link_count() == 0);
}
