// invite_fuzz.cpp: invite URLs (core/invite.hpp), the text of any QR code a phone scans.
// An accepted invite has a valid room id, a ws(s) server within the length limit and a key of
// exactly room_key_bytes; writing it again with make_invite_url gives a URL that parses back to
// the same invite; the URL normalizers are idempotent and never grow past their limits.
#include "core/invite.hpp"
#include "core/text.hpp"
#include "core/trust.hpp"
#include "fuzz/fuzz_check.hpp"

#include <cstdint>
#include <string>
#include <string_view>

using namespace peddlenet;

namespace {

void check_invite(const Invite& i) {
    FUZZ_CHECK(is_valid_id(i.room));
    FUZZ_CHECK(i.key.empty() || i.key.size() == room_key_bytes);
    if (!i.server.empty()) {
        FUZZ_CHECK(i.server.size() <= max_server_url_length);
        FUZZ_CHECK(normalize_signaling_url(i.server) == i.server);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    if (const auto page = page_url_of(text)) {
        FUZZ_CHECK(page->size() <= max_invite_url_length);
        FUZZ_CHECK(page_url_of(*page) == page); // idempotent
        FUZZ_CHECK(page->find('#') == std::string::npos && page->find('?') == std::string::npos);
        const auto signaling = default_signaling_url(*page);
        FUZZ_CHECK(signaling.has_value());
    }
    if (const auto url = normalize_signaling_url(text)) {
        FUZZ_CHECK(url->size() <= max_server_url_length);
        FUZZ_CHECK(normalize_signaling_url(*url) == url);
        FUZZ_CHECK(url->starts_with("ws://") || url->starts_with("wss://"));
    }
    if (const auto fragment = parse_invite_fragment(text)) check_invite(*fragment);

    const auto link = parse_invite_url(text);
    if (!link) return 0;
    check_invite(link->invite);
    FUZZ_CHECK(page_url_of(link->page) == link->page);
    FUZZ_CHECK(normalize_signaling_url(link->signaling) == link->signaling);
    FUZZ_CHECK(link->invite.server.empty() || link->signaling == link->invite.server);

    // Written again, the invite means the same room, server and key.
    const auto again = make_invite_url(link->page, link->invite.room, link->signaling, link->invite.key);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->size() <= max_invite_url_length);
    const auto reparsed = parse_invite_url(*again);
    FUZZ_CHECK(reparsed.has_value());
    FUZZ_CHECK(reparsed->page == link->page);
    FUZZ_CHECK(reparsed->invite.room == link->invite.room);
    FUZZ_CHECK(reparsed->invite.key == link->invite.key);
    FUZZ_CHECK(reparsed->signaling == link->signaling);
    return 0;
}
