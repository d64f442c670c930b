# Shared settings for the scripts; sourced, not run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Downloads and unpacked third-party sources live outside the clone so that every clone
# on this machine (and CI's fresh one) reuses them.
CACHE=${PEDDLENET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/peddlenet}
DEPS="$CACHE/deps"
BUILD="$ROOT/build"
# Debian's emscripten needs its node modules (acorn) on NODE_PATH for optimized links.
export NODE_PATH=/usr/share/nodejs

log() { printf '\033[1m[peddlenet]\033[0m %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
