#include "ingest/live_gop.h"

namespace xl::ingest {

void LiveGop::Add(const EncodedUnit& unit) {
  if (unit.keyframe) {
    units_.clear();
    bytes_ = 0;
  } else if (units_.empty()) {
    return;  // no keyframe to start from
  }
  if (bytes_ + unit.size > kMaxBytes) {
    units_.clear();
    bytes_ = 0;
    return;
  }
  units_.push_back({std::string(reinterpret_cast<const char*>(unit.data), unit.size), unit.pts_us, unit.dts_us,
                    unit.keyframe, unit.codec});
  bytes_ += unit.size;
}

}  // namespace xl::ingest
