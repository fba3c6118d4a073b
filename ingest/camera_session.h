// What one pipeline attempt of a camera shares with its streaming threads: analytics on the
// decoded frames (alerts to the router), live video and event clips from the encoded stream.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/camera_analytics.h"
#include "ingest/camera_pipeline.h"
#include "ingest/clips/clip_recorder.h"
#include "ingest/clips/clip_store.h"
#include "ingest/media_publisher.h"
#include "ingest/publisher.h"
#include "ingest/recording/recording_store.h"
#include "proto/camera/camera_config.h"

namespace xl::ingest {

using camera::CameraConfig;

class Session {
 public:
  // `clips` is the worker's store; the session records clips when both the camera and
  // the store have them on. `recordings` likewise records the stream continuously.
  // Everything referenced must outlive the session.
  Session(const CameraConfig& config, Publisher& publisher, MediaPublisher& media, PipelineCounters& counters,
          ClipStore& clips, RecordingStore& recordings, analytics::Detectors detectors);
  void OnFrame(analytics::Frame& frame);    // decoded streaming thread
  void OnEncoded(const EncodedUnit& unit);  // encoded streaming thread
  // After the pipeline stopped: ends open events and clips; the recording stops for `reason`.
  void Close(int64_t now_ms, const std::string& reason = "camera stopped");

  // Sends the encoded stream to the router's media endpoint while on (any thread). Turned on
  // while clips are recorded, it starts with the clips' buffer from the last keyframe on
  // (ClipRecorder::SinceLastKeyframe), so the first picture needs no wait for the camera's
  // next keyframe.
  void SetLive(bool live) { live_.store(live); }
  // True while the encoded stream is needed: someone watches, or clips or recordings are made.
  bool wants_encoded() const { return live_.load() || recorder_ != nullptr || recording_ != nullptr; }

  int64_t last_frame_ms() const { return last_frame_ms_.load(); }
  uint64_t frames() const { return frames_.load(); }
  // Video faults open now (as of the last analysed frame).
  std::vector<wire::AlertKind> open_faults() const;
  // CameraAnalytics::motion_suppressed() as of the last analysed frame.
  float motion_suppressed() const { return motion_suppressed_.load(); }

 private:
  void Send(std::vector<wire::Alert> alerts);
  // Opens, names and ends the clips of motion and face events.
  void TrackClip(wire::Alert& alert);
  // Keeps the recording around motion and face events for the events retention.
  void KeepRecording(const wire::Alert& alert);

  std::string camera_id_;
  Publisher& publisher_;
  MediaPublisher& media_;
  PipelineCounters& counters_;
  analytics::CameraAnalytics analytics_;
  std::unique_ptr<ClipRecorder> recorder_;               // null: no clips
  std::unique_ptr<RecordingStore::Recorder> recording_;  // null: not recorded
  std::atomic<bool> live_{false};
  bool sending_ = false;  // encoded streaming thread only: live_ as the last unit saw it
  // Sends one unit to the router's media endpoint (the next seq).
  void SendVideo(const char* codec, std::string_view data, int64_t pts_us, int64_t dts_us, bool keyframe,
                 int64_t now_ms);
  std::atomic<int64_t> last_frame_ms_{0};
  std::atomic<uint64_t> frames_{0};
  std::atomic<uint32_t> fault_mask_{0};  // bit k: AlertKind k open
  std::atomic<float> motion_suppressed_{0};
};

}  // namespace xl::ingest
