#!/usr/bin/env bash
# Big-room benchmark entry point (issue 11): N real app pages in one room in one headless
# Chromium, the partial mesh (default above 12 members) at 8, 24 and 48 pages beside today's full
# mesh (setFullMeshMax(65)) at 8 and 24: time to link everyone, one-way latency p50/p99, time
# until every page has every message, links and RTCPeerConnections per page, CPU and memory per
# page (CDP Performance metrics, renderer RSS/PSS, the GPU process), the load average. About 10
# minutes on 2 cores with one run each; prints two tables. Installs and builds what is missing
# (scripts/bench/prepare.sh), then runs in a loopback-only network namespace when root.
# Pass options through, e.g. --partial 48 --full none --runs 3 --spacing 200 --join-gap 500;
# --no-draw is a labelled diagnostic (the pages draw nothing: what drawing costs on one machine).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
bench_prepare native wasm
bench_run isolated big_room.js "$@"
