#!/usr/bin/env bash
# Line and branch coverage that each fuzz target's corpus reaches in the code it is for: builds
# the targets with clang's source-based coverage (build/fuzz-coverage, no sanitizers), replays
# the committed seeds plus whatever scripts/fuzz.sh found (build/fuzz/corpus/<target>), and
# prints llvm-cov's summary for the target's own source files.
# Usage: scripts/fuzz_coverage.sh [TARGET ...]   (after scripts/fuzz.sh; default: every target)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The code each target is for.
declare -A sources=(
  [ws_reader]="src/server/ws_reader.cpp src/server/ws_frame.cpp"
  [client_frames]="src/server/frame_scanner.cpp"
  [server_frames]="src/core/signaling_protocol.cpp"
  [signal_data]="src/core/negotiation.cpp"
  [peer_frames]="src/core/peer_protocol.cpp"
  [room_engine]="src/core/room_engine.cpp src/core/reconciliation.cpp src/core/gossip_relay.cpp src/core/gossip.cpp src/core/room_members.cpp"
  [invite]="src/core/invite.cpp"
  [text]="src/core/text.cpp src/core/bidi.cpp"
  [http_static]="src/server/static_files.cpp"
  [keys]="src/core/base64url.cpp src/core/trust.cpp src/server/join_auth.cpp src/core/verify_code.cpp src/core/ice_servers.cpp"
  [chat_history]="src/core/chat_log.cpp"
  [pairing_code]="src/core/pairing_code.cpp"
  [pairing_frames]="src/core/pairing.cpp"
  [catalog]="src/core/i18n.cpp src/core/bidi.cpp"
  [cluster_wire]="src/server/cluster_wire.cpp"
  [photo]="src/core/photo.cpp src/core/photo_transfer.cpp"
)
targets=("$@")
((${#targets[@]})) || for f in "$ROOT"/tests/fuzz/*_fuzz.cpp; do f=${f##*/}; targets+=("${f%_fuzz.cpp}"); done

tree="$BUILD/fuzz-coverage"
[[ -f $tree/build.ninja ]] ||
  CC=clang-14 CXX=clang++-14 cmake -S "$ROOT" -B "$tree" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DPEDDLENET_DEPS="$DEPS" -DPEDDLENET_FUZZ=ON \
    -DCMAKE_CXX_FLAGS="-fprofile-instr-generate -fcoverage-mapping" >/dev/null
cmake --build "$tree" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

profiles="$tree/profiles"
mkdir -p "$profiles"
printf '%-14s %8s %8s %8s  %s\n' target lines covered branches files
for name in "${targets[@]}"; do
  [[ -n ${sources[$name]:-} ]] || die "$name: no source list in $0"
  bin="$tree/tests/fuzz/fuzz_$name"
  inputs=("$ROOT/tests/fuzz/corpus/$name")
  [[ -d $BUILD/fuzz/corpus/$name ]] && inputs+=("$BUILD/fuzz/corpus/$name")
  rm -f "$profiles/$name".*
  LLVM_PROFILE_FILE="$profiles/$name.profraw" "$bin" -runs=0 "${inputs[@]}" >/dev/null 2>&1 ||
    die "$name: replaying its corpus failed"
  llvm-profdata-14 merge -sparse "$profiles/$name.profraw" -o "$profiles/$name.profdata"
  files=()
  for s in ${sources[$name]}; do files+=("$ROOT/$s"); done
  total=$(llvm-cov-14 report "$bin" -instr-profile="$profiles/$name.profdata" "${files[@]}" | tail -1)
  # TOTAL regions missed cover functions missed executed lines missed cover branches missed cover
  read -r _ _ _ _ _ _ _ lines lmissed lcover _ _ bcover <<<"$total"
  printf '%-14s %8s %8s %8s  %s\n' "$name" "$lines" "$lcover" "$bcover" "${sources[$name]}"
done
