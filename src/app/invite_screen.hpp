// invite_screen.hpp: codes for another phone to scan: a room's invite (QR code, link, copy,
// share) and this person's "My code" (verification in person); and the name prompt for someone
// who arrives through an invite before they have a display name.
// Needs: qr/qr.hpp (the same encoder as the server's terminal QR), platform/share.hpp,
// app/widgets.hpp; draws with Dear ImGui.
//  [X] QR code with ECC M or better, the 4-module quiet zone, as large as the screen allows:
//      the full width of a phone (~6 cm), and cameras read a code from ~10x its width away
//  [X] crisp modules: whole device pixels per module, edges on the device pixel grid, no
//      antialiasing fringe, black on white whatever the theme
//  [X] the link as text, a Copy button (clipboard), a Share button where navigator.share exists
//  [X] the QR code is encoded once per link, not every frame
//  [X] a private room's invite says that whoever has the code can read the room
//  [X] My code: the QR of core/verify_code.hpp, own key fingerprint as text, what scanning does
//  [X] pairing: the offer or answer code with what to do next, progress, errors, try again
//  [X] name prompt: "Join <room>" with the name field; Enter or the button joins
#pragma once

#include "core/pairing.hpp"
#include "qr/qr.hpp"

#include <optional>
#include <string>

namespace peddlenet::app {

class InviteScreen {
public:
    enum class Action { none, back, scan, retry };

    Action draw(const std::string& room, const std::string& url, bool is_private);
    // "My code": `code` is the verify code text, `fingerprint` the own key's fingerprint.
    Action draw_my_code(const std::string& code, const std::string& fingerprint);
    // Pairing by QR with no server: our offer or answer, or how far the pairing is.
    Action draw_pairing(const Pairing& pairing, const std::string& notice);
    // Version (1..40) of the QR code showing, 0 when none.
    int code_version() const { return code_ ? (code_->size - 17) / 4 : 0; }
    // Time the last QR encoding took (the benchmark's "encode" figure), in ms.
    double last_encode_ms() const { return encode_ms_; }

private:
    void encode(const std::string& text);
    // The cached code as large as fits above `text_below` em of text.
    void draw_fitted_code(float text_below);
    void draw_code(float side);

    std::string encoded_text_;    // the text code_ holds
    std::optional<qr::Code> code_;
    double encode_ms_ = 0;
    std::string notice_;          // "Link copied", or why sharing failed
};

class InvitedScreen {
public:
    enum class Action { none, join, cancel };

    // `name` is the field's text (the app's), `notice` a refusal to show under the button.
    Action draw(const std::string& room, std::string& name, const std::string& notice);
};

} // namespace peddlenet::app
