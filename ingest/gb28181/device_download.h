// Copies a range of what a GB/T 28181 channel's own device recorded (its NVR disk, its SD
// card) into the worker's recordings (§9.9 Download):
//
//   INVITE s=Download, u=<channel>:0, t=<start> <end>, a=downloadspeed:N
//   → MPEG-PS over RTP into a PsRtpPipeline → each access unit placed on the wall clock at
//     the range's start plus its stream time since the first unit (devices start at the
//     keyframe at or before the start: placed to within a GOP; a file the device lost is a
//     jump in its timestamps, and a gap here) → RecordingStore, as a recording of the camera
//   → MediaStatus 121 (all sent) or the device's BYE: what came is kept; BYE.
//
// Only where the worker has no recording of its own is anything written (ours is the
// camera's picture as it came; the device's copy fills our gaps), and only the part from
// the first moment we lack to the last is asked for: a range we have all of is done at
// once, and downloading a range twice adds nothing. A download that hears nothing for kSilenceMs fails. Main loop
// thread only (the units arrive on a streaming thread; what they share is guarded).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "ingest/camera_pipeline.h"
#include "ingest/gb28181/sip_server.h"
#include "ingest/recording/recording_store.h"
#include "proto/camera/camera_config.h"
#include "proto/gb28181/channel_url.h"

namespace xl::gb28181 {

class DeviceDownload {
 public:
  static constexpr int64_t kSilenceMs = 20000;  // running, and no video for this long: failed
  static constexpr int64_t kMaxRangeMs = 6LL * 3600 * 1000;
  static constexpr int kMaxSpeed = 16;

  // Starts downloading [from_ms, to_ms) of `camera` (its channel `channel`) at `speed` times
  // real time. `sip` and `store` must outlive it. Error (nothing started) when the store
  // records nothing, the range is bad or in the future, or the device cannot be called.
  static Result<std::unique_ptr<DeviceDownload>> Start(std::string id, const camera::CameraConfig& camera,
                                                       const GbChannelAddress& channel, int64_t from_ms, int64_t to_ms,
                                                       int speed, SipServer& sip, ingest::RecordingStore& store,
                                                       int video_nice);
  ~DeviceDownload();  // hangs up if still running; what was written stays

  // Advances the state as of `now_ms` (monotonic): drained after MediaStatus 121, silence,
  // a failed pipeline. Returns true when the download has just ended (done or failed).
  bool Tick(int64_t now_ms);
  bool ended() const { return state_ == kDone || state_ == kFailed; }
  const std::string& camera_id() const { return camera_id_; }
  // {id, camera, from_ms, to_ms, speed, state: waiting|running|done|failed, detail,
  //  reached_ms (the wall time the download has got to), bytes, written, skipped (units
  //  left out: the worker had them already)}
  nlohmann::json Json() const;

 private:
  enum State { kWaiting, kRunning, kFinishing, kDone, kFailed };
  DeviceDownload() = default;
  void OnCall(const CallEvent& e);
  void OnUnit(const ingest::EncodedUnit& unit);  // streaming thread
  void End(State state, const std::string& detail);
  bool Ours(int64_t wall_ms) const;  // the worker recorded that moment itself

  std::string id_, camera_id_, label_;
  int64_t from_ms_ = 0, to_ms_ = 0;
  int speed_ = 1;
  camera::RecordConfig record_;
  SipServer* sip_ = nullptr;
  ingest::RecordingStore* store_ = nullptr;
  std::string call_id_;
  State state_ = kWaiting;
  std::string detail_;
  int64_t finished_at_ms_ = 0;                     // when MediaStatus 121 came (monotonic)
  std::vector<std::pair<int64_t, int64_t>> ours_;  // the worker's own recordings in the range
  ingest::PipelineCounters counters_;
  std::unique_ptr<ingest::CameraPipeline> pipeline_;

  std::mutex mu_;                                               // what the streaming thread shares with the loop
  std::unique_ptr<ingest::RecordingStore::Recorder> recorder_;  // null between our own recordings
  int64_t first_stream_us_ = -1;
  bool closed_ = false;  // End: no more units taken
  std::atomic<int64_t> reached_ms_{0}, bytes_{0}, written_{0}, skipped_{0}, last_unit_ms_{0};
};

}  // namespace xl::gb28181
