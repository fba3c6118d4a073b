#include "analytics/motion_detector.h"

#include "analytics/adaptive_motion.h"
#include "analytics/classic_motion.h"

namespace xl::analytics {

std::unique_ptr<MotionDetector> MakeMotionDetector(const MotionConfig& config) {
  if (config.algorithm == "classic") return std::make_unique<ClassicMotion>(config);
  return std::make_unique<AdaptiveMotion>(config);
}

}  // namespace xl::analytics
