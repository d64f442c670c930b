#!/usr/bin/env bash
# Signaling benchmark entry point: PeddleNet vs PeerJS vs Socket.IO on 127.0.0.1.
# A full run (3 runs of every scenario) takes about 12 minutes on 2 cores; it prints figures and
# writes build/bench/signaling.json. Pass options through, e.g. --runs 1 --scenarios relay.
# Uses PEDDLENET_SERVER if set, else build/native/src/server/peddlenet-server.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/signaling.js" "$@"
