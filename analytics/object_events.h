// Object events of one camera: where motion is, the object detector looks (at most
// config.fps times a second); a moving object (its box on a motion box: a parked car or
// someone standing in the same crop is left out) whose label the camera alerts on starts an event of
// kind "object" (start → update → end like motion), each message carrying the objects'
// boxes with their labels and zones, the labels seen so far, a snapshot and the best
// object cropped. Not thread-safe: one camera's frames come in order on one thread.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "analytics/event_tracker.h"
#include "analytics/frame.h"
#include "analytics/motion_geometry.h"
#include "analytics/object_detector.h"
#include "proto/camera/analytics_settings.h"
#include "xueliang.pb.h"

namespace xl::analytics {

struct CameraInfo;

class ObjectEvents {
 public:
  // `detector` must be loaded from config.objects (ObjectDetector::Load).
  ObjectEvents(const AnalyticsConfig& config, std::unique_ptr<ObjectDetector> detector);

  // Looks at `frame` when due and motion found something; appends the alerts it completes.
  void Observe(const CameraInfo& camera, const Frame& frame, const MotionResult& motion, std::vector<wire::Alert>& out);
  // Ends an open event (camera stopped); appends its end.
  void Close(const CameraInfo& camera, int64_t time_ms, std::vector<wire::Alert>& out);

 private:
  // The zone whose polygon holds the object's feet (the middle of its box's bottom edge).
  std::string ZoneOf(const cv::Rect& box, cv::Size frame) const;

  ObjectConfig config_;
  std::vector<Zone> zones_;
  int jpeg_quality_;
  std::unique_ptr<ObjectDetector> detector_;
  EventTracker events_;
  int64_t last_check_ms_ = -1;
  std::set<std::string> labels_;  // seen in the open event
  float best_score_ = 0;          // of the snapshot sent
};

}  // namespace xl::analytics
