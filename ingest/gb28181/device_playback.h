// Plays back what a GB/T 28181 channel's own device recorded (§9.8 Playback), for a player
// behind the router:
//
//   INVITE s=Playback, u=<channel>:0, t=<start> <end> → the device sends at 1×
//   INFO (MANSRTSP) PLAY Range: npt=N- (seek), Scale: S (speed), PAUSE, PLAY (resume)
//   → MPEG-PS over RTP into a PsRtpPipeline → chunks of fMP4 (init segment and fragments,
//     each from a keyframe, at least kChunkMs of recording) on the wall clock: the range's
//     start plus the stream's time since its first unit; after a seek, from the first
//     keyframe whose time jumps (the device moved) placed at the time sought
//   → MediaStatus 121 (all sent) or the device's BYE: ended once the last chunk is out.
//
// Chunks are numbered; a seek starts a new generation (chunks of the old one still queued
// are dropped). The last kKeptChunks are kept for the reader. A playback nobody has read
// for kIdleMs ends (the router or its player went away). Main loop thread, but Next() may be
// called from any thread; units arrive on a streaming thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ingest/camera_pipeline.h"
#include "ingest/gb28181/sip_server.h"
#include "proto/camera/camera_config.h"
#include "proto/gb28181/channel_url.h"

namespace xl::gb28181 {

class DevicePlayback {
 public:
  static constexpr size_t kKeptChunks = 32;
  static constexpr int64_t kChunkMs = 1000;
  static constexpr int64_t kIdleMs = 30000;
  static constexpr int64_t kMaxRangeMs = 24LL * 3600 * 1000;

  // Plays [from_ms, to_ms) of `camera`'s channel from its device. `sip` must outlive it.
  static Result<std::unique_ptr<DevicePlayback>> Start(std::string id, const camera::CameraConfig& camera,
                                                       const GbChannelAddress& channel, int64_t from_ms, int64_t to_ms,
                                                       SipServer& sip, int video_nice);
  ~DevicePlayback();  // hangs up

  // Steering (MANSRTSP in INFO). Errors: the device has not answered yet; the call ended.
  // Seek returns the generation its chunks will carry.
  Result<uint64_t> Seek(int64_t wall_ms);
  Status Scale(double scale);
  Status Pause();
  Status Resume();

  struct Chunk {
    uint64_t seq = 0, generation = 0;
    int64_t start_ms = 0, end_ms = 0;  // wall clock of its time 0 (a keyframe), and of the next chunk's
    std::string mp4;
  };
  // The oldest kept chunk after `after_seq` of the current generation; nullopt when none is
  // ready. Counts as the reader being there.
  std::optional<Chunk> Next(uint64_t after_seq);

  // Ends a failed, finished or forgotten playback as of now; true when it has just ended.
  bool Tick();
  bool ended() const { return state_ == kEnded || state_ == kFailed; }
  const std::string& id() const { return id_; }
  const std::string& camera_id() const { return camera_id_; }
  // {id, camera, from_ms, to_ms, state: waiting|playing|paused|ended|failed, detail,
  //  generation, scale, chunks (made so far)}
  nlohmann::json Json() const;
  // "waiting", "playing", "paused", "ended" or "failed".
  const char* state_name() const;

 private:
  enum State { kWaiting, kPlaying, kPaused, kFinishing, kEnded, kFailed };
  struct Unit {
    std::string bytes;
    int64_t pts_us, dts_us, wall_ms;
    bool keyframe;
  };
  DevicePlayback() = default;
  void OnCall(const CallEvent& e);
  void OnUnit(const ingest::EncodedUnit& unit);  // streaming thread
  // Makes a chunk of units_ (up to, not including, the unit at `next_wall_ms`). REQUIRES: mu_.
  void CloseChunk(int64_t next_wall_ms, int64_t next_dts_us);
  Status Control(const MansRtsp& control);
  void End(State state, const std::string& detail);

  std::string id_, camera_id_, label_, codec_;
  int64_t from_ms_ = 0, to_ms_ = 0;
  SipServer* sip_ = nullptr;
  std::string call_id_;
  State state_ = kWaiting;
  std::string detail_;
  double scale_ = 1;
  int64_t finished_at_ms_ = 0;
  ingest::PipelineCounters counters_;
  std::unique_ptr<ingest::CameraPipeline> pipeline_;

  mutable std::mutex mu_;  // below: shared with the streaming thread and readers
  int64_t anchor_ms_ = 0, anchor_stream_us_ = -1, last_stream_us_ = -1, frame_us_ = 40000;
  bool seek_pending_ = false;
  int64_t seek_ms_ = 0, seek_asked_ms_ = 0;  // wall time sought; when asked (monotonic)
  uint64_t generation_ = 0, seek_generation_ = 0, seq_ = 0;
  std::vector<Unit> units_;                      // the chunk being gathered, from a keyframe
  std::deque<Chunk> chunks_;                     // made, oldest first
  int64_t last_unit_ms_ = 0, last_read_ms_ = 0;  // monotonic
  uint32_t width_ = 0, height_ = 0;
};

}  // namespace xl::gb28181
