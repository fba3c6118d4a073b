#include "analytics/camera_analytics.h"

#include <algorithm>
#include <opencv2/imgcodecs.hpp>

#include "xl/wire.h"

namespace xl::analytics {

CameraAnalytics::CameraAnalytics(CameraInfo camera, AnalyticsConfig config)
    : camera_(std::move(camera)),
      config_(std::move(config)),
      motion_(config_.motion),
      motion_events_(config_.events),
      faults_(config_.faults) {}

wire::Alert CameraAnalytics::NewAlert(wire::AlertKind kind, wire::AlertPhase phase, int64_t start_ms,
                                      int64_t time_ms) const {
  wire::Alert a;
  a.set_id(camera_.id + "-" + std::to_string(start_ms) + "-" + KindName(kind));
  a.set_camera_id(camera_.id);
  a.set_camera_name(camera_.name);
  a.set_region(camera_.region);
  a.set_kind(kind);
  a.set_phase(phase);
  a.set_start_ms(start_ms);
  a.set_time_ms(time_ms);
  return a;
}

// Fault alerts: start (with the picture that shows it) and end, one event per fault.
void CameraAnalytics::ProcessFaults(const Frame& frame, std::vector<wire::Alert>& out) {
  for (const FaultChange& c : faults_.Observe(frame)) {
    if (c.started) fault_started_ms_[c.kind] = frame.time_ms;
    wire::Alert a = NewAlert(c.kind, c.started ? wire::ALERT_PHASE_START : wire::ALERT_PHASE_END,
                             fault_started_ms_[c.kind], frame.time_ms);
    a.set_score(float(c.score));
    a.set_frame_width(uint32_t(frame.width));
    a.set_frame_height(uint32_t(frame.height));
    if (c.started) {
      std::vector<uint8_t> jpeg;
      cv::imencode(".jpg", frame.Bgr(), jpeg, {cv::IMWRITE_JPEG_QUALITY, config_.jpeg_quality});
      a.set_snapshot_jpeg(jpeg.data(), jpeg.size());
    } else {
      a.set_end_ms(frame.time_ms);
      fault_started_ms_.erase(c.kind);
    }
    out.push_back(std::move(a));
  }
}

std::vector<wire::Alert> CameraAnalytics::Process(const Frame& frame) {
  std::vector<wire::Alert> out;
  ProcessFaults(frame, out);
  if (!config_.motion_enabled) return out;

  MotionResult result = motion_.Detect(frame.Grey());
  const bool moving = !result.boxes.empty();
  if (moving) {
    last_ = result;
    for (const MotionBox& box : result.boxes) {
      if (!box.zone.empty() && std::find(zones_.begin(), zones_.end(), box.zone) == zones_.end()) {
        zones_.push_back(box.zone);
      }
    }
    if (result.moving_fraction > best_score_) {
      best_score_ = result.moving_fraction;
      frame.i420.copyTo(best_.i420);
      best_.width = frame.width;
      best_.height = frame.height;
      best_.time_ms = frame.time_ms;
    }
  }

  const EventStep step = motion_events_.Observe(frame.time_ms, moving);
  switch (step) {
    case EventStep::kStart:
    case EventStep::kUpdate: {
      wire::Alert alert = MakeAlert(
          step == EventStep::kStart ? wire::ALERT_PHASE_START : wire::ALERT_PHASE_UPDATE, frame.time_ms);
      alert.set_score(static_cast<float>(result.moving_fraction));
      // A new snapshot goes out at the start, and later only when clearly better (20 % more
      // moving area) than the one sent: JPEG encoding is the costliest step per camera.
      if (step == EventStep::kStart || best_score_ >= sent_score_ * 1.2) AttachSnapshot(&alert);
      out.push_back(std::move(alert));
      break;
    }
    case EventStep::kEnd:
      out.push_back(MakeAlert(wire::ALERT_PHASE_END, frame.time_ms));
      zones_.clear();
      best_score_ = 0;
      break;
    case EventStep::kNone:
      // Outside an event, forget the picture of motion that never became one.
      if (!motion_events_.open() && !moving) { best_score_ = 0; zones_.clear(); }
      break;
  }
  return out;
}

std::vector<wire::Alert> CameraAnalytics::Close(int64_t time_ms) {
  std::vector<wire::Alert> out;
  if (motion_events_.Close(time_ms) == EventStep::kEnd) {
    out.push_back(MakeAlert(wire::ALERT_PHASE_END, time_ms));
  }
  // A stopped camera's faults end with it (a lost signal is reported by the camera itself).
  for (const auto& [kind, start] : fault_started_ms_) {
    wire::Alert a = NewAlert(kind, wire::ALERT_PHASE_END, start, time_ms);
    a.set_end_ms(time_ms);
    out.push_back(std::move(a));
  }
  fault_started_ms_.clear();
  zones_.clear();
  best_score_ = 0;
  return out;
}

wire::Alert CameraAnalytics::MakeAlert(wire::AlertPhase phase, int64_t time_ms) const {
  wire::Alert a = NewAlert(wire::ALERT_KIND_MOTION, phase, motion_events_.start_ms(), time_ms);
  for (const std::string& z : zones_) a.add_zones(z);
  if (phase == wire::ALERT_PHASE_END) {
    a.set_end_ms(motion_events_.last_active_ms());
    a.set_score(static_cast<float>(best_score_));
    return a;
  }
  const cv::Size size = best_.i420.empty() ? cv::Size(0, 0) : cv::Size(best_.width, best_.height);
  a.set_frame_width(size.width);
  a.set_frame_height(size.height);
  for (const MotionBox& mb : last_.boxes) {
    if (size.width == 0) break;
    wire::Box* b = a.add_boxes();
    b->set_x(float(mb.rect.x) / size.width);
    b->set_y(float(mb.rect.y) / size.height);
    b->set_w(float(mb.rect.width) / size.width);
    b->set_h(float(mb.rect.height) / size.height);
    b->set_score(static_cast<float>(mb.area));
    b->set_zone(mb.zone);
  }
  return a;
}

void CameraAnalytics::AttachSnapshot(wire::Alert* alert) {
  if (best_.i420.empty()) return;
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", best_.Bgr(), jpeg, {cv::IMWRITE_JPEG_QUALITY, config_.jpeg_quality});
  alert->set_snapshot_jpeg(jpeg.data(), jpeg.size());
  sent_score_ = best_score_;
}

}  // namespace xl::analytics
