// Motion detection on grey frames of one camera: boxes of what moves, in zones, never in
// masks. Two algorithms (`motion.algorithm`, docs/configuration.md):
//   adaptive (default) — learns per pixel what changes all the time and suppresses only that
//                        (analytics/adaptive_motion.h);
//   classic            — after Frigate's detector, one calibration gate for the whole frame
//                        (analytics/classic_motion.h), kept for comparison.
#pragma once

#include <cstdint>
#include <memory>
#include <opencv2/core.hpp>

#include "analytics/motion_geometry.h"
#include "proto/camera/analytics_settings.h"

namespace xl::analytics {

class MotionDetector {
 public:
  virtual ~MotionDetector() = default;

  // `grey` is one 8-bit frame taken at `time_ms` (non-decreasing); successive calls pass
  // frames of the same size (another size starts learning again).
  virtual MotionResult Detect(const cv::Mat& grey, int64_t time_ms) = 0;
};

// The detector `config.algorithm` names ("adaptive" or "classic"; the spec parser accepts
// no other).
std::unique_ptr<MotionDetector> MakeMotionDetector(const MotionConfig& config);

}  // namespace xl::analytics
