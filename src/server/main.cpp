// main.cpp: peddlenet-server entry point: parse flags, bind, print where to open the app
// (local URL, LAN URLs, a QR code of the first LAN URL), serve until SIGTERM/SIGINT.
// Needs: server/server.hpp, server/lan.hpp, qr/qr.hpp.
#include "qr/qr.hpp"
#include "server/config.hpp"
#include "server/lan.hpp"
#include "server/log.hpp"
#include "server/server.hpp"

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>

using namespace peddlenet::server;

namespace {

// The soft open-file limit often sits below the hard one; each WebSocket needs a descriptor.
void raise_fd_limit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

} // namespace

int main(int argc, char** argv) {
    const char* env_port = std::getenv("PORT");
    auto parsed = parse_args(std::vector<std::string>(argv + 1, argv + argc),
                             env_port ? std::optional<std::string>(env_port) : std::nullopt);
    if (auto* help = std::get_if<HelpRequested>(&parsed)) {
        std::cout << help->text;
        return 0;
    }
    if (auto* err = std::get_if<ConfigError>(&parsed)) {
        std::cerr << "peddlenet-server: " << err->message << "\n";
        return 2;
    }
    Config config = std::get<Config>(parsed);
    if (config.turn_port) {
        std::string error;
        const auto secret = read_turn_secret(config.turn_secret_file, error);
        if (!secret) {
            std::cerr << "peddlenet-server: " << error << "\n";
            return 2;
        }
        config.turn_secret = *secret;
    }
    log::set_level(log::parse_level(config.log_level));
    raise_fd_limit();

    try {
        Server server(config);
        const bool tls = server.tls();
        const std::string scheme = tls ? "https://" : "http://";
        std::cout << "PeddleNet server: " << scheme << "localhost:" << server.port() << "/\n";
        const auto urls = lan_urls(config.host, server.port(), tls);
        for (const auto& url : urls) std::cout << "  on your network: " << url << "\n";
        if (!tls && !urls.empty()) {
            // Browsers grant a secure context to https and to localhost only.
            std::cout << "Warning: phones that open these http:// addresses are not in a secure "
                         "context. They get no Web Crypto, so they cannot sign in and chat; no "
                         "camera, so no QR scanning; no service worker, so no offline use and no "
                         "install. Only http://localhost on this machine works. Serve https under "
                         "a name phones trust (--tls-cert, --tls-key): see docs/DEPLOY.md.\n";
        }
        if (config.show_qr && !urls.empty()) {
            if (const auto code = peddlenet::qr::encode(urls.front())) {
                std::cout << "Scan to open " << urls.front() << "\n"
                          << peddlenet::qr::to_terminal(*code);
            }
        }
        std::cout << std::flush;
        server.run();
    } catch (const std::exception& e) {
        log::write(log::Level::error, "fatal", {{"error", e.what()}});
        return 1;
    }
    return 0;
}
