#!/usr/bin/env bash
# Signaling benchmark entry point: PeddleNet vs PeerJS vs Socket.IO on 127.0.0.1.
# A full run (3 runs of every scenario) takes about 12 minutes on 2 cores; it prints figures and
# writes build/bench/signaling.json. Pass options through, e.g. --runs 1 --scenarios relay.
# Uses PEDDLENET_SERVER if set, else build/native/src/server/peddlenet-server. Installs (npm
# packages ws, peer, socket.io) and builds what is missing (scripts/bench/prepare.sh); every
# socket is on 127.0.0.1, so no network namespace is needed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
bench_prepare native
bench_run shared signaling.js "$@"
