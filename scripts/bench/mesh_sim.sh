#!/usr/bin/env bash
# Mesh simulator benchmark (big rooms: partial mesh and gossip relay): builds the native tree,
# then runs tests/sim's mesh_sim, real RoomEngines over a simulated network, on the standard
# scenarios: 100, 500 and 1000 phones in one room, each steady and with 30 % of them vanishing
# at once, plus 60 phones as a partial and as a full mesh (`joined` then lists everyone; the
# engine caps a full mesh at max_room_links + 1 = 65 members, so none is larger). Deterministic:
# seed 1 unless given. About a minute of CPU on 2 cores (far longer when the machine is busy). Prints one table, each run's wall time and the load average before and after; writes
# build/bench/mesh_sim/<scenario>.json.
# Pass options through to every run, e.g. --seed 2 --degree 8 --loss 0.01.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

bash "$ROOT/scripts/build.sh" native
SIM="$BUILD/native/tests/sim/mesh_sim"
OUT="$BUILD/bench/mesh_sim"
mkdir -p "$OUT"

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "load average before: $(load)"
started=$SECONDS

names=()
header=()
# run NAME ARGS...: one scenario; its table rows on stdout, its wall-clock line kept for later.
run() {
  local name=$1
  shift
  names+=("$name")
  "$SIM" "$@" "${PASS[@]}" "${header[@]}" --json-out "$OUT/$name.json" 2>"$OUT/$name.log" ||
    { cat "$OUT/$name.log" >&2; die "mesh_sim failed on $name"; }
  header=(--no-header)
}
PASS=("$@")

run n100 --peers 100
run n100-vanish30 --peers 100 --churn 0.3
run n500 --peers 500
run n500-vanish30 --peers 500 --churn 0.3
run n1000 --peers 1000
run n1000-vanish30 --peers 1000 --churn 0.3
run n60 --peers 60
run n60-full --peers 60 --full-mesh-max 60 --joined-sample 60

echo
for name in "${names[@]}"; do
  printf '%-16s %s\n' "$name" "$(grep -h 'wall' "$OUT/$name.log" | sed 's/^ *//')"
done
echo "total $((SECONDS - started)) s; load average after: $(load)"
echo "JSON: $OUT/<scenario>.json"
