// One camera as the worker runs it: a state machine around successive pipeline attempts.
//
//   connecting ──first frame──► online ──error / EOS / no data──► offline
//        ▲                                                          │ backoff 1 s, 2 s … 30 s
//        └─────────────── reconnecting ◄────────────────────────────┘
//
// Start/Tick/Stop run on the worker's main thread only. Frames and analytics run on the
// pipeline's streaming thread; a stopped pipeline is torn down on the Reaper's thread, so a
// camera that hangs while stopping cannot stall the others.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "ingest/camera_source.h"
#include "ingest/clips/clip_store.h"
#include "ingest/media_publisher.h"
#include "ingest/publisher.h"
#include "ingest/reaper.h"
#include "ingest/recording/recording_store.h"
#include "proto/camera/camera_config.h"

namespace xl::ingest {

class Camera {
 public:
  // `media`, `clips` and `recordings` must outlive `reaper` (attempts still stopping there may send video
  // and hand over clips). `source_context.sip` (null when the worker has no GB28181 endpoint)
  // places the live-video calls of gb28181:// cameras and must outlive the camera's calls
  // (Stop ends them).
  Camera(CameraConfig config, std::string worker_id, Publisher& publisher, MediaPublisher& media, ClipStore& clips,
         RecordingStore& recordings, Reaper& reaper, SourceContext source_context);

  // `now_ms` is monotonic time (xl::MonotonicMs), for timers only.
  void Start(int64_t now_ms);
  void Tick(int64_t now_ms);  // call often (every ~200 ms): promotes, watches, retries
  void Stop(int64_t now_ms);
  // An offline camera retries on the next Tick, its backoff reset (its source is back).
  void RetryNow(int64_t now_ms);
  // The camera's source is known to be gone (a GB28181 device went offline): the attempt
  // ends now, as a failure for `reason` (offline, signal loss raised, retry after backoff).
  void SourceLost(int64_t now_ms, const std::string& reason);
  // Sends the encoded stream to the router's media endpoint while `live` (or always_on);
  // a source shared with other cameras serves a live camera first.
  void SetLive(bool live);
  // Takes a new name and region (for its logs, state and new alerts) without a restart.
  void Relabel(const std::string& name, const std::string& region);

  // Updates the health rates (fps in/out, kbit/s) over the time since the last call.
  void MeasureRates(int64_t now_ms);
  wire::Camera Describe() const;
  const PipelineCounters& counters() const { return *counters_; }
  uint32_t reconnects() const { return reconnects_; }
  wire::CameraState state() const { return state_; }
  const CameraConfig& config() const { return config_; }

 private:
  void Launch(int64_t now_ms, wire::CameraState state);
  // Retires the attempt (and hangs up its source's call).
  void EndAttempt();
  void Fail(int64_t now_ms, const std::string& reason);
  void SetState(int64_t now_ms, wire::CameraState state, const std::string& reason);
  // Signal loss is a fault like the picture faults: raised when the camera drops offline,
  // ended when it is back.
  void SignalLoss(bool lost, const std::string& reason);

  CameraConfig config_;
  std::string worker_id_;
  Publisher& publisher_;
  MediaPublisher& media_;
  ClipStore& clips_;
  RecordingStore& recordings_;
  Reaper& reaper_;
  SourceContext source_context_;
  std::function<void()> hang_up_;                               // the attempt's source's call, empty when none
  std::function<std::optional<std::string>()> source_waiting_;  // the source's turn; may be empty
  std::function<void(bool)> source_watched_;                    // may be empty
  Attempt attempt_;
  bool live_ = false;
  wire::CameraState state_ = wire::CAMERA_STATE_UNKNOWN;
  std::string reason_;
  int64_t since_ms_ = 0;            // wall clock
  int64_t attempt_started_ms_ = 0;  // monotonic, like the fields below
  int64_t progress_ms_ = 0;         // when the frame count last moved
  uint64_t seen_frames_ = 0;
  uint64_t frames_base_ = 0;  // frames before the attempt last waited: online takes more
  int64_t retry_at_ms_ = 0;
  int64_t backoff_ms_ = 1000;
  uint32_t reconnects_ = 0;
  int64_t last_frame_ms_ = 0;   // wall clock
  int64_t signal_lost_ms_ = 0;  // wall clock; 0 when the signal is not lost
  // Shared with the streaming threads; outlives every attempt (they hold a reference).
  std::shared_ptr<PipelineCounters> counters_ = std::make_shared<PipelineCounters>();
  struct RateBase {
    int64_t at_ms = 0;
    uint64_t bytes = 0, decoded = 0, analysed = 0;
  } rate_base_;
  float fps_in_ = 0, fps_out_ = 0, kbps_ = 0;
};

}  // namespace xl::ingest
