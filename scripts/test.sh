#!/usr/bin/env bash
# The test command: installs what is missing, builds both trees, then runs every test:
# native unit tests (Catch2 via CTest), integration tests against the real server binary, and
# end-to-end tests in headless Chromium against the real server and the real wasm build.
# Network tests run in a loopback-only network namespace (see shared/notes/browser-recipes.md).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$ROOT/scripts/setup.sh" --with-test-tools
bash "$ROOT/scripts/build.sh" all

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0

log "unit tests"
ctest --test-dir "$BUILD/native" --output-on-failure -j "$(nproc)" | tee "$results/unit.log" || status=1

log "integration and end-to-end tests"
node_tests=("$ROOT"/tests/integration/*.test.js "$ROOT"/tests/e2e/*.test.js)
run_node_tests=(node --test --test-concurrency=1 "${node_tests[@]}")
if [[ $(id -u) == 0 ]] && command -v unshare >/dev/null; then
  # Inside a fresh network namespace only 127.0.0.1 exists, so WebRTC stays on loopback.
  (cd "$ROOT" && unshare -n bash -c 'ip link set lo up && exec "$@"' _ "${run_node_tests[@]}") |
    tee "$results/node.log" || status=1
else
  log "warning: not root, running browser tests without a loopback-only namespace"
  (cd "$ROOT" && "${run_node_tests[@]}") | tee "$results/node.log" || status=1
fi

# One closing line for all suites.
unit_passed=$(grep -oE '[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$results/unit.log" |
  awk '{print $NF - $4}' | tail -1)
unit_failed=$(grep -oE 'tests passed, [0-9]+ tests failed' "$results/unit.log" | awk '{print $3}' | tail -1)
node_passed=$(grep -E '^# pass ' "$results/node.log" | awk '{print $3}' | tail -1)
node_failed=$(grep -E '^# fail ' "$results/node.log" | awk '{print $3}' | tail -1)
passed=$(( ${unit_passed:-0} + ${node_passed:-0} ))
failed=$(( ${unit_failed:-0} + ${node_failed:-0} ))
(( failed == 0 )) || status=1
(( passed > 0 )) || status=1
echo "tests: $passed passed, $failed failed"
exit $status
