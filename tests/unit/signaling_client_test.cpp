// SignalingClient (core/signaling_client.hpp) against a scripted socket and a real RoomEngine
// on a do-nothing RTC transport: join on connect, reconnection with backoff, keepalive,
// server frames reaching the engine, "replaced" ending the retries, hostile frames refused.
#include "core/room_engine.hpp"
#include "core/signaling_client.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

using namespace peddlenet;

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
    void create_connection(const std::string& peer) override { live.push_back(peer); }
    void close_connection(const std::string& peer) override { std::erase(live, peer); }
    void set_local_description(const std::string&) override {}
    void set_remote_description(const std::string&, const SessionDescription&) override {}
    void add_ice_candidate(const std::string&, const nlohmann::json&) override {}
    void restart_ice(const std::string&) override {}
    bool send(const std::string&, std::string_view) override { return false; }
    SignalingState signaling_state(const std::string&) const override { return SignalingState::stable; }
    std::vector<std::string> live;
};

struct Fixture {
    double now = 1000;
    std::mt19937 rng{42};
    InertRtc rtc;
    ScriptedSocket socket;
    RoomEngine engine{rtc,
                      RoomCallbacks{[](const std::string&, const nlohmann::json&) {}, {}, {}, {}},
                      RoomClock{[this] { return now; }, [] { return std::int64_t{1700000000000}; }},
                      [this] { return static_cast<std::uint32_t>(rng()); },
                      "me-1",
                      "Me"};
    std::vector<std::string> joined_rooms, errors;
    SignalingClient client{socket,
                           engine,
                           SignalingCallbacks{[this](const std::string& r) { joined_rooms.push_back(r); },
                                              [this](const std::string& code, const std::string&) {
                                                  errors.push_back(code);
                                              },
                                              {}},
                           [this] { return static_cast<std::uint32_t>(rng()); },
                           [this] { return now; }};

    void enter(const std::string& room) {
        engine.enter_room(room);
        client.join(room, "Me");
    }
    bool sent_contains(const std::string& needle) const {
        for (const auto& s : socket.sent)
            if (s.find(needle) != std::string::npos) return true;
        return false;
    }
};

} // namespace

TEST_CASE("the room is joined as soon as the socket opens", "[signaling-client]") {
    Fixture f;
    f.enter("stage");
    f.client.start("/ws");
    REQUIRE(f.socket.opened == std::vector<std::string>{"/ws"});
    CHECK(f.client.status() == SignalingStatus::connecting);
    CHECK(f.socket.sent.empty());
    f.client.on_open();
    CHECK(f.client.status() == SignalingStatus::online);
    REQUIRE(f.socket.sent.size() == 1);
    CHECK(f.socket.sent[0] == protocol::build_join("stage", "me-1", "Me"));

    f.client.on_message(R"({"type":"joined","room":"stage","peer":"me-1","peers":[{"peer":"zed","name":"Zed"}]})");
    CHECK(f.client.joined());
    CHECK(f.joined_rooms == std::vector<std::string>{"stage"});
    CHECK(f.engine.link_count() == 1);
    f.client.on_message(R"({"type":"peer-joined","peer":"amy","name":"Amy"})");
    CHECK(f.engine.link_count() == 2);
    f.client.on_message(R"({"type":"peer-left","peer":"zed"})");
    CHECK(f.engine.link_count() == 1);
}

TEST_CASE("a dropped connection is retried with backoff and the room re-joined", "[signaling-client]") {
    Fixture f;
    f.enter("stage");
    f.client.start("/ws");
    f.client.on_open();
    f.client.on_message(R"({"type":"joined","room":"stage","peer":"me-1","peers":[]})");
    f.socket.sent.clear();

    f.client.on_closed();
    CHECK(f.client.status() == SignalingStatus::offline);
    CHECK_FALSE(f.client.joined());
    const double wait = f.client.ms_until_next_tick();
    CHECK(wait >= 250); // first retry: uniform in [base/2, base] = [250, 500] ms
    CHECK(wait <= 500);
    f.now += wait - 1;
    f.client.tick();
    CHECK(f.socket.opened.size() == 1);
    f.now += 1;
    f.client.tick();
    CHECK(f.socket.opened.size() == 2);

    // Failures in a row back off further, up to the cap.
    double last = 0;
    for (int i = 0; i < 12; ++i) {
        f.client.on_closed();
        last = f.client.ms_until_next_tick();
        f.now += last;
        f.client.tick();
    }
    CHECK(last >= 7500);
    CHECK(last <= 15000);

    f.client.on_open();
    CHECK(f.sent_contains(R"("type":"join")"));
}

TEST_CASE("keepalive pings, and a silent server counts as gone", "[signaling-client]") {
    Fixture f;
    f.client.start("/ws");
    f.client.on_open();
    f.now += 20000;
    f.client.tick();
    CHECK(f.sent_contains(R"("type":"ping")"));
    f.client.on_message(R"({"type":"pong"})");
    f.now += 44000;
    f.client.tick();
    CHECK(f.client.status() == SignalingStatus::online);
    f.now += 2000; // 46 s since the pong
    f.client.tick();
    CHECK(f.client.status() == SignalingStatus::offline);
    CHECK(f.socket.closes >= 1);
}

TEST_CASE("being replaced by the same peer elsewhere stops the retries", "[signaling-client]") {
    Fixture f;
    f.enter("stage");
    f.client.start("/ws");
    f.client.on_open();
    f.client.on_message(R"({"type":"error","code":"replaced","message":"joined elsewhere"})");
    f.client.on_closed();
    f.now += 60000;
    f.client.tick();
    CHECK(f.socket.opened.size() == 1);
    CHECK(f.errors == std::vector<std::string>{"replaced"});
}

TEST_CASE("hostile or stale server frames change nothing", "[signaling-client]") {
    Fixture f;
    f.enter("stage");
    f.client.start("/ws");
    f.client.on_open();
    // Events before our join is confirmed, and a joined for another room, are ignored.
    f.client.on_message(R"({"type":"peer-joined","peer":"amy","name":"Amy"})");
    f.client.on_message(R"({"type":"joined","room":"other","peer":"me-1","peers":[]})");
    CHECK_FALSE(f.client.joined());
    CHECK(f.engine.link_count() == 0);
    for (const char* bad : {"", "null", "[]", "{", R"({"type":"joined"})", R"({"type":"nope"})",
                            "%s%n", "\xff\xfe", R"({"type":"signal","from":"x","data":"not an object"})"}) {
        f.client.on_message(bad);
    }
    CHECK(f.errors.size() >= 7);
    CHECK(f.client.status() == SignalingStatus::online);
    CHECK(f.engine.link_count() == 0);
}
