#include "analytics/camera_analytics.h"

#include <algorithm>
#include <opencv2/imgcodecs.hpp>

#include "proto/wire/wire.h"

namespace xl::analytics {

Result<Detectors> LoadDetectors(const AnalyticsConfig& config) {
  Detectors d;
  if (!config.motion_enabled) return d;
  if (config.faces.enabled) {
    auto faces = MakeFaceDetector(config.faces);
    if (!faces.ok()) return faces.error();
    d.faces = std::move(faces.value());
  }
  if (config.objects.enabled) {
    auto objects = ObjectDetector::Load(config.objects);
    if (!objects.ok()) return objects.error();
    d.objects = std::move(objects.value());
  }
  return d;
}

CameraAnalytics::CameraAnalytics(CameraInfo camera, AnalyticsConfig config, Detectors detectors)
    : camera_(std::move(camera)),
      config_(std::move(config)),
      motion_(MakeMotionDetector(config_.motion)),
      motion_events_(config_.events),
      faults_(config_.faults),
      face_detector_(std::move(detectors.faces)),
      face_events_(EventConfig{1, config_.events.update_interval_ms, config_.events.quiet_ms}) {
  if (detectors.objects) objects_ = std::make_unique<ObjectEvents>(config_, std::move(detectors.objects));
}

void CameraAnalytics::ProcessFaces(const Frame& frame, const MotionResult& motion, std::vector<wire::Alert>& out) {
  if (!face_detector_) return;
  const int64_t now = frame.time_ms;
  if (!DueAt(last_face_check_ms_, now, config_.faces.fps)) return;
  // Faces in frame pixels, with the crop each was found in (for the face picture).
  std::vector<std::pair<Face, cv::Rect>> faces;
  cv::Mat bgr;
  if (!motion.boxes.empty()) {
    last_face_check_ms_ = now;
    bgr = frame.Bgr();
    // Only where something moves (as Frigate does): a square around each of the largest
    // moving areas, so a face stays large in what the detector sees.
    std::vector<cv::Rect> areas = MotionRects(motion);
    std::sort(areas.begin(), areas.end(), [](const cv::Rect& a, const cv::Rect& b) { return a.area() > b.area(); });
    if (areas.size() > 3) areas.resize(3);
    for (const cv::Rect& area : areas) {
      const int side = int(std::max(area.width, area.height) * 1.25) + 16;
      const cv::Rect crop =
          cv::Rect(area.x + area.width / 2 - side / 2, area.y + area.height / 2 - side / 2, side, side) &
          cv::Rect(0, 0, frame.width, frame.height);
      if (crop.area() <= 0) continue;
      for (Face f : face_detector_->Detect(bgr(crop))) {
        f.rect += crop.tl();
        faces.emplace_back(f, f.rect);
      }
    }
    std::sort(faces.begin(), faces.end(), [](const auto& a, const auto& b) { return a.first.score > b.first.score; });
  }
  const EventStep step = face_events_.Observe(now, !faces.empty());
  if (step == EventStep::kNone) return;
  wire::Alert a = NewAlert(wire::ALERT_KIND_FACE,
                           step == EventStep::kStart    ? wire::ALERT_PHASE_START
                           : step == EventStep::kUpdate ? wire::ALERT_PHASE_UPDATE
                                                        : wire::ALERT_PHASE_END,
                           face_events_.start_ms(), now);
  if (step == EventStep::kEnd) {
    a.set_end_ms(face_events_.last_active_ms());
    out.push_back(std::move(a));
    return;
  }
  if (faces.empty()) return;  // an update step on a frame without faces: nothing to show
  a.set_frame_width(uint32_t(frame.width));
  a.set_frame_height(uint32_t(frame.height));
  a.set_score(faces.front().first.score);
  for (const auto& [f, where] : faces) AddBox(&a, f.rect, cv::Size(frame.width, frame.height), f.score);
  a.set_snapshot_jpeg(Jpeg(bgr, config_.jpeg_quality));
  a.set_crop_jpeg(
      Jpeg(bgr(faces.front().first.rect & cv::Rect(0, 0, frame.width, frame.height)), config_.jpeg_quality));
  out.push_back(std::move(a));
}

wire::Box* AddBox(wire::Alert* alert, const cv::Rect& rect, cv::Size frame, float score) {
  wire::Box* b = alert->add_boxes();
  b->set_x(float(rect.x) / float(frame.width));
  b->set_y(float(rect.y) / float(frame.height));
  b->set_w(float(rect.width) / float(frame.width));
  b->set_h(float(rect.height) / float(frame.height));
  b->set_score(score);
  return b;
}

std::string Jpeg(const cv::Mat& picture, int quality) {
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", picture, jpeg, {cv::IMWRITE_JPEG_QUALITY, quality});
  return std::string(jpeg.begin(), jpeg.end());
}

wire::Alert NewAlert(const CameraInfo& camera, wire::AlertKind kind, wire::AlertPhase phase, int64_t start_ms,
                     int64_t time_ms) {
  wire::Alert a;
  a.set_id(camera.id + "-" + std::to_string(start_ms) + "-" + KindName(kind));
  a.set_camera_id(camera.id);
  a.set_camera_name(camera.name);
  a.set_region(camera.region);
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
      a.set_snapshot_jpeg(Jpeg(frame.Bgr(), config_.jpeg_quality));
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

  MotionResult result = motion_->Detect(frame.Grey(), frame.time_ms);
  suppressed_ = result.suppressed_fraction > config_.motion.suppressed_warning ? result.suppressed_fraction : 0;
  ProcessFaces(frame, result, out);
  if (objects_) {  // motion only says where to look
    objects_->Observe(camera_, frame, result, out);
    return out;
  }
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
      wire::Alert alert =
          MakeAlert(step == EventStep::kStart ? wire::ALERT_PHASE_START : wire::ALERT_PHASE_UPDATE, frame.time_ms);
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
      if (!motion_events_.open() && !moving) {
        best_score_ = 0;
        zones_.clear();
      }
      break;
  }
  return out;
}

std::vector<wire::Alert> CameraAnalytics::Close(int64_t time_ms) {
  std::vector<wire::Alert> out;
  if (objects_) objects_->Close(camera_, time_ms, out);
  if (motion_events_.Close(time_ms) == EventStep::kEnd) {
    out.push_back(MakeAlert(wire::ALERT_PHASE_END, time_ms));
  }
  if (face_events_.Close(time_ms) == EventStep::kEnd) {
    wire::Alert a = NewAlert(wire::ALERT_KIND_FACE, wire::ALERT_PHASE_END, face_events_.start_ms(), time_ms);
    a.set_end_ms(face_events_.last_active_ms());
    out.push_back(std::move(a));
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
    AddBox(&a, mb.rect, size, static_cast<float>(mb.area))->set_zone(mb.zone);
  }
  return a;
}

void CameraAnalytics::AttachSnapshot(wire::Alert* alert) {
  if (best_.i420.empty()) return;
  alert->set_snapshot_jpeg(Jpeg(best_.Bgr(), config_.jpeg_quality));
  sent_score_ = best_score_;
}

}  // namespace xl::analytics
