// Everything analytics does for one camera: frames in, alerts out.
// Not thread-safe: one camera's frames arrive on one thread, in order.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "analytics/event_tracker.h"
#include "analytics/face_detector.h"
#include "analytics/frame.h"
#include "analytics/motion_detector.h"
#include "analytics/object_events.h"
#include "analytics/video_faults.h"
#include "proto/camera/analytics_settings.h"
#include "xueliang.pb.h"

namespace xl::analytics {

struct CameraInfo {
  std::string id;
  std::string name;
  std::string region;
};

// An alert of `camera` with its identity filled in; one event's messages share the id
// "<camera id>-<start ms>-<kind>".
wire::Alert NewAlert(const CameraInfo& camera, wire::AlertKind kind, wire::AlertPhase phase, int64_t start_ms,
                     int64_t time_ms);

// The models a camera's analytics runs, loaded from its settings: a face detector when
// faces are enabled, an object detector when objects are (both only with motion on).
struct Detectors {
  std::unique_ptr<FaceDetector> faces;
  std::unique_ptr<ObjectDetector> objects;
};
// An Error naming the model file when one is missing, unreadable or of the wrong kind.
Result<Detectors> LoadDetectors(const AnalyticsConfig& config);

// Adds to `alert` a box for `rect` (pixels of a `frame`-sized picture), in frame shares.
wire::Box* AddBox(wire::Alert* alert, const cv::Rect& rect, cv::Size frame, float score);
// `picture` as a JPEG of `quality` (1-100), for a snapshot or a crop.
std::string Jpeg(const cv::Mat& picture, int quality);

class CameraAnalytics {
 public:
  // `detectors` as LoadDetectors(config) gives them. With an object detector, motion is
  // where objects are looked for and raises no alert of its own.
  CameraAnalytics(CameraInfo camera, AnalyticsConfig config, Detectors detectors = {});

  // Analyses one frame; returns the alerts it completes (often none).
  std::vector<wire::Alert> Process(const Frame& frame);

  // Ends any open event and fault, e.g. when the camera stops; returns their end alerts.
  std::vector<wire::Alert> Close(int64_t time_ms);

  // Video faults open now.
  std::vector<wire::AlertKind> open_faults() const { return faults_.open(); }

  // Share of the view where motion is suppressed because it changes all the time (a
  // screen, water, leaves), when it is over motion.suppressed_warning; else 0.
  double motion_suppressed() const { return suppressed_; }

 private:
  wire::Alert NewAlert(wire::AlertKind kind, wire::AlertPhase phase, int64_t start_ms, int64_t time_ms) const {
    return analytics::NewAlert(camera_, kind, phase, start_ms, time_ms);
  }
  wire::Alert MakeAlert(wire::AlertPhase phase, int64_t time_ms) const;
  void ProcessFaults(const Frame& frame, std::vector<wire::Alert>& out);
  // Looks for faces around the motion of this frame, at most config.faces.fps times a second.
  void ProcessFaces(const Frame& frame, const MotionResult& motion, std::vector<wire::Alert>& out);
  void AttachSnapshot(wire::Alert* alert);

  CameraInfo camera_;
  AnalyticsConfig config_;
  std::unique_ptr<MotionDetector> motion_;
  EventTracker motion_events_;
  std::vector<std::string> zones_;  // zones touched by the open event
  MotionResult last_;               // result of the latest frame with motion
  double suppressed_ = 0;
  Frame best_;  // frame with the most motion in the open event
  double best_score_ = 0;
  double sent_score_ = 0;  // score of the snapshot last sent
  VideoFaultDetector faults_;
  std::unique_ptr<FaceDetector> face_detector_;
  EventTracker face_events_;
  std::unique_ptr<ObjectEvents> objects_;  // when config.objects.enabled
  int64_t last_face_check_ms_ = -1;
  std::map<wire::AlertKind, int64_t> fault_started_ms_;  // open faults: when they started
};

}  // namespace xl::analytics
