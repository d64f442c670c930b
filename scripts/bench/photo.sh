#!/usr/bin/env bash
# Photo benchmark entry point (issue 14): a 4000x3000 camera JPEG chosen on one page, shown on
# the others; pick -> shown, bytes on the wire and main-thread time, over N runs. About 2 minutes
# for 5 runs on 2 cores. Installs and builds what is missing (scripts/bench/prepare.sh), then
# runs in a loopback-only network namespace when root (so loopback's counters are the photo's).
# Pass options through, e.g. --runs 10 --recipients 3.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
bench_prepare native wasm
bench_run isolated photo.js "$@"
