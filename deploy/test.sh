#!/usr/bin/env bash
# Installs, builds and runs the whole test suite: unit, end-to-end (real processes on
# loopback) and a short run of every fuzz target. Everything runs under AddressSanitizer and
# UndefinedBehaviorSanitizer (build-asan/): a report aborts the process and fails its test.
# Exits non-zero on any failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/deploy/setup.sh" --asan --fuzz --browser
build="${XL_BUILD_DIR:-$root/build-asan}"
(cd "$build" && ctest --output-on-failure -j2 --timeout 600)
"$root/tests/fuzz/run.sh" "$root/build-fuzz" "${XL_FUZZ_SECONDS:-20}"
