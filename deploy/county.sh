#!/usr/bin/env bash
# A three-level county on one machine, as docs/operations.md ("Cascade") sets one up: the
# county centre's router (上城区, 330102), a town's (东街镇, 33010201) below it and a village's
# (东村, 3301020101) below that, with the village's two simulated cameras on its own worker
# (deploy/county-village.yaml). Each level has its own desk. A child speaks for its region
# prefix only: its cameras' IDs and regions both start with it (GB/T 28181 codes do).
# Ctrl-C stops it all; XL_DEMO_SECONDS=N stops by itself after N seconds and prints the links.
# Run deploy/setup.sh first (or deploy/demo.sh).
#
# On real sites each router runs at its own centre: bind --children on the address the level
# below reaches (e.g. tcp://0.0.0.0:5570) and give --parent the parent's address.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${XL_BUILD_DIR:-$root/build}"
fixtures="${XL_FIXTURES:-${XDG_CACHE_HOME:-$HOME/.cache}/xueliang-fixtures}"
run="$build/county"
xl="$build/tools/xl"
mkdir -p "$run"/{county,town,village}
rm -f "$run"/*/xueliang.db* "$run"/village/village-worker.outbox.db*

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
export XL_ADMIN_PASSWORD="${XL_ADMIN_PASSWORD:-xueliang-demo}" XL_PASSWORD="${XL_ADMIN_PASSWORD:-xueliang-demo}"

# Every router's key pair first: each level registers the one below, and is told the one above.
for level in county town village; do
  [[ -f "$run/$level/router.key" ]] || "$xl" key gen --out "$run/$level/router.key" >/dev/null
done
[[ -f "$run/village/village-worker.key" ]] || "$xl" key gen --out "$run/village/village-worker.key" >/dev/null

# router LEVEL BASE HTTP RTSP ARGS...: ZeroMQ endpoints BASE (workers) to BASE+4 (video).
router() {
  local level="$1" base="$2" http="$3" rtsp="$4"
  shift 4
  "$build/router/xl-router" --workers "tcp://127.0.0.1:$base" --clients "tcp://127.0.0.1:$((base + 1))" \
    --control "tcp://127.0.0.1:$((base + 2))" --media "tcp://127.0.0.1:$((base + 3))" \
    --video "tcp://127.0.0.1:$((base + 4))" --http "127.0.0.1:$http" --rtsp "127.0.0.1:$rtsp" \
    --db "$run/$level/xueliang.db" --key "$run/$level/router.key" --regions "$root/deploy/regions.yaml" "$@" \
    >"$run/$level/router.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do "$xl" --api "http://127.0.0.1:$http" key ls >/dev/null 2>&1 && return; sleep 0.2; done
  echo "county.sh: the $level router did not start; see $run/$level/router.log" >&2
  exit 1
}

# The county: takes the town as a child speaking for its region, with a 6 Mbit/s live budget.
router county 5555 8080 8554 --children tcp://127.0.0.1:5570 --site-name 上城区
"$xl" --api http://127.0.0.1:8080 key add child 东街镇 "$run/town/router.key" --prefix 33010201 \
  --live-kbps 6000 >/dev/null
# The town: the county's child, and the parent of the village (a thin link: 3 Mbit/s).
router town 5655 8081 8555 --children tcp://127.0.0.1:5670 --site-name 东街镇 \
  --parent tcp://127.0.0.1:5570 --parent-key "$run/county/router.key"
"$xl" --api http://127.0.0.1:8081 key add child 东村 "$run/village/router.key" --prefix 3301020101 \
  --live-kbps 3000 >/dev/null
# The village: the town's child, with its own worker and cameras.
router village 5755 8082 8556 --parent tcp://127.0.0.1:5670 --parent-key "$run/town/router.key"
"$xl" --api http://127.0.0.1:8082 key add worker village-worker "$run/village/village-worker.key" >/dev/null

"$build/tools/xl-camsim" --port 10654 --bind 127.0.0.1 --user admin --password xueliang --fps 10 \
  --cache "$fixtures/camsim-cache" --stream cam1="$fixtures/vtest.avi" --stream cam2="$fixtures/tree.avi" \
  >"$run/village/camsim.log" 2>&1 &
pids+=($!)
for _ in $(seq 600); do grep -q "camsim: ready" "$run/village/camsim.log" && break; sleep 0.2; done
(cd "$run/village" && exec "$build/ingest/xl-ingest" --config "$root/deploy/county-village.yaml") \
  >"$run/village/ingest.log" 2>&1 &
pids+=($!)

echo "Xueliang county example: logs in $run/{county,town,village}; Ctrl-C to stop."
echo "Desks (user admin, password $XL_ADMIN_PASSWORD): county http://127.0.0.1:8080/  town http://127.0.0.1:8081/  village http://127.0.0.1:8082/"
echo "Links: XL_PASSWORD=$XL_ADMIN_PASSWORD $xl --api http://127.0.0.1:8080 link ls   (and :8081, :8082)"
if [[ -n "${XL_DEMO_SECONDS:-}" ]]; then
  sleep "$XL_DEMO_SECONDS"
  for api in 8080 8081 8082; do "$xl" --api "http://127.0.0.1:$api" link ls || true; done
else
  wait
fi
