// Steering a playback of what a GB/T 28181 camera's own device keeps (its NVR disk, its SD
// card): the worker that runs the channel holds the call (ingest/gb28181/device_playbacks.h);
// this cursor opens it at the first seek (an hour from there), moves it (MANSRTSP Range),
// changes its speed (Scale), and fetches its chunks as they come. The device paces the
// stream; the player's position paces the device: more than kAheadS × speed of recording
// ahead of the player and the device is told PAUSE, under half of it PLAY — so a paused player
// pauses the device within kAheadS (the device sends at the player's speed, so a playing
// player never gets that far behind).
//
// Thread: the router's loop only. Listener functions run on it, never after the cursor is
// gone. The call is hung up when the cursor goes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "router/recordings/playback_cursor.h"
#include "router/recordings/playback_steering.h"
#include "router/recordings/recording_desk.h"

namespace xl::router {

class DevicePlaybackCursor : public PlaybackSteering {
 public:
  static constexpr int64_t kRangeMs = 3600 * 1000;  // what the call asks for, from the first seek
  static constexpr int64_t kAheadS = 8;

  DevicePlaybackCursor(RecordingDesk& recordings, std::string camera, PlaybackCursor::Listener listener);
  ~DevicePlaybackCursor() override;
  DevicePlaybackCursor(const DevicePlaybackCursor&) = delete;
  DevicePlaybackCursor& operator=(const DevicePlaybackCursor&) = delete;

  void Seek(int64_t ms, int speed) override;
  void At(int64_t ms) override { player_ms_ = ms; }
  void Pump() override;
  int speed() const override { return speed_; }

 private:
  // One call to the worker at a time; `then` gets its reply on the loop (not after we are gone).
  void Call(const char* method, const std::string& tail, std::function<void(Result<HttpReply>)> then);
  void OnChunk(const HttpReply& reply);

  RecordingDesk& recordings_;
  const std::string camera_;
  PlaybackCursor::Listener listener_;
  std::string id_;                         // the worker's playback ("" until opened)
  int64_t range_from_ = 0, range_to_ = 0;  // what its call asked the device for
  bool busy_ = false;                      // a call to the worker is in flight
  bool seek_wanted_ = false;               // a seek not yet passed on
  int64_t seek_ms_ = 0;
  int speed_ = 1, device_speed_ = 1;
  bool device_paused_ = false;
  uint64_t seeks_ = 0;       // bumped by every Seek: answers for an older one are dropped
  uint64_t generation_ = 0;  // the worker's, of the place last sought
  uint64_t last_seq_ = 0;
  int64_t player_ms_ = 0, sent_to_ms_ = -1;  // the end of the last chunk sent
  bool told_end_ = false;
  int64_t retry_at_ms_ = 0;  // monotonic: after a failure, nothing before then
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace xl::router
