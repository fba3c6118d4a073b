// The encoded units of a camera since its last keyframe, kept while the encoded stream is
// tapped anyway (clips), so a viewer who starts watching gets a picture at once instead of
// waiting for the camera's next keyframe (up to a GOP: 1 to 4 s on most cameras).
// Not thread-safe: the encoded streaming thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ingest/encoded_unit.h"

namespace xl::ingest {

class LiveGop {
 public:
  struct Unit {
    std::string data;
    int64_t pts_us, dts_us;
    bool keyframe;
    std::string codec;
  };
  // A GOP past this is not kept (a camera with a very long GOP starts at its next keyframe).
  static constexpr size_t kMaxBytes = 4 << 20;

  // Keeps `unit`: a keyframe starts the GOP afresh; nothing is kept before the first keyframe
  // or after the GOP grew past kMaxBytes.
  void Add(const EncodedUnit& unit);
  // The units from the last keyframe on, oldest first (empty when none is kept).
  const std::vector<Unit>& units() const { return units_; }

 private:
  std::vector<Unit> units_;
  size_t bytes_ = 0;
};

}  // namespace xl::ingest
