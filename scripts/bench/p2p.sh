#!/usr/bin/env bash
# Peer-to-peer benchmark entry point (issues 4 and 10): join -> first message deliverable (link
# proof included) in an open room and through a private room's invite, one-way latency, reload
# -> reconnected; the real app beside plain-JavaScript WebRTC in the same headless Chromium.
# About 2-3 minutes on 2 cores with --trials 20; prints a table. Installs and builds what is
# missing (scripts/bench/prepare.sh), then runs in a loopback-only network namespace when root.
# Pass options through, e.g. --trials 20 --messages 1000.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
bench_prepare native wasm
bench_run isolated p2p.js "$@"
