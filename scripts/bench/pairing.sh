#!/usr/bin/env bash
# Pairing benchmark entry point (issue 12): two app pages pair by QR with no server, each
# photographing the other's screen with Chromium's fake camera; payload bytes, QR versions, and
# the time from the answer's scan to a proven link, over N runs. About 1 minute for 10 runs on 2
# cores. Installs and builds what is missing (scripts/bench/prepare.sh), then runs in a
# loopback-only network namespace when root. Pass options through, e.g. --runs 20.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
bench_prepare native wasm
bench_run isolated pairing.js "$@"
