#!/usr/bin/env bash
# Installs, builds and brings up the demo county (deploy/demo.yaml): the camera simulator,
# the router and one ingest worker, then shows the operator console. Ctrl-C stops it all.
# XL_DEMO_SECONDS=N stops by itself after N seconds.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/deploy/setup.sh"
build="${XL_BUILD_DIR:-$root/build}"
fixtures="${XL_FIXTURES:-${XDG_CACHE_HOME:-$HOME/.cache}/xueliang-fixtures}"
run="$build/demo"
mkdir -p "$run"
rm -f "$run"/xueliang.db* "$run"/demo-worker.outbox.db*  # each demo starts from deploy/demo.yaml

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# Eight simulated cameras from three real clips; the AVIs are encoded once, then kept in
# the cache (the first start takes a minute or two on a small machine).
"$build/tools/xl-camsim" --port 10554 --bind 127.0.0.1 --user admin --password xueliang --fps 10 \
  --cache "$fixtures/camsim-cache" \
  --stream cam1="$fixtures/vtest.avi" --stream cam2="$fixtures/tree.avi" --stream cam3="$fixtures/cup.mp4" \
  --stream cam4="$fixtures/vtest.avi,codec=h265" --stream cam5="$fixtures/cup.mp4" \
  --stream cam6="$fixtures/vtest.avi" --stream cam7="$fixtures/tree.avi" --stream cam8="$fixtures/cup.mp4" \
  >"$run/camsim.log" 2>&1 &
pids+=($!)
export XL_ADMIN_PASSWORD="${XL_ADMIN_PASSWORD:-xueliang-demo}" XL_PASSWORD="${XL_ADMIN_PASSWORD:-xueliang-demo}"
# Every ZeroMQ link speaks CURVE: the router makes its key pair (router.key) on first start;
# the worker and the console get theirs here, registered with `xl key add` (docs/security.md).
"$build/router/xl-router" --workers tcp://127.0.0.1:5555 --clients tcp://127.0.0.1:5556 \
  --rtsp 127.0.0.1:8554 --db "$run/xueliang.db" --key "$run/router.key" --regions "$root/deploy/regions.yaml" \
  >"$run/router.log" 2>&1 &
pids+=($!)
for key in demo-worker console; do
  [[ -f "$run/$key.key" ]] || "$build/tools/xl" key gen --out "$run/$key.key" >/dev/null
done
for _ in $(seq 100); do "$build/tools/xl" key ls >/dev/null 2>&1 && break; sleep 0.2; done
"$build/tools/xl" key add worker demo-worker "$run/demo-worker.key" >/dev/null
"$build/tools/xl" key add user admin "$run/console.key" >/dev/null
for _ in $(seq 600); do grep -q "camsim: ready" "$run/camsim.log" && break; sleep 0.2; done
(cd "$run" && exec "$build/ingest/xl-ingest" --config "$root/deploy/demo.yaml") >"$run/ingest.log" 2>&1 &
pids+=($!)

echo "Xueliang demo: logs in $run (camsim.log, router.log, ingest.log), event clips in $run/clips; Ctrl-C to stop."
echo "The monitoring-room desk: http://127.0.0.1:8080/ (user admin, password ${XL_ADMIN_PASSWORD:-xueliang-demo})"
echo "In another terminal: export XL_PASSWORD=${XL_ADMIN_PASSWORD:-xueliang-demo}; $build/tools/xl status --all   (cameras), $build/tools/xl worker ls, http://127.0.0.1:8080/metrics (logged in)"
echo "Live video: rtsp://admin:<password>@127.0.0.1:8554/<camera-id> (ffplay, VLC; any desk user), $build/tools/xl live <camera-id> --out clip.mp4 (with XL_PASSWORD)"
console=("$build/tools/xl-console" --router tcp://127.0.0.1:5556 --key "$run/console.key" --router-key "$run/router.key"
  --snapshots "$run")
[[ -n "${XL_DEMO_SECONDS:-}" ]] && console+=(--exit-after "$XL_DEMO_SECONDS")
"${console[@]}"
