#!/usr/bin/env bash
# Festival-box benchmark entry point: the real app's links on 127.0.0.1 with the box's real
# server and coturn. Time to open a link (direct, relayed by coturn; with the box's STUN only if
# the automation API can set the ICE servers), network back -> chat back after a UDP cut
# (nftables in the namespace; direct and relayed), and coturn's capacity under its own load tool
# turnutils_uclient (50, 200, 500 clients: allocations, messages, loss, throughput, CPU, RSS).
# About 10 minutes on 2 cores with the defaults; prints tables. Installs and builds what is
# missing (scripts/bench/prepare.sh), then runs in a loopback-only network namespace when root
# (the UDP cut is skipped outside one: it would touch the machine's firewall).
# Pass options through, e.g. --runs 10 --outage-runs 3 --outage-ms 40000 --clients 50,200,500.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
bench_prepare native wasm
bench_run isolated festival.js "$@"
