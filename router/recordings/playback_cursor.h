// Which piece of a camera's recording a player needs next, fetched from the worker that holds
// it: the steering every playback path shares (the browser's socket, RTSP).
//
// The player seeks (a wall-clock time and a speed) and says where it stands; the cursor asks
// the workers for the segments around it and fetches chunks of fMP4 — each kChunkS × speed
// long (the first after a seek kFirstChunkS × speed, so that it is quick to make and send),
// cut at keyframes, starting at the keyframe at or before the seek — keeping at most
// kLookaheadS × speed of recording ahead of the player. A player that stops saying it moved
// (paused) gets nothing more after that. At 8× and 16× a chunk holds keyframes only. Chunks
// follow on without overlap; recorded time missing between two is a gap in the recording.
//
// Thread: the router's loop only. The listener's functions run on it, from Pump() or from a
// worker's answer, never after the cursor is gone; they must not destroy the cursor.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "router/recordings/playback_steering.h"
#include "router/recordings/recording_desk.h"

namespace xl::router {

class PlaybackCursor : public PlaybackSteering {
 public:
  static constexpr int64_t kLookaheadS = 20;  // recording fetched ahead of the player, × speed
  static constexpr int64_t kChunkS = 10;      // recording per chunk, × speed
  static constexpr int64_t kFirstChunkS = 2;  // ... the first after a seek: on screen sooner

  struct Chunk {
    int64_t start_ms = 0;  // wall clock of the fMP4's time 0 (its first frame, a keyframe)
    int64_t end_ms = 0;    // where the next chunk starts (a keyframe), or past the recording
    int speed = 1;
    bool keyframes_only = false;
    std::string mp4;  // init segment and fragments
  };
  struct Listener {
    std::function<void(Chunk)> chunk;
    std::function<void(int64_t at_ms)> end;         // nothing recorded after at_ms (yet); once a stretch
    std::function<void(const std::string&)> error;  // a worker failed; tried again 3 s later
    std::function<bool()> ready;                    // the player can take more now (unset: always)
  };

  // True for the speeds a cursor plays: 1, 2, 4 (every frame), 8, 16 (keyframes only).
  static bool ValidSpeed(int speed) { return speed == 1 || speed == 2 || speed == 4 || speed == 8 || speed == 16; }

  PlaybackCursor(RecordingDesk& recordings, std::string camera, Listener listener);
  PlaybackCursor(const PlaybackCursor&) = delete;
  PlaybackCursor& operator=(const PlaybackCursor&) = delete;

  // Starts (again) at wall-clock `ms`, from the keyframe at or before it; answers still in
  // flight for an earlier seek are dropped. REQUIRES: ValidSpeed(speed).
  void Seek(int64_t ms, int speed) override;
  // Where the player stands now (wall clock).
  void At(int64_t ms) override { player_ms_ = ms; }
  // Fetches what the player needs next, if anything (one request in flight at most) and the
  // listener is ready. The owner calls it when the player moved or can take more again, and at
  // least every second.
  void Pump() override;

  bool started() const { return started_; }
  int speed() const override { return speed_; }
  const std::string& camera() const { return camera_; }

 private:
  // The segments around next_ms_, asked of the workers; then Pump.
  void Refresh();

  RecordingDesk& recordings_;
  const std::string camera_;
  Listener listener_;

  bool started_ = false;
  int speed_ = 1;
  uint64_t generation_ = 0;  // bumped by every seek: answers for an older one are dropped
  int64_t player_ms_ = 0;
  // Where the next chunk starts: at the keyframe at or before next_ms_ (a seek), just after
  // the keyframe at next_ms_ (it ended the last chunk), or at the first segment starting at or
  // after next_ms_ (the last chunk ended with the known recording).
  enum class Next { kSeek, kAfterKeyframe, kFirstSegment } next_ = Next::kSeek;
  int64_t next_ms_ = 0;

  // What is known of the recording around next_ms_.
  std::vector<WorkerSegment> segments_;
  int64_t known_from_ = 0, known_to_ = 0;
  bool stale_ = true;  // ask the workers again before the next chunk
  bool busy_ = false;  // a request to the workers is in flight
  bool told_end_ = false;
  int64_t retry_at_ = 0;  // monotonic: nothing new before then

  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // answers that come back after us are dropped
};

}  // namespace xl::router
