#include "analytics/object_events.h"

#include <algorithm>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "analytics/camera_analytics.h"

namespace xl::analytics {

ObjectEvents::ObjectEvents(const AnalyticsConfig& config, std::unique_ptr<ObjectDetector> detector)
    : config_(config.objects),
      zones_(config.motion.zones),
      jpeg_quality_(config.jpeg_quality),
      detector_(std::move(detector)),
      events_(EventConfig{1, config.events.update_interval_ms, config.events.quiet_ms}) {}

std::string ObjectEvents::ZoneOf(const cv::Rect& box, cv::Size frame) const {
  const cv::Point2f feet(float(box.x + box.width / 2) / float(frame.width), float(box.br().y) / float(frame.height));
  for (const Zone& zone : zones_) {
    std::vector<cv::Point2f> polygon;
    for (const PointF& p : zone.polygon) polygon.emplace_back(p.x, p.y);
    if (cv::pointPolygonTest(polygon, feet, false) >= 0) return zone.name;
  }
  return "";
}

void ObjectEvents::Observe(const CameraInfo& camera, const Frame& frame, const MotionResult& motion,
                           std::vector<wire::Alert>& out) {
  const int64_t now = frame.time_ms;
  if (!DueAt(last_check_ms_, now, config_.fps)) return;
  std::vector<DetectedObject> objects;
  cv::Mat bgr;
  if (!motion.boxes.empty()) {
    last_check_ms_ = now;
    bgr = frame.Bgr();
    const std::vector<cv::Rect> regions = MotionRects(motion);
    // What moves: a parked car or someone standing in a crop is not the news.
    for (DetectedObject& o : detector_->Detect(bgr, regions)) {
      const bool moving =
          std::any_of(regions.begin(), regions.end(), [&](const cv::Rect& r) { return (r & o.rect).area() > 0; });
      if (moving) objects.push_back(std::move(o));
    }
  }
  const EventStep step = events_.Observe(now, !objects.empty());
  if (step == EventStep::kNone) return;
  if (step == EventStep::kStart) {
    labels_.clear();
    best_score_ = 0;
  }
  const wire::AlertPhase phase = step == EventStep::kStart    ? wire::ALERT_PHASE_START
                                 : step == EventStep::kUpdate ? wire::ALERT_PHASE_UPDATE
                                                              : wire::ALERT_PHASE_END;
  wire::Alert a = NewAlert(camera, wire::ALERT_KIND_OBJECT, phase, events_.start_ms(), now);
  if (step == EventStep::kEnd) {
    a.set_end_ms(events_.last_active_ms());
    for (const std::string& l : labels_) a.add_labels(l);
    out.push_back(std::move(a));
    return;
  }
  if (objects.empty()) return;  // an update step on a frame where nothing was found: nothing to show
  a.set_frame_width(uint32_t(frame.width));
  a.set_frame_height(uint32_t(frame.height));
  a.set_score(objects.front().score);
  std::set<std::string> zones;
  for (const DetectedObject& o : objects) {
    labels_.insert(o.label);
    wire::Box* b = AddBox(&a, o.rect, cv::Size(frame.width, frame.height), o.score);
    b->set_label(o.label);
    b->set_zone(ZoneOf(o.rect, cv::Size(frame.width, frame.height)));
    if (!b->zone().empty()) zones.insert(b->zone());
  }
  for (const std::string& l : labels_) a.add_labels(l);
  for (const std::string& z : zones) a.add_zones(z);
  // A snapshot at the start, later only when an object is found clearly more surely.
  if (step == EventStep::kStart || objects.front().score > best_score_ + 0.1f) {
    best_score_ = objects.front().score;
    a.set_snapshot_jpeg(Jpeg(bgr, jpeg_quality_));
    a.set_crop_jpeg(Jpeg(bgr(objects.front().rect), jpeg_quality_));
  }
  out.push_back(std::move(a));
}

void ObjectEvents::Close(const CameraInfo& camera, int64_t time_ms, std::vector<wire::Alert>& out) {
  if (events_.Close(time_ms) != EventStep::kEnd) return;
  wire::Alert a = NewAlert(camera, wire::ALERT_KIND_OBJECT, wire::ALERT_PHASE_END, events_.start_ms(), time_ms);
  a.set_end_ms(events_.last_active_ms());
  for (const std::string& l : labels_) a.add_labels(l);
  out.push_back(std::move(a));
}

}  // namespace xl::analytics
