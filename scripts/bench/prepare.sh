# prepare.sh: sourced by every benchmark entry point (scripts/bench/*.sh); not run by itself.
# Does what the README's two commands do, for benchmarks: installs only what is missing
# (scripts/setup.sh --with-test-tools: Debian packages such as Chromium and qrencode, the npm
# packages of package-lock.json), builds a tree only when its output is missing (a stale build
# is measured as it is: run scripts/build.sh first to measure the working tree), then
# `bench_run` starts the node script, inside a loopback-only network namespace when asked and
# possible, so that WebRTC and every socket stay on 127.0.0.1.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BENCH_ROOT="$(cd "$BENCH_DIR/../.." && pwd)"

bench_log() { printf '\033[1m[peddlenet bench]\033[0m %s\n' "$*" >&2; }

# bench_prepare [native] [wasm]: setup, then build the named trees whose outputs are missing.
bench_prepare() {
  bash "$BENCH_ROOT/scripts/setup.sh" --with-test-tools
  local tree
  for tree in "$@"; do
    case $tree in
      native) [[ -n ${PEDDLENET_SERVER:-} || -x $BENCH_ROOT/build/native/src/server/peddlenet-server ]] && continue ;;
      wasm) [[ -n ${PEDDLENET_WEB_ROOT:-} || -f $BENCH_ROOT/build/wasm/web/index.html ]] && continue ;;
    esac
    bench_log "no $tree build yet: scripts/build.sh $tree"
    bash "$BENCH_ROOT/scripts/build.sh" "$tree"
  done
}

# bench_run isolated|shared SCRIPT.js [ARGS...]: runs the benchmark from the repository root.
bench_run() {
  local mode=$1 script=$2
  shift 2
  cd "$BENCH_ROOT"
  if [[ $mode == isolated ]]; then
    if [[ $(id -u) == 0 ]] && command -v unshare >/dev/null; then
      exec unshare -n bash -c 'ip link set lo up && exec node "$@"' _ "$BENCH_DIR/$script" "$@"
    fi
    bench_log "warning: not root, running without a loopback-only network namespace (WebRTC may use other interfaces)"
  fi
  exec node "$BENCH_DIR/$script" "$@"
}
