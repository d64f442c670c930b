#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, in build/sanitize: clang, ASan + UBSan + libFuzzer)
# and runs them, each from its committed seeds (tests/fuzz/corpus/<target>) with its dictionary
# (tests/fuzz/<target>.dict). Any crash, leak, sanitizer report or invariant failure fails the run;
# the input that did it is kept in build/fuzz/artifacts/<target>/ and printed as base64.
#
# Usage: scripts/fuzz.sh [--seconds N] [--runs R] [--jobs J] [--no-build] [TARGET ...]
#   --seconds N   run each target for N seconds (default 30, what CI runs)
#   --runs R      stop a target after R executions instead, if that comes first
#   --jobs J      targets run at once (default: the number of cores)
#   TARGET        e.g. ws_reader; default: every tests/fuzz/*_fuzz.cpp
# A long run, e.g. one hour of one target: scripts/fuzz.sh --seconds 3600 --jobs 1 room_engine;
# ten million executions of each: scripts/fuzz.sh --runs 10000000 --seconds 14400
# Inputs a run finds go to build/fuzz/corpus/<target> and are reused by the next run there.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

seconds=30
runs=-1
jobs=$(nproc)
build=1
targets=()
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ((!${#targets[@]})); then
  for f in "$ROOT"/tests/fuzz/*_fuzz.cpp; do f=${f##*/}; targets+=("${f%_fuzz.cpp}"); done
fi

if ((build)); then
  bash "$ROOT/scripts/setup.sh" --with-test-tools
  bash "$ROOT/scripts/build.sh" sanitize
fi

out="$BUILD/fuzz"
mkdir -p "$out/logs"
# Runs share the logs and corpora under build/fuzz: one at a time.
exec 9>"$out/.lock"
flock -n 9 || die "another scripts/fuzz.sh is running on $out"

# Runs one target; prints one summary line; the exit status says whether it found anything.
run_target() {
  local name=$1 bin="$BUILD/sanitize/tests/fuzz/fuzz_$1"
  local seeds="$ROOT/tests/fuzz/corpus/$name" corpus="$out/corpus/$name"
  local artifacts="$out/artifacts/$name/" logf="$out/logs/$name.log"
  [[ -x $bin ]] || { echo "fuzz $name: no binary at $bin"; return 1; }
  mkdir -p "$corpus" "$artifacts" "$seeds"
  local args=(-max_total_time="$seconds" -runs="$runs" -timeout=10 -rss_limit_mb=2560 -print_final_stats=1
              -artifact_prefix="$artifacts")
  [[ -f $ROOT/tests/fuzz/$name.dict ]] && args+=(-dict="$ROOT/tests/fuzz/$name.dict")
  local status=0 took=$SECONDS
  "$bin" "${args[@]}" "$corpus" "$seeds" >"$logf" 2>&1 || status=$?
  took=$((SECONDS - took))
  local execs rate cov
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$logf")
  rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$logf")
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$logf" | tail -1)
  if ((status)); then
    echo "fuzz $name: FAILED after ${execs:-?} executions (exit $status); log $logf"
    grep -E 'invariant failed|ERROR: |runtime error|SUMMARY|Test unit written|^Base64' "$logf" | head -20
    return 1
  fi
  echo "fuzz $name: 0 findings, ${execs:-?} executions in ${took} s (${rate:-?}/s), ${cov:-cov: ?}, corpus $(ls "$corpus" | wc -l) + $(ls "$seeds" | wc -l) seeds"
}
export -f run_target
export BUILD ROOT out seconds runs

log "fuzzing ${#targets[@]} targets for $seconds s each$( ((runs > 0)) && echo " or $runs executions"), $jobs at a time"
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_target "$1"' _ {} | tee "$out/summary.txt"
failed=$(grep -c 'FAILED\|no binary' "$out/summary.txt" || true)
((failed == 0)) || die "$failed fuzz target(s) found something: see above and $out/artifacts"
