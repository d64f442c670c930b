// The server's WebSocket reader: messages from frames in any split, fragments, errors, buffers.
#include "server/ws_reader.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

using namespace peddlenet::server::ws;

namespace {

// A masked client frame.
std::string frame(std::uint8_t opcode, bool fin, const std::string& payload) {
    const std::uint8_t key[4] = {0x11, 0x22, 0x33, 0x44};
    std::string out;
    out += static_cast<char>((fin ? 0x80 : 0) | opcode);
    if (payload.size() < 126) {
        out += static_cast<char>(0x80 | payload.size());
    } else {
        out += static_cast<char>(0x80 | 126);
        out += static_cast<char>(payload.size() >> 8);
        out += static_cast<char>(payload.size() & 0xFF);
    }
    out.append(reinterpret_cast<const char*>(key), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        out += static_cast<char>(payload[i] ^ key[i % 4]);
    return out;
}

struct Fed {
    std::vector<ReadEvent::Kind> kinds;
    std::vector<std::string> payloads;
};

// Feeds `bytes` in pieces of `piece` bytes.
Fed feed(Reader& reader, const std::string& bytes, std::size_t piece) {
    Fed fed;
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
        std::string chunk = bytes.substr(at, piece);
        reader.receive(reinterpret_cast<std::uint8_t*>(chunk.data()), chunk.size());
        while (auto e = reader.next()) {
            fed.kinds.push_back(e->kind);
            fed.payloads.emplace_back(e->payload);
        }
        reader.end_read();
    }
    return fed;
}

} // namespace

TEST_CASE("ws reader: messages and control frames in any split", "[server][ws]") {
    const std::string bytes = frame(0x1, true, "{\"type\":\"ping\"}") + frame(0x9, true, "hi") +
                              frame(0x2, false, "ab") + frame(0x0, false, "cd") +
                              frame(0x0, true, std::string(300, 'e')) + frame(0x8, true, "\x03\xe8");
    for (std::size_t piece : {1, 3, 7, 1000}) {
        Reader reader(1024);
        const Fed fed = feed(reader, bytes, piece);
        REQUIRE(fed.kinds == std::vector{ReadEvent::Kind::message, ReadEvent::Kind::ping,
                                          ReadEvent::Kind::message, ReadEvent::Kind::close});
        CHECK(fed.payloads[0] == "{\"type\":\"ping\"}");
        CHECK(fed.payloads[2] == "abcd" + std::string(300, 'e'));
        CHECK(reader.held_bytes() == 0); // idle between messages
    }
}

TEST_CASE("ws reader: limits and protocol errors end the input", "[server][ws]") {
    SECTION("a reassembled message over the limit") {
        Reader reader(10);
        const Fed fed = feed(reader, frame(0x1, false, "123456") + frame(0x0, true, "78901") +
                                         frame(0x1, true, "after"), 1000);
        REQUIRE(fed.kinds == std::vector{ReadEvent::Kind::error});
        CHECK(reader.failed());
    }
    SECTION("continuation without a start") {
        Reader reader(100);
        CHECK(feed(reader, frame(0x0, true, "x"), 1000).kinds == std::vector{ReadEvent::Kind::error});
    }
    SECTION("a new message inside a fragmented one") {
        Reader reader(100);
        CHECK(feed(reader, frame(0x1, false, "a") + frame(0x1, true, "b"), 1000).kinds ==
              std::vector{ReadEvent::Kind::error});
    }
}

// Found by fuzz_ws_reader: after an error the fragment being assembled stayed allocated until
// the connection's teardown (up to the close timeout).
TEST_CASE("ws reader: an error frees the fragment being assembled", "[server][ws]") {
    Reader reader(300);
    const Fed fed = feed(reader, frame(0x1, false, std::string(200, 'a')) + frame(0x1, true, "b"), 1000);
    REQUIRE(fed.kinds == std::vector{ReadEvent::Kind::error});
    CHECK(reader.held_bytes() == 0);
}
