// A camera's recording handed from the router's loop to a player on another thread (an RTSP
// sender thread, router/recordings/rtsp_playback.h). The player seeks and says where it
// stands; RecordingFeeds runs a PlaybackCursor for it on the loop and splits each chunk into
// the access units the player takes in order (at most PlaybackCursor::kLookaheadS × speed
// of recording ahead of where it stands).
//
// RecordingFeed is thread-safe; RecordingFeeds::Open may be called on any thread, the rest of
// RecordingFeeds on the loop.
#pragma once

#include <glib.h>

#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "proto/media/h26x.h"
#include "router/recordings/playback_cursor.h"

namespace xl::router {

class RecordingFeed {
 public:
  struct Frame {
    int64_t wall_ms = 0;  // when it was recorded (decode order; wall clock)
    int64_t pts_ms = 0;   // when it is shown, same clock
    bool keyframe = false;
    std::string annexb;  // the access unit, parameter sets before a keyframe
  };
  // What the loop found, for the player.
  struct State {
    bool found = false;  // a chunk came for the current seek: codec and parameter_sets are its
    h26x::Codec codec = h26x::Codec::kH264;
    h26x::ParameterSets parameter_sets;
    bool ended = false;  // nothing is recorded after the last frame queued (yet)
    std::string error;   // the last worker failure ("" when the last request went well)
  };

  explicit RecordingFeed(std::string camera) : camera_(std::move(camera)) {}
  const std::string& camera() const { return camera_; }

  // Player side. Starts again at wall-clock `ms` (from the keyframe at or before it) at cursor
  // speed `speed` (PlaybackCursor::ValidSpeed); what was queued is dropped.
  void Seek(int64_t ms, int speed);
  // Where the player stands now (wall clock).
  void At(int64_t ms);
  // The next frame's wall_ms, when one is queued.
  std::optional<int64_t> NextWallMs() const;
  // Takes the next frame; false when none is queued.
  bool Pop(Frame* frame);
  State state() const;

  // Loop side (RecordingFeeds).
  struct Steering {
    uint64_t generation = 0;  // of the last seek
    bool seek = false;        // a seek since the last call
    int64_t seek_ms = 0;
    int speed = 1;
    int64_t at_ms = 0;
  };
  Steering TakeSteering();
  // A chunk fetched for seek `generation`: split into frames (dropped when the player has
  // seeked since).
  void Deliver(uint64_t generation, const PlaybackCursor::Chunk& chunk);
  void Ended(uint64_t generation);
  void Failed(uint64_t generation, std::string why);

 private:
  const std::string camera_;
  mutable std::mutex mu_;
  uint64_t generation_ = 0;
  bool seek_pending_ = false;
  int64_t seek_ms_ = 0;
  int speed_ = 1;
  int64_t at_ms_ = 0;
  std::deque<Frame> frames_;
  State state_;
};

class RecordingFeeds {
 public:
  explicit RecordingFeeds(RecordingDesk& recordings);
  ~RecordingFeeds();
  RecordingFeeds(const RecordingFeeds&) = delete;
  RecordingFeeds& operator=(const RecordingFeeds&) = delete;

  // Any thread: a feed of `camera`'s recording, served on the loop while the caller holds it.
  // The caller has checked that its user may see the camera.
  std::shared_ptr<RecordingFeed> Open(const std::string& camera);
  size_t served() const { return served_.size(); }  // loop thread

 private:
  struct Served {
    std::weak_ptr<RecordingFeed> feed;
    std::unique_ptr<PlaybackCursor> cursor;
    uint64_t generation = 0;  // of the seek the cursor follows
  };
  static gboolean OnTick(gpointer self);

  RecordingDesk& recordings_;
  std::mutex mu_;
  std::vector<std::weak_ptr<RecordingFeed>> opened_;  // under mu_: opened, not yet served
  std::list<Served> served_;                          // loop thread
  guint tick_ = 0;
};

}  // namespace xl::router
