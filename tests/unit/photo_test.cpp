// photo_test.cpp: photos in chat. File headers judged before decoding (core/photo), the chunk
// frame, photo messages signed and stored like text, and photos' bytes moving through a room
// (core/photo_transfer inside the room engine): to everyone, through a big room's relays, resumed
// after a link drops, under the upload bound, and refused when a peer's chunks do not add up.
#include "core/base64url.hpp"
#include "core/peer_protocol.hpp"
#include "core/photo.hpp"
#include "core/photo_transfer.hpp"
#include "core/trust.hpp"
#include "fake_rtc.hpp"

#include <catch2/catch.hpp>
#include <openssl/sha.h>

#include <memory>
#include <string>

using namespace peddlenet;
using namespace peddlenet::fake;

namespace {

std::string bytes(std::initializer_list<int> list) {
    std::string out;
    for (const int b : list) out.push_back(static_cast<char>(b));
    return out;
}

// A JPEG's first bytes: SOI, an APP1 of `app_bytes`, then a baseline frame header.
std::string jpeg_head(unsigned width, unsigned height, std::size_t app_bytes = 16) {
    std::string s = bytes({0xFF, 0xD8, 0xFF, 0xE1});
    s += bytes({static_cast<int>((app_bytes + 2) >> 8), static_cast<int>((app_bytes + 2) & 0xFF)});
    s += std::string(app_bytes, 'x');
    s += bytes({0xFF, 0xFF, 0xC0, 0x00, 0x11, 0x08, static_cast<int>(height >> 8), static_cast<int>(height & 0xFF),
                static_cast<int>(width >> 8), static_cast<int>(width & 0xFF), 0x03});
    return s + std::string(20, '\0');
}

std::string sha256_b64(const std::string& data) {
    unsigned char out[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
    return base64url_encode(std::string(reinterpret_cast<char*>(out), sizeof out));
}

// Deterministic photo-like bytes.
std::string photo_bytes(std::size_t n, unsigned seed) {
    std::string s(n, '\0');
    std::uint32_t x = seed * 2654435761u + 1;
    for (char& c : s) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        c = static_cast<char>(x & 0xFF);
    }
    return s;
}

PhotoRef ref_of(const std::string& data) {
    return PhotoRef{sha256_b64(data), static_cast<std::uint32_t>(data.size()), "image/webp", 1600, 1200};
}

using Pages = std::vector<std::unique_ptr<SimPeer>>;

Pages room_of(World& world, FakeServer& server, int n, RoomParams params = {}) {
    Pages pages;
    for (int i = 0; i < n; ++i) {
        pages.push_back(std::make_unique<SimPeer>(world, server, "ph" + std::to_string(i),
                                                  "P" + std::to_string(i), 500 + i, params));
        pages.back()->join("photos");
        run_ticking(world, pages, 300.0);
    }
    run_ticking(world, pages, 5000.0);
    return pages;
}

bool everyone_has(const Pages& pages, const std::string& hash, std::size_t from = 1) {
    for (std::size_t i = from; i < pages.size(); ++i)
        if (!pages[i]->photos.count(hash)) return false;
    return true;
}

// Page 0 sends `data` as a photo; runs until every page holds it (at most `ms`).
SendResult send_to_everyone(World& world, Pages& pages, const std::string& data, const std::string& caption,
                            double ms) {
    const PhotoRef ref = ref_of(data);
    const SendResult sent = pages[0]->engine.send_photo(ref, std::make_shared<const std::string>(data), caption);
    REQUIRE(sent.ok());
    run_ticking(world, pages, ms, [&] { return everyone_has(pages, ref.hash); });
    REQUIRE(everyone_has(pages, ref.hash));
    return sent;
}

} // namespace

TEST_CASE("a picked file is judged by its header before anything decodes it", "[photo]") {
    const ImageInspection jpeg = inspect_image(jpeg_head(4000, 3000, 3000), 2'500'000);
    CHECK(jpeg.ok());
    CHECK(jpeg.format == ImageFormat::jpeg);
    CHECK(jpeg.width == 4000);
    CHECK(jpeg.height == 3000);

    const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + bytes({0, 0, 0, 13}) + "IHDR" +
                            bytes({0, 0, 0x07, 0xD0, 0, 0, 0x05, 0xDC}) + std::string(8, '\0');
    CHECK(inspect_image(png, 1000).ok());
    CHECK(inspect_image(png, 1000).width == 2000);
    CHECK(inspect_image(png, 1000).height == 1500);

    // WebP, lossy (VP8), lossless (VP8L) and extended (VP8X).
    const std::string riff = std::string("RIFF") + bytes({0, 0, 0, 0}) + "WEBP";
    const std::string vp8 = riff + "VP8 " + bytes({0, 0, 0, 0, 0, 0, 0, 0x9d, 0x01, 0x2a, 0x40, 0x06, 0xB0, 0x04});
    CHECK(inspect_image(vp8, 100).width == 1600);
    CHECK(inspect_image(vp8, 100).height == 1200);
    const std::string vp8l = riff + "VP8L" + bytes({0, 0, 0, 0, 0x2f, 0x3F, 0xC6, 0x2B, 0x01});
    CHECK(inspect_image(vp8l, 100).width == 1600);
    CHECK(inspect_image(vp8l, 100).height == 1200);
    const std::string vp8x = riff + "VP8X" + bytes({0, 0, 0, 0, 0, 0, 0, 0, 0x3F, 0x06, 0, 0xAF, 0x04, 0});
    CHECK(inspect_image(vp8x, 100).width == 1600);
    CHECK(inspect_image(vp8x, 100).height == 1200);

    CHECK(inspect_image(std::string("GIF89a") + bytes({0x40, 0x01, 0xF0, 0x00}), 100).width == 320);
    std::string bmp = "BM" + std::string(12, '\0') + bytes({40, 0, 0, 0, 0x80, 0x02, 0, 0, 0x20, 0xFE, 0xFF, 0xFF});
    CHECK(inspect_image(bmp, 100).width == 640);
    CHECK(inspect_image(bmp, 100).height == 480); // negative: top-down

    // Refusals, each with its own message.
    CHECK(inspect_image("%PDF-1.7 a document", 20).error.id == "photo.not_image");
    CHECK(inspect_image("", 0).error.id == "photo.not_image");
    CHECK(inspect_image(jpeg_head(4000, 3000).substr(0, 12), 12).error.id == "photo.unreadable");
    CHECK(inspect_image(bytes({0xFF, 0xD8, 0xFF, 0xDA, 0, 4, 0, 0}), 8).error.id == "photo.unreadable");
    CHECK(inspect_image(jpeg_head(0, 3000), 100).error.id == "photo.unreadable");
    // A 50-megapixel camera: 8160 x 6120.
    const ImageInspection big = inspect_image(jpeg_head(8160, 6120), 20'000'000);
    CHECK(big.error == i18n::Message{"photo.too_many_pixels", {{"megapixels", "49.9"}, {"max", "40"}}});
    CHECK(inspect_image(jpeg_head(4000, 3000), max_source_file_bytes + 1).error.id == "photo.file_too_big");
    // A header that claims more bytes than there are is unreadable, not read past its end.
    CHECK(inspect_image(jpeg_head(4000, 3000, 70000).substr(0, image_head_bytes), 100'000).error.id ==
          "photo.unreadable");
}

TEST_CASE("chunk frames carry a photo's bytes and refuse what could not belong to one", "[photo]") {
    const std::string data = photo_bytes(5000, 1);
    const std::string hash = sha256_b64(data);
    const std::string frame = build_photo_chunk(hash, 16384, data);
    const auto chunk = parse_photo_chunk(frame);
    REQUIRE(chunk);
    CHECK(chunk->hash == hash);
    CHECK(chunk->offset == 16384);
    CHECK(chunk->data == data);

    std::string why;
    CHECK_FALSE(parse_photo_chunk(frame.substr(0, photo_chunk_header_bytes), &why));
    CHECK(why == "chunk too short");
    CHECK_FALSE(parse_photo_chunk("{" + frame.substr(1), &why));
    CHECK(why == "not a chunk");
    CHECK_FALSE(parse_photo_chunk(build_photo_chunk(hash, 0, std::string(photo_chunk_bytes + 1, 'a')), &why));
    CHECK(why == "chunk too long");
    CHECK_FALSE(parse_photo_chunk(build_photo_chunk(hash, max_photo_bytes - 10, std::string(11, 'a')), &why));
    CHECK(why == "chunk beyond any photo");
    CHECK(parse_photo_chunk(build_photo_chunk(hash, max_photo_bytes - 10, std::string(10, 'a'))));
}

TEST_CASE("a photo message is validated, stored and signed with its photo", "[photo]") {
    const PhotoRef ref = ref_of(photo_bytes(1000, 2));
    CHECK(photo_ref_from_json(photo_ref_to_json(ref)) == ref);
    for (const char* bad : {R"({"hash":"abc","bytes":1000,"type":"image/webp","w":1600,"h":1200})",
                            R"({"bytes":1000,"type":"image/webp","w":1600,"h":1200})",
                            R"({"hash":"HASH","bytes":0,"type":"image/webp","w":1600,"h":1200})",
                            R"({"hash":"HASH","bytes":600000,"type":"image/webp","w":1600,"h":1200})",
                            R"({"hash":"HASH","bytes":1000,"type":"image/svg+xml","w":1600,"h":1200})",
                            R"({"hash":"HASH","bytes":1000,"type":"image/webp","w":1601,"h":1200})",
                            R"({"hash":"HASH","bytes":1000,"type":"image/webp","w":1600,"h":-1})"}) {
        std::string text = bad;
        if (const auto at = text.find("HASH"); at != std::string::npos) text.replace(at, 4, ref.hash);
        INFO(text);
        CHECK_FALSE(photo_ref_from_json(nlohmann::json::parse(text)));
    }

    ChatMessage m;
    m.id = "m1";
    m.from = "author";
    m.name = "Ann";
    m.photo = ref;
    m.ts_ms = 1700000000000;
    m.lamport = 3;
    nlohmann::json j = chat_message_to_json(m);
    const auto back = chat_message_from_json(j);
    REQUIRE(back); // no caption is fine with a photo
    CHECK(back->photo == ref);
    CHECK(back->text.empty());
    j.erase("photo");
    CHECK_FALSE(chat_message_from_json(j)); // ... but not without one
    j["photo"] = "not an object";
    CHECK_FALSE(chat_message_from_json(j));

    // The signature covers the photo: another photo under the same words is another payload, and
    // a text message's payload is what it was before photos existed.
    ChatMessage other = m;
    other.photo->hash = sha256_b64("other");
    CHECK(message_signing_payload("room", m) != message_signing_payload("room", other));
    ChatMessage text = m;
    text.text = "hi";
    text.photo.reset();
    CHECK(message_signing_payload("room", text).find("photo") == std::string::npos);
}

TEST_CASE("a photo reaches everyone in a small room, each copy checked against the signed hash",
          "[photo][mesh]") {
    World world(7);
    FakeServer server(world);
    Pages pages = room_of(world, server, 3);
    const std::string data = photo_bytes(300 * 1024, 3);
    const PhotoRef ref = ref_of(data);
    const SendResult sent = send_to_everyone(world, pages, data, "", 20000.0);
    for (std::size_t i = 1; i < pages.size(); ++i) {
        CHECK(pages[i]->photos[ref.hash] == data);
        const ChatMessage* m = pages[i]->engine.log().find(sent.id);
        REQUIRE(m);
        CHECK(m->photo == ref);
        CHECK(pages[i]->engine.photos().counters().refused == 0);
    }
    // Each recipient's progress at the author: all of it, and reported whole.
    const auto rows = pages[0]->engine.photos().sent(ref.hash);
    REQUIRE(rows.size() == 2);
    for (const auto& row : rows) {
        CHECK(row.bytes == data.size());
        CHECK(row.whole);
    }
    // Bytes that are not the reference's are refused before anything is sent.
    CHECK(pages[0]->engine.send_photo(ref, std::make_shared<const std::string>("short"), "").error.id ==
          "photo.unreadable");
}

TEST_CASE("someone who joins later gets the photo message by reconciliation, then its bytes",
          "[photo][mesh]") {
    World world(19);
    FakeServer server(world);
    Pages pages = room_of(world, server, 2);
    const std::string data = photo_bytes(150 * 1024, 8);
    const PhotoRef ref = ref_of(data);
    const SendResult sent = send_to_everyone(world, pages, data, "at the gate", 10000.0);
    // The author leaves; a newcomer gets message and photo from the one who stayed.
    pages[0]->leave();
    run_ticking(world, pages, 2000.0);
    pages.push_back(std::make_unique<SimPeer>(world, server, "late", "Late", 900));
    pages.back()->join("photos");
    SimPeer& late = *pages.back();
    run_ticking(world, pages, 30000.0, [&] { return late.photos.count(ref.hash) != 0; });
    const ChatMessage* m = late.engine.log().find(sent.id);
    REQUIRE(m != nullptr);
    CHECK(m->text == "at the gate");
    CHECK(m->photo == ref);
    CHECK(late.photos[ref.hash] == data);
    // The history's storage form keeps the photo reference.
    ChatLog restored;
    restored.merge_storage_json(late.engine.history_json());
    REQUIRE(restored.find(sent.id) != nullptr);
    CHECK(restored.find(sent.id)->photo == ref);
}

TEST_CASE("in a big room a photo spreads through the relays: the author uploads to its links only",
          "[photo][mesh][big]") {
    World world(11);
    FakeServer server(world);
    RoomParams params;
    params.full_mesh_max = 4;
    params.degree = 3;
    params.degree_low = 2;
    params.degree_high = 5;
    Pages pages = room_of(world, server, 14, params);
    REQUIRE(pages[0]->engine.partial_mesh());
    const std::string data = photo_bytes(200 * 1024, 4);
    const PhotoRef ref = ref_of(data);
    REQUIRE(pages[0]->engine.send_photo(ref, std::make_shared<const std::string>(data), "stage").ok());
    run_ticking(world, pages, 60000.0, [&] { return everyone_has(pages, ref.hash); });
    REQUIRE(everyone_has(pages, ref.hash));
    const auto& author = pages[0]->engine.photos().counters();
    CHECK(author.bytes_sent <= pages[0]->engine.link_count() * data.size());
    CHECK(author.bytes_sent < (pages.size() - 1) * data.size());
    std::uint64_t relayed = 0;
    for (std::size_t i = 1; i < pages.size(); ++i) relayed += pages[i]->engine.photos().counters().bytes_sent;
    CHECK(relayed > 0);
}

TEST_CASE("a photo fetch resumes from where it stood after its link drops", "[photo][mesh]") {
    World world(13);
    FakeServer server(world);
    RoomParams params;
    params.photos.upload_bytes_per_s = 100 * 1024; // slow enough to cut it halfway
    Pages pages = room_of(world, server, 3, params);
    const std::string data = photo_bytes(400 * 1024, 5);
    const PhotoRef ref = ref_of(data);
    REQUIRE(pages[0]->engine.send_photo(ref, std::make_shared<const std::string>(data), "").ok());
    SimPeer& b = *pages[1];
    run_ticking(world, pages, 20000.0, [&] {
        const auto f = b.engine.photos().receiving(ref.hash);
        return f && *f > 0.3;
    });
    REQUIRE(b.engine.photos().receiving(ref.hash).value_or(0) > 0.3);
    REQUIRE(b.engine.photos().receiving(ref.hash).value_or(1) < 0.9);
    world.block(pages[0]->id, b.id);
    run_ticking(world, pages, 60000.0, [&] { return everyone_has(pages, ref.hash); });
    REQUIRE(everyone_has(pages, ref.hash));
    CHECK(b.photos[ref.hash] == data);
    // Resumed, not started over: what B received adds up to about one photo.
    CHECK(b.engine.photos().counters().bytes_received < data.size() + 64 * 1024);
}

TEST_CASE("chunks that do not add up are refused with a reason, and the photo comes from "
          "another member",
          "[photo][mesh][hostile]") {
    World world(17);
    FakeServer server(world);
    Pages pages = room_of(world, server, 3);
    const std::string data = photo_bytes(100 * 1024, 6);
    const PhotoRef ref = ref_of(data);
    SimPeer& a = *pages[0];
    SimPeer& b = *pages[1];
    SimPeer& c = *pages[2];

    SECTION("bytes altered on the way: the whole does not match the signed hash") {
        bool altering = false; // deliver() asks drop_frame again for the altered copy
        world.drop_frame = [&](const FakePc& from, const std::string& frame) {
            if (altering || from.owner != a.id || from.remote != b.id || frame.empty() || frame[0] != '\x01')
                return false;
            std::string altered = frame;
            altered.back() ^= 0x55;
            altering = true;
            a.rtc.deliver(from, altered, true);
            altering = false;
            return true;
        };
        REQUIRE(a.engine.send_photo(ref, std::make_shared<const std::string>(data), "").ok());
        run_ticking(world, pages, 30000.0, [&] { return everyone_has(pages, ref.hash); });
        REQUIRE(everyone_has(pages, ref.hash));
        CHECK(b.photos[ref.hash] == data);
        CHECK(b.engine.photos().counters().refused >= 1);
        CHECK(std::find(b.errors.begin(), b.errors.end(), a.id + ": a photo that does not match its signed hash") !=
              b.errors.end());
        (void)c;
    }
    SECTION("a chunk missing: the next one does not continue where the fetch stands") {
        int dropped = 0;
        world.drop_frame = [&](const FakePc& from, const std::string& frame) {
            return from.owner == a.id && from.remote == b.id && !frame.empty() && frame[0] == '\x01' &&
                   dropped++ == 2;
        };
        REQUIRE(a.engine.send_photo(ref, std::make_shared<const std::string>(data), "").ok());
        run_ticking(world, pages, 30000.0, [&] { return everyone_has(pages, ref.hash); });
        REQUIRE(everyone_has(pages, ref.hash));
        CHECK(b.photos[ref.hash] == data);
        CHECK(std::find(b.errors.begin(), b.errors.end(), a.id + ": photo chunks that do not add up") !=
              b.errors.end());
    }
    SECTION("garbage binary frames and chunks nobody asked for change nothing") {
        REQUIRE(a.engine.send_photo(ref, std::make_shared<const std::string>(data), "").ok());
        run_ticking(world, pages, 30000.0, [&] { return everyone_has(pages, ref.hash); });
        const auto dropped = b.engine.stats().frames_dropped;
        b.engine.on_channel_binary(a.id, "\x01short");
        b.engine.on_channel_binary(a.id, std::string(100, '\x02'));
        b.engine.on_channel_binary(a.id, build_photo_chunk(ref.hash, 0, "not the photo"));
        b.engine.on_channel_binary(a.id, build_photo_chunk(sha256_b64("x"), 0, "unknown photo"));
        CHECK(b.engine.stats().frames_dropped == dropped + 2);
        CHECK(b.photos[ref.hash] == data);
        CHECK(b.engine.photos().counters().refused == 0);
    }
}

TEST_CASE("serving keeps to the upload bound and to the link's send buffer", "[photo]") {
    testing::OpenSslCrypto crypto("bound");
    const std::string data = photo_bytes(300 * 1024, 7);
    const PhotoRef ref = ref_of(data);
    std::size_t sent = 0, buffered = 0;
    PhotoTransfers::Hooks hooks;
    hooks.send_text = [](const std::string&, const std::string&) { return true; };
    hooks.send_binary = [&](const std::string&, std::string_view frame) {
        sent += frame.size() - photo_chunk_header_bytes;
        return true;
    };
    hooks.buffered = [&](const std::string&) { return buffered; };
    PhotoTransferParams params;
    params.upload_bytes_per_s = 64 * 1024;
    PhotoTransfers server(crypto, hooks, params);
    server.provide(ref.hash, std::make_shared<const std::string>(data));
    server.on_get("b", ref.hash, 0);
    server.on_get("c", ref.hash, 0);
    for (int ms = 0; ms <= 1000; ms += 10) server.tick(ms, {"b", "c"});
    // One second at 64 KiB/s, plus the initial burst of four chunks.
    CHECK(sent >= 64 * 1024);
    CHECK(sent <= 64 * 1024 + 4 * photo_chunk_bytes + photo_chunk_bytes);
    // Both links were served, in turns.
    const auto rows = server.sent(ref.hash);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].bytes > 0);
    CHECK(rows[1].bytes > 0);
    // A full send buffer holds everything back.
    buffered = params.max_buffered_bytes;
    const std::size_t before = sent;
    for (int ms = 1010; ms <= 2000; ms += 10) server.tick(ms, {"b", "c"});
    CHECK(sent == before);
    // Asked for a photo it does not hold, it says so.
    std::vector<std::string> texts;
    hooks.send_text = [&](const std::string&, const std::string& frame) {
        texts.push_back(frame);
        return true;
    };
    PhotoTransfers empty(crypto, hooks, params);
    empty.on_get("b", ref.hash, 0);
    REQUIRE(texts.size() == 1);
    CHECK(texts[0] == build_photo_none_frame(ref.hash));
}
