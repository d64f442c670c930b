#!/usr/bin/env bash
# Builds the native tree (server, unit tests) and the wasm tree (app + web root).
# Usage: scripts/build.sh [native|wasm|all|sanitize]   (default all). Incremental: reruns are quick.
#   sanitize: build/sanitize, clang with AddressSanitizer + UndefinedBehaviorSanitizer: the server,
#             the unit tests and the libFuzzer targets (tests/fuzz); not part of `all`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
what=${1:-all}
jobs=$(nproc)

if [[ $what == native || $what == all ]]; then
  [[ -f $BUILD/native/build.ninja ]] ||
    cmake -S "$ROOT" -B "$BUILD/native" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPEDDLENET_DEPS="$DEPS" >/dev/null
  cmake --build "$BUILD/native" -j "$jobs"
fi
if [[ $what == wasm || $what == all ]]; then
  [[ -f $BUILD/wasm/build.ninja ]] ||
    emcmake cmake -S "$ROOT" -B "$BUILD/wasm" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPEDDLENET_DEPS="$DEPS" >/dev/null
  cmake --build "$BUILD/wasm" -j "$jobs"
fi
if [[ $what == sanitize ]]; then
  [[ -f $BUILD/sanitize/build.ninja ]] ||
    CC=clang-14 CXX=clang++-14 cmake -S "$ROOT" -B "$BUILD/sanitize" -G Ninja \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPEDDLENET_DEPS="$DEPS" \
      -DPEDDLENET_SANITIZE=ON -DPEDDLENET_FUZZ=ON >/dev/null
  cmake --build "$BUILD/sanitize" -j "$jobs"
fi
