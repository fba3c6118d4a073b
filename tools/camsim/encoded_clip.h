// A clip held in memory as encoded access units (H.264 or H.265 byte-stream), ready to be
// streamed in a loop without re-encoding.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace xl::camsim {

struct AccessUnit {
  std::vector<uint8_t> bytes;  // byte-stream (start codes), parameter sets before keyframes
  int64_t pts_ns = 0;          // relative to the clip's start
  int64_t dts_ns = 0;
  int64_t duration_ns = 0;
  bool keyframe = false;
};

struct EncodedClip {
  std::string codec;  // "h264" or "h265"
  int width = 0;
  int height = 0;
  std::vector<AccessUnit> units;
  int64_t duration_ns = 0;  // one loop
};

struct ClipOptions {
  bool transcode = false;      // re-encode even when the file is already H.264/H.265
  std::string codec = "h264";  // codec to transcode to
  int width = 0, height = 0;   // transcode size; 0: keep the file's
  int fps = 0;                 // transcode rate; 0: keep the file's
  int bitrate_kbps = 0;        // 0: 1 Mbit/s per 640×360, scaled by area
};

// Reads the file's video. H.264/H.265 are taken as they are (unless options.transcode);
// any other codec is transcoded once. Requires gst_init().
Result<EncodedClip> LoadClip(const std::string& path, const ClipOptions& options);

}  // namespace xl::camsim
