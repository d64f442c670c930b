#!/usr/bin/env bash
# The run command: installs what is missing, builds, and serves the app on http://localhost:$PORT
# (default 8080). A rerun on a ready machine touches no network and starts in seconds.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/build.sh" all
export PORT=${PORT:-8080}
log "serving $BUILD/wasm/web on http://localhost:$PORT/"
exec "$BUILD/native/src/server/peddlenet-server" --root "$BUILD/wasm/web" --port "$PORT" "$@"
