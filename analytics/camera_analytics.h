// Everything analytics does for one camera: frames in, alerts out.
// Not thread-safe: one camera's frames arrive on one thread, in order.
#pragma once

#include <string>
#include <vector>

#include "analytics/event_tracker.h"
#include "analytics/frame.h"
#include "analytics/motion_detector.h"
#include "xueliang.pb.h"

namespace xl::analytics {

struct CameraInfo {
  std::string id;
  std::string name;
  std::string region;
};

struct AnalyticsConfig {
  bool motion_enabled = true;
  MotionConfig motion;
  EventConfig events;
  int jpeg_quality = 85;
};

class CameraAnalytics {
 public:
  CameraAnalytics(CameraInfo camera, AnalyticsConfig config);

  // Analyses one frame; returns the alerts it completes (often none).
  std::vector<wire::Alert> Process(const Frame& frame);

  // Ends any open event, e.g. when the camera stops; returns its end alert if there was one.
  std::vector<wire::Alert> Close(int64_t time_ms);

 private:
  wire::Alert MakeAlert(wire::AlertPhase phase, int64_t time_ms) const;
  void AttachSnapshot(wire::Alert* alert);

  CameraInfo camera_;
  AnalyticsConfig config_;
  MotionDetector motion_;
  EventTracker motion_events_;
  std::vector<std::string> zones_;  // zones touched by the open event
  MotionResult last_;               // result of the latest frame with motion
  Frame best_;                      // frame with the most motion in the open event
  double best_score_ = 0;
  double sent_score_ = 0;           // score of the snapshot last sent
};

}  // namespace xl::analytics
