#!/usr/bin/env bash
# PWA benchmark entry point (issue 6): first-load weight, bytes on the wire, time to first
# frame, idle CPU and phone screenshots, against build/wasm/web unless --root DIR is given.
# About 2 minutes on 2 cores; prints figures, writes build/bench/pwa.json and
# test-results/pwa-*.png. Installs and builds what is missing (scripts/bench/prepare.sh), then
# runs in a loopback-only network namespace when root (WebRTC stays on 127.0.0.1).
# Pass options through, e.g. --runs 5 --sections sizes,ttff.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
bench_prepare native wasm
bench_run isolated pwa.js "$@"
