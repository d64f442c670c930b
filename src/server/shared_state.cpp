// shared_state.cpp: see shared_state.hpp.
#include "server/shared_state.hpp"

#include "server/cluster_rooms.hpp"
#include "server/rooms.hpp"

#include <sys/resource.h>

#include <filesystem>
#include <stdexcept>

namespace peddlenet::server {

namespace ssl = boost::asio::ssl;

namespace {

// File descriptors kept back for static files, HTTP requests and the process itself when the
// connection limit defaults to the open-file limit.
constexpr std::size_t fd_reserve = 64;

StaticFiles open_root(const std::string& root) {
    std::error_code ec;
    if (!std::filesystem::is_directory(root, ec))
        throw std::runtime_error("--root " + root + " is not a directory");
    return StaticFiles(root);
}

} // namespace

SharedState::SharedState(Config c) : config(std::move(c)), files(open_root(config.root)) {
    if (!config.tls_cert.empty()) {
        tls.emplace(ssl::context::tls_server);
        tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
        boost::system::error_code ec;
        tls->use_certificate_chain_file(config.tls_cert, ec);
        if (ec) throw std::runtime_error("--tls-cert " + config.tls_cert + ": " + ec.message());
        tls->use_private_key_file(config.tls_key, ssl::context::pem, ec);
        if (ec) throw std::runtime_error("--tls-key " + config.tls_key + ": " + ec.message());
    }
    if (config.limits.max_connections == 0) {
        rlimit rl{};
        getrlimit(RLIMIT_NOFILE, &rl);
        const std::size_t fds = rl.rlim_cur == RLIM_INFINITY ? 1 << 20 : rl.rlim_cur;
        config.limits.max_connections = fds > 2 * fd_reserve ? fds - fd_reserve : fds / 2;
    }
    if (config.redis.empty()) {
        rooms = std::make_unique<Rooms>(limits, metrics);
    } else {
        std::string error;
        const auto address = parse_redis_url(config.redis, error);
        if (!address) throw std::runtime_error(error);
        auto model = std::make_unique<ClusterRooms>(ioc, limits, metrics, *address);
        model->set_grace_scheduler([this] { schedule_grace(); });
        cluster = model.get();
        rooms = std::move(model);
    }
}

SharedState::~SharedState() {
    stopping = true; // sessions dying with ioc must not arm timers
    if (cluster) cluster->close(); // its Redis links and timers go before ioc does
}

std::string SharedState::health() const {
    if (cluster && cluster->degraded())
        return "degraded: Redis cannot be reached; this node serves only the rooms it holds";
    return "ok";
}

void SharedState::schedule_grace() {
    if (grace_armed_ || stopping) return; // armed for an earlier deadline; it re-arms for the rest
    const auto next = rooms->next_expiry();
    if (!next) return;
    grace_armed_ = true;
    grace_timer_.expires_at(*next);
    grace_timer_.async_wait([this](boost::system::error_code ec) {
        grace_armed_ = false;
        if (ec) return;
        now = Clock::now();
        rooms->expire(now);
        schedule_grace();
    });
}

} // namespace peddlenet::server
