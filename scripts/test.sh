#!/usr/bin/env bash
# The test command: installs what is missing, builds both trees, then runs every test:
# native unit tests (Catch2 via CTest), the same unit tests and the integration tests again
# under AddressSanitizer + UndefinedBehaviorSanitizer, integration tests against the real server
# binary, and end-to-end tests in headless Chromium against the real server and the real wasm
# build. Network tests run in a loopback-only network namespace (see shared/notes/browser-recipes.md).
# Usage: scripts/test.sh [sanitize]   (sanitize: only the sanitizer runs; default: everything)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
what=${1:-all}
[[ $what == all || $what == sanitize ]] || die "usage: scripts/test.sh [sanitize]"
bash "$ROOT/scripts/setup.sh" --with-test-tools
[[ $what == all ]] && bash "$ROOT/scripts/build.sh" all

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0

# Runs "$@" from the repository root; as root, inside a fresh network namespace where only
# 127.0.0.1 exists, so WebRTC and every server stay on loopback.
loopback_only() {
  if [[ $(id -u) == 0 ]] && command -v unshare >/dev/null; then
    (cd "$ROOT" && unshare -n bash -c 'ip link set lo up && exec "$@"' _ "$@")
  else
    log "warning: not root, running network tests without a loopback-only namespace"
    (cd "$ROOT" && "$@")
  fi
}

if [[ $what == all ]]; then
  log "unit tests"
  ctest --test-dir "$BUILD/native" --output-on-failure -j "$(nproc)" | tee "$results/unit.log" || status=1
fi

# Sanitizers: the unit tests and the integration suite (its server is the sanitized binary) once
# more, built with clang -fsanitize=address,undefined. Every process writes any report to a file
# under $reports (a report from a server that the tests SIGTERM would otherwise go to a stderr
# nobody reads); halt_on_error makes the first report fatal to its process, and LeakSanitizer
# runs at exit (the server exits through main on SIGTERM). Any report file fails the run.
# ASan and UBSan share one runtime, whose log_path is the last one parsed (UBSAN_OPTIONS), so
# both name the same prefix. Nothing is suppressed: no report has come from third-party code
# (Boost, Catch2, ZXing-C++); if one does, suppress it narrowly, in a committed file, with a reason.
log "sanitizer build (clang, ASan + UBSan)"
bash "$ROOT/scripts/build.sh" sanitize
reports="$results/sanitizer-reports"
mkdir -p "$reports"
san_env=(
  ASAN_OPTIONS="log_path=$reports/report:halt_on_error=1:abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
  UBSAN_OPTIONS="log_path=$reports/report:halt_on_error=1:print_stacktrace=1"
)
log "unit tests under sanitizers"
env "${san_env[@]}" ctest --test-dir "$BUILD/sanitize" --output-on-failure -j "$(nproc)" |
  tee "$results/sanitize-unit.log" || status=1
log "integration tests under sanitizers"
loopback_only env "${san_env[@]}" PEDDLENET_SERVER="$BUILD/sanitize/src/server/peddlenet-server" \
  node --test --test-concurrency=1 "$ROOT"/tests/integration/*.test.js | tee "$results/sanitize-node.log" || status=1
shopt -s nullglob
report_files=("$reports"/*)
shopt -u nullglob
for f in "${report_files[@]}"; do
  log "sanitizer report: $(basename "$f")"
  cat "$f" >&2
done
if (( ${#report_files[@]} > 0 )); then
  log "error: ${#report_files[@]} sanitizer report(s), see above"
  status=1
fi

# Fuzzing: every libFuzzer target (tests/fuzz) for a bounded time from its committed seeds; a
# crash, leak, sanitizer report or broken invariant fails the run. Each target counts as a test.
fuzz_seconds=${PEDDLENET_FUZZ_SECONDS:-30}
log "fuzz targets, $fuzz_seconds s each"
bash "$ROOT/scripts/fuzz.sh" --no-build --seconds "$fuzz_seconds" | tee "$results/fuzz.log" || status=1

if [[ $what == all ]]; then
  log "integration and end-to-end tests"
  loopback_only node --test --test-concurrency=1 "$ROOT"/tests/integration/*.test.js "$ROOT"/tests/e2e/*.test.js |
    tee "$results/node.log" || status=1
fi

# One closing line for all suites. A run whose summary is missing (it crashed, or never ran
# although it should have) fails the run.
passed=0 failed=0
count_ctest() {
  local line
  line=$(grep -oE '[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$1" | tail -1) ||
    { log "error: no CTest summary in $(basename "$1")"; status=1; return; }
  read -r _ _ _ f _ _ _ _ total <<<"$line"
  passed=$(( passed + total - f )) failed=$(( failed + f ))
}
count_node() {
  local p f
  p=$(grep -E '^# pass ' "$1" | awk '{print $3}' | tail -1)
  f=$(grep -E '^# fail ' "$1" | awk '{print $3}' | tail -1)
  [[ -n $p && -n $f ]] || { log "error: no node --test summary in $(basename "$1")"; status=1; return; }
  passed=$(( passed + p )) failed=$(( failed + f ))
}
if [[ $what == all ]]; then
  count_ctest "$results/unit.log"
  count_node "$results/node.log"
fi
count_ctest "$results/sanitize-unit.log"
count_node "$results/sanitize-node.log"
passed=$(( passed + $(grep -c '^fuzz .*: 0 findings' "$results/fuzz.log" || true) ))
failed=$(( failed + $(grep -c '^fuzz .*: FAILED\|^fuzz .*: no binary' "$results/fuzz.log" || true) ))
(( failed == 0 )) || status=1
(( passed > 0 )) || status=1
(( ${#report_files[@]} == 0 )) || echo "sanitizer reports: ${#report_files[@]} (the run fails)"
echo "tests: $passed passed, $failed failed"
exit $status
