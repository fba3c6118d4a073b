// One encoded access unit as the camera pipeline hands it out.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xl::ingest {

// Annex B byte stream, parameter sets before every keyframe. `data` is valid only during
// the callback that receives it.
struct EncodedUnit {
  const uint8_t* data;
  size_t size;
  int64_t pts_us;  // stream time; -1 when unknown
  int64_t dts_us;  // stream time; -1 when unknown
  bool keyframe;
  const char* codec;  // "h264" or "h265"
};

}  // namespace xl::ingest
