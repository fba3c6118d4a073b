// A recording played to one RTSP player (VLC, ffplay, an NVR decoder): rtsp://…/<camera>?
// start=<time>, or a PLAY with "Range: clock=…", and then PLAY/PAUSE, npt seeks from the start
// and Scale. The frames come from a RecordingFeed; this decides which are due and packs them
// as RTP with the player's own sequence numbers.
//
// Pacing: a frame is due when its recorded time, less the time it started from, divided by
// the scale, has passed since it started (sent up to kAheadMs early: the sender ticks). At
// Scale ≥ 8 only keyframes are sent. RTP timestamps run at the pace frames are sent (recording
// time ÷ scale), continuous across PLAYs, seeks and gaps in the recording (a gap is skipped:
// the frame after it follows at once), so every player decodes what it receives in order.
//
// Thread: the player's (an RTSP sender thread); not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proto/media/rtp_h26x.h"
#include "router/recordings/recording_feed.h"

namespace xl::router {

class RtspPlayback {
 public:
  static constexpr int64_t kAheadMs = 100;  // frames sent this much before they are due

  // Plays `feed` from wall-clock `start_ms` (npt 0), paused until Play(). Asks the feed at once,
  // so that the SDP can be answered.
  RtspPlayback(std::shared_ptr<RecordingFeed> feed, int64_t start_ms);

  const std::string& camera() const { return feed_->camera(); }
  int64_t start_ms() const { return start_ms_; }
  // The feed's state: found (its codec and parameter sets), ended, error.
  RecordingFeed::State state() const { return feed_->state(); }

  // What a PLAY reply says: where it plays from, at what scale, the first packet's RTP numbers.
  struct Playing {
    int64_t from_ms = 0;  // wall clock
    double scale = 1;
    uint16_t seq = 0;
    uint32_t rtptime = 0;
  };
  // Plays from wall-clock `from_ms` (nullopt: on from where it stands) at `scale` (nullopt:
  // as before). A scale ≤ 0 or above 16 is played as 1 or 16 (the reply says which).
  Playing Play(std::optional<int64_t> from_ms, std::optional<double> scale);
  void Pause();
  bool playing() const { return playing_; }
  // Where the player stands: the recorded time of the last frame sent (the start before any).
  int64_t position_ms() const { return position_ms_; }

  // The access units due by `now_ms` (monotonic), packed as interleaved RTP on channel 0, in
  // order; tells the feed where the player stands.
  std::vector<rtp::RtpAccessUnit> Due(int64_t now_ms);

 private:
  // The frame after a gap, a seek or a stall is sent at once: the clock restarts at it.
  void Anchor(const RecordingFeed::Frame& f, int64_t now_ms);

  std::shared_ptr<RecordingFeed> feed_;
  const int64_t start_ms_;
  double scale_ = 1;
  int speed_ = 1;  // the cursor's: the smallest of 1, 2, 4, 8, 16 at or above the scale
  bool playing_ = false;
  bool sent_since_seek_ = false;
  int64_t seek_ms_ = 0;
  int64_t position_ms_ = 0;
  rtp::RtpStreamState rtp_;

  // The clock: frame f is due at anchor_mono_ + (f.wall_ms − anchor_wall_) / scale_.
  bool anchored_ = false;
  int64_t anchor_mono_ = 0, anchor_wall_ = 0;
  uint32_t anchor_rtp_ = 0;  // the RTP timestamp of the frame at anchor_wall_ (shown at its pts)
  uint32_t next_rtp_ = 0;    // what the next anchor's frame gets
  int64_t last_wall_ = 0;    // of the last frame sent
  bool need_keyframe_ = true;
};

}  // namespace xl::router
