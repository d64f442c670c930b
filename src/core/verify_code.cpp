// verify_code.cpp: see verify_code.hpp.
#include "core/verify_code.hpp"

#include "core/base64url.hpp"
#include "core/chat_log.hpp"
#include "core/trust.hpp"

namespace peddlenet {
namespace {

constexpr std::string_view prefix = "peddlenet-verify:1:";

bool acceptable_name(std::string_view name) {
    const Checked checked = check_chat_name(name);
    return checked.ok() && checked.value == name; // no repair: a code we made is already clean
}

} // namespace

std::optional<std::string> make_verify_code(std::string_view peer, std::string_view name) {
    if (!is_peer_key_id(peer) || !acceptable_name(name)) return std::nullopt;
    return std::string(prefix) + std::string(peer) + ":" + base64url_encode(name);
}

std::optional<VerifyCode> parse_verify_code(std::string_view text) {
    if (text.substr(0, prefix.size()) != prefix) return std::nullopt;
    text.remove_prefix(prefix.size());
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const std::string_view peer = text.substr(0, colon);
    const auto name = base64url_decode(text.substr(colon + 1));
    if (!is_peer_key_id(peer) || !name || !acceptable_name(*name)) return std::nullopt;
    return VerifyCode{std::string(peer), *name};
}

} // namespace peddlenet
