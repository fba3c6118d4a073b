#!/usr/bin/env bash
# Runs every fuzz target for a short time from its seed corpus.
#   tests/fuzz/run.sh BUILD_FUZZ_DIR SECONDS
# Prints one line per target and a closing "N passed, N failed" line; exits 1 on any finding.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:?build-fuzz dir}"
seconds="${2:-20}"
passed=0 failed=0
for target in config camera_csv h26x sip manscdp rtp sdp ps desk_api router_messages; do
  corpus="$(mktemp -d)"
  cp "$here/corpus/$target"/* "$corpus"/ 2>/dev/null || true
  # GStreamer keeps process-wide caches (type system, plugin registry): not leaks of ours.
  extra=() asan=""
  [[ "$target" == ps ]] && extra=(-detect_leaks=0) asan="detect_leaks=0"
  if ASAN_OPTIONS="$asan" "$build/tests/fuzz/${target}_fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=5 "${extra[@]}" \
      -artifact_prefix="$build/${target}-" "$corpus" >"$build/${target}_fuzz.log" 2>&1; then
    echo "fuzz ${target}: ok ($(grep -c . "$build/${target}_fuzz.log") log lines, ${seconds} s)"
    passed=$((passed + 1))
  else
    echo "fuzz ${target}: FAILED, see $build/${target}_fuzz.log"; tail -30 "$build/${target}_fuzz.log"
    failed=$((failed + 1))
  fi
  rm -rf "$corpus"
done
echo "fuzz: $passed passed, $failed failed"
(( failed == 0 ))
