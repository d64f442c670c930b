#!/usr/bin/env bash
# QR benchmark entry point (issue 5): ZXing-C++ decode time per 640x480 camera frame in the wasm
# app (with and without a code in view), scan() -> joined -> connected, qrcodegen encode time.
# About 2 minutes on 2 cores; prints figures, writes build/bench/qr.json. Installs (qrencode
# included) and builds what is missing (scripts/bench/prepare.sh), then runs in a loopback-only
# network namespace when root (WebRTC stays on 127.0.0.1).
# Pass options through, e.g. --frames 400 --runs 5 --sections decode.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
bench_prepare native wasm
bench_run isolated qr.js "$@"
