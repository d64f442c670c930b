#!/usr/bin/env bash
# Crypto benchmark entry point (issue 10): Ed25519 sign and verify per message through the wasm
# app's real path (C++ -> web/crypto.js -> Web Crypto) beside plain-JavaScript Web Crypto in the
# same headless Chromium, verifies per second, and messages per second received and verified
# between two app pages. About 1-2 minutes on 2 cores; prints tables. Installs and builds what is
# missing (scripts/bench/prepare.sh), then runs in a loopback-only network namespace when root.
# Pass options through, e.g. --count 500 --rounds 5 --messages 500.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
bench_prepare native wasm
bench_run isolated crypto.js "$@"
