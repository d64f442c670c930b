#!/usr/bin/env bash
# Cluster benchmark entry point: PeddleNet as 1, 2, 3 nodes over Redis (`--redis`) vs Socket.IO
# 4.8.4 + @socket.io/redis-adapter 8.3.0 as 1, 2, 3 nodes, each also alone without Redis, on
# 127.0.0.1. Every measurement gets its own fresh redis-server (tests/integration/redis.js).
# Prints figures and writes build/bench/cluster.json. Pass options through, e.g.
#   scripts/bench/cluster.sh --runs 1 --scenarios relay --rates 10000 --nodes 2
# Uses PEDDLENET_SERVER if set, else build/native/src/server/peddlenet-server; while that binary
# has no --redis flag, PeddleNet runs alone and the output says its cluster rows are missing.
# Installs (npm packages of package-lock.json, redis-server) and builds what is missing
# (scripts/bench/prepare.sh); every socket is on 127.0.0.1, so no network namespace is needed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
bench_prepare native
bench_run shared cluster.js "$@"
