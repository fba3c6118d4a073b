#!/usr/bin/env bash
# Runs every fuzz target for a short time from its seed corpus, as many at once as there are
# cores (XL_FUZZ_JOBS overrides).
#   tests/fuzz/run.sh BUILD_FUZZ_DIR SECONDS
# Prints one line per target and a closing "N passed, N failed" line; exits 1 on any finding.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:?build-fuzz dir}"
seconds="${2:-20}"
jobs="${XL_FUZZ_JOBS:-$(nproc)}"
targets=(config camera_csv h26x fmp4 sip manscdp rtp sdp ps desk_api router_messages registrar rtsp lower_platform
         onnx_shape)

# One target; its verdict ("ok" or "FAILED") goes to $build/<target>_fuzz.result.
fuzz_one() {
  local target="$1" corpus extra=() asan=""
  corpus="$(mktemp -d)"
  cp "$here/corpus/$target"/* "$corpus"/ 2>/dev/null || true
  # GStreamer keeps process-wide caches (type system, plugin registry): not leaks of ours.
  [[ "$target" == ps ]] && extra=(-detect_leaks=0) asan="detect_leaks=0"
  if ASAN_OPTIONS="$asan" "$build/tests/fuzz/${target}_fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=5 \
      "${extra[@]}" -artifact_prefix="$build/${target}-" "$corpus" >"$build/${target}_fuzz.log" 2>&1; then
    echo ok >"$build/${target}_fuzz.result"
  else
    echo FAILED >"$build/${target}_fuzz.result"
  fi
  rm -rf "$corpus"
}

for target in "${targets[@]}"; do
  rm -f "$build/${target}_fuzz.result"
  while (( $(jobs -rp | wc -l) >= jobs )); do wait -n; done
  fuzz_one "$target" &
done
wait

passed=0 failed=0
for target in "${targets[@]}"; do
  if [[ "$(cat "$build/${target}_fuzz.result" 2>/dev/null)" == ok ]]; then
    echo "fuzz ${target}: ok ($(grep -c . "$build/${target}_fuzz.log") log lines, ${seconds} s)"
    passed=$((passed + 1))
  else
    echo "fuzz ${target}: FAILED, see $build/${target}_fuzz.log"; tail -30 "$build/${target}_fuzz.log"
    failed=$((failed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
(( failed == 0 ))
