#include "ingest/camera_session.h"

#include "common/clock.h"

namespace xl::ingest {

Session::Session(const CameraConfig& c, Publisher& publisher, MediaPublisher& media, PipelineCounters& counters,
                 ClipStore& clips, RecordingStore& recordings, analytics::Detectors detectors)
    : camera_id_(c.id),
      publisher_(publisher),
      media_(media),
      counters_(counters),
      analytics_({c.id, c.name, c.region}, c.analytics, std::move(detectors)) {
  if (c.clips.enabled && c.analytics.motion_enabled && clips.enabled()) {
    recorder_ = std::make_unique<ClipRecorder>(c.clips, c.id, c.id + " (" + c.name + ")", clips);
  }
  recording_ = recordings.Open(c.id, c.id + " (" + c.name + ")", c.record);
}

void Session::OnFrame(analytics::Frame& frame) {
  last_frame_ms_.store(frame.time_ms);
  frames_.fetch_add(1);
  Send(analytics_.Process(frame));
  uint32_t mask = 0;
  for (wire::AlertKind k : analytics_.open_faults()) mask |= 1u << k;
  fault_mask_.store(mask);
  motion_suppressed_.store(float(analytics_.motion_suppressed()));
}

void Session::OnEncoded(const EncodedUnit& unit) {
  const int64_t now = NowMs();
  if (recorder_ || recording_) {
    const StoredUnitPtr stored = StoreUnit(unit.data, unit.size, unit.pts_us, unit.dts_us, unit.keyframe, now);
    if (recorder_) recorder_->Feed(stored, unit.codec);
    if (recording_) recording_->Feed(stored, unit.codec, counters_.width, counters_.height);
  }
  const bool live = live_.load();
  const bool starting = live && !sending_;
  sending_ = live;
  if (!live) return;
  if (starting && recorder_) {  // from the clips' buffer: the last keyframe on, ending with this unit
    const std::vector<StoredUnitPtr> gop = recorder_->SinceLastKeyframe();
    for (const StoredUnitPtr& u : gop) SendVideo(unit.codec, u->bytes, u->pts_us, u->dts_us, u->keyframe, now);
    if (!gop.empty()) return;
  }
  SendVideo(unit.codec, std::string_view(reinterpret_cast<const char*>(unit.data), unit.size), unit.pts_us, unit.dts_us,
            unit.keyframe, now);
}

void Session::SendVideo(const char* codec, std::string_view data, int64_t pts_us, int64_t dts_us, bool keyframe,
                        int64_t now_ms) {
  wire::VideoFrame v;
  v.set_camera_id(camera_id_);
  v.set_codec(codec);
  v.set_pts_us(pts_us);
  v.set_dts_us(dts_us);
  v.set_keyframe(keyframe);
  v.set_width(counters_.width);
  v.set_height(counters_.height);
  v.set_data(data.data(), data.size());
  v.set_seq(counters_.video_seq.fetch_add(1) + 1);
  v.set_sent_ms(now_ms);
  media_.Publish(v);
}

std::vector<wire::AlertKind> Session::open_faults() const {
  std::vector<wire::AlertKind> kinds;
  const uint32_t mask = fault_mask_.load();
  for (int k = 0; k < 32; ++k) {
    if (mask & (1u << k)) kinds.push_back(wire::AlertKind(k));
  }
  return kinds;
}

void Session::Close(int64_t now_ms, const std::string& reason) {
  Send(analytics_.Close(now_ms));
  if (recorder_) recorder_->Close();
  if (recording_) recording_->End(reason);
}

namespace {

// Events of what happens in the scene (motion, faces, objects), not of the video itself:
// they get clips and keep recordings.
bool IsSceneEvent(wire::AlertKind kind) {
  return kind == wire::ALERT_KIND_MOTION || kind == wire::ALERT_KIND_FACE || kind == wire::ALERT_KIND_OBJECT;
}

}  // namespace

void Session::TrackClip(wire::Alert& a) {
  if (!recorder_ || !IsSceneEvent(a.kind())) return;
  // Every event of this session starts here, so its clip's path follows from the alert.
  if (a.phase() == wire::ALERT_PHASE_START) {
    a.set_clip_path(recorder_->Begin(a.id(), a.start_ms()));
  } else {
    a.set_clip_path(ClipStore::RelativePath(camera_id_, a.id(), a.start_ms()));
  }
  if (a.phase() == wire::ALERT_PHASE_END) recorder_->End(a.id(), a.end_ms() ? a.end_ms() : a.time_ms());
}

void Session::KeepRecording(const wire::Alert& a) {
  if (!recording_ || a.phase() != wire::ALERT_PHASE_END) return;
  if (!IsSceneEvent(a.kind())) return;
  recording_->Event(a.start_ms(), a.end_ms() ? a.end_ms() : a.time_ms());
}

void Session::Send(std::vector<wire::Alert> alerts) {
  for (wire::Alert& a : alerts) {
    TrackClip(a);
    KeepRecording(a);
    wire::Envelope env;
    *env.mutable_alert() = std::move(a);
    publisher_.Publish(std::move(env));
  }
}

}  // namespace xl::ingest
