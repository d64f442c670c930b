#!/usr/bin/env bash
# QR benchmark entry point (issue 5): ZXing-C++ decode time per 640x480 camera frame in the wasm
# app (with and without a code in view), scan() -> joined -> connected, qrcodegen encode time.
# About 2 minutes on 2 cores; prints figures, writes build/bench/qr.json. Runs in a
# loopback-only network namespace when root (WebRTC stays on 127.0.0.1). Needs qrencode.
# Pass options through, e.g. --frames 400 --runs 5 --sections decode.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $(id -u) == 0 ]] && command -v unshare >/dev/null; then
  exec unshare -n bash -c 'ip link set lo up && exec node "$@"' _ "$here/qr.js" "$@"
fi
exec node "$here/qr.js" "$@"
