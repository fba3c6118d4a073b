#include "router/recordings/rtsp_playback.h"

#include <glib.h>

#include <algorithm>
#include <cmath>

namespace xl::router {
namespace {
constexpr int64_t kGapMs = 1000;        // frames further apart than this (in sending time) are a gap: skipped
constexpr int64_t kStallMs = 1000;      // a frame this late (the feed fell behind) restarts the clock
constexpr uint32_t kFrameTicks = 3600;  // 40 ms at 90 kHz: what follows a gap or a PLAY

int CursorSpeed(double scale) {
  for (int s : {1, 2, 4, 8}) {
    if (scale <= s) return s;
  }
  return 16;
}
}  // namespace

RtspPlayback::RtspPlayback(std::shared_ptr<RecordingFeed> feed, int64_t start_ms)
    : feed_(std::move(feed)), start_ms_(start_ms), seek_ms_(start_ms), position_ms_(start_ms) {
  rtp_.ssrc = g_random_int();
  rtp_.next_seq = uint16_t(g_random_int());
  next_rtp_ = g_random_int();
  feed_->Seek(start_ms, speed_);
}

RtspPlayback::Playing RtspPlayback::Play(std::optional<int64_t> from_ms, std::optional<double> scale) {
  double s = scale_;
  if (scale) s = *scale > 0 ? std::min(*scale, 16.0) : 1.0;
  const int speed = CursorSpeed(s);
  std::optional<int64_t> target;
  if (from_ms && (*from_ms != seek_ms_ || sent_since_seek_ || speed != speed_)) {
    target = *from_ms;
  } else if (!from_ms && speed != speed_) {  // what is fetched at the old speed does not suit the new one
    target = sent_since_seek_ ? position_ms_ : seek_ms_;
  }
  scale_ = s;
  speed_ = speed;
  if (target) {
    feed_->Seek(*target, speed_);
    seek_ms_ = position_ms_ = *target;
    sent_since_seek_ = false;
    need_keyframe_ = true;
  }
  anchored_ = false;  // the next frame goes at once, and the clock runs from it
  playing_ = true;
  Playing p;
  p.from_ms = position_ms_;
  if (!sent_since_seek_) {
    if (auto first = feed_->NextWallMs()) p.from_ms = *first;  // the keyframe it starts at
  }
  p.scale = scale_;
  p.seq = rtp_.next_seq;
  p.rtptime = next_rtp_;
  return p;
}

void RtspPlayback::Pause() { playing_ = false; }

void RtspPlayback::Anchor(const RecordingFeed::Frame& f, int64_t now_ms) {
  anchored_ = true;
  anchor_mono_ = now_ms;
  anchor_wall_ = f.wall_ms;
  anchor_rtp_ = next_rtp_ - uint32_t(std::lround(double(f.wall_ms - f.pts_ms) * 90 / scale_));
}

std::vector<rtp::RtpAccessUnit> RtspPlayback::Due(int64_t now_ms) {
  feed_->At(position_ms_);
  std::vector<rtp::RtpAccessUnit> out;
  if (!playing_) return out;
  const h26x::Codec codec = feed_->state().codec;
  while (auto wall = feed_->NextWallMs()) {
    if (anchored_) {
      const int64_t due = anchor_mono_ + int64_t(double(*wall - anchor_wall_) / scale_);
      const bool gap = double(*wall - last_wall_) / scale_ > kGapMs || *wall < last_wall_;
      if (!gap && due > now_ms + kAheadMs) break;
      if (gap || due < now_ms - kStallMs) anchored_ = false;
    }
    RecordingFeed::Frame f;
    if (!feed_->Pop(&f)) break;
    if ((need_keyframe_ || speed_ >= 8) && !f.keyframe) continue;
    need_keyframe_ = false;
    if (!anchored_) Anchor(f, now_ms);
    const uint32_t ts = anchor_rtp_ + uint32_t(std::lround(double(f.pts_ms - anchor_wall_) * 90 / scale_));
    out.push_back(rtp::PackAccessUnit(codec, f.annexb, "", ts, rtp_));
    next_rtp_ = anchor_rtp_ + uint32_t(std::lround(double(f.wall_ms - anchor_wall_) * 90 / scale_)) + kFrameTicks;
    last_wall_ = position_ms_ = f.wall_ms;
    sent_since_seek_ = true;
  }
  return out;
}

}  // namespace xl::router
