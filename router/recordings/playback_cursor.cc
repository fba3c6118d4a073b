#include "router/recordings/playback_cursor.h"

#include <algorithm>

#include "common/clock.h"

namespace xl::router {
namespace {
constexpr int64_t kWindowBeforeMs = 2 * 60 * 1000;  // segments asked of the workers around the position
constexpr int64_t kWindowAfterMs = 30 * 60 * 1000;
constexpr int64_t kMaxChunkMs = 29 * 60 * 1000;  // a worker answers at most 30 minutes at once
}  // namespace

PlaybackCursor::PlaybackCursor(RecordingDesk& recordings, std::string camera, Listener listener)
    : recordings_(recordings), camera_(std::move(camera)), listener_(std::move(listener)) {}

void PlaybackCursor::Seek(int64_t ms, int speed) {
  started_ = true;
  speed_ = speed;
  ++generation_;
  player_ms_ = next_ms_ = ms;
  next_ = Next::kSeek;
  stale_ = true;
  busy_ = false;  // what is in flight belongs to the old generation
  told_end_ = false;
  retry_at_ = 0;
}

void PlaybackCursor::Refresh() {
  busy_ = true;
  const int64_t from = std::max<int64_t>(0, next_ms_ - kWindowBeforeMs), to = next_ms_ + kWindowAfterMs;
  recordings_.FetchSegments(
      camera_, from, to,
      [this, alive = std::weak_ptr<int>(alive_), generation = generation_, from, to](RecordingDesk::Found found) {
        if (alive.expired() || generation != generation_) return;
        std::vector<WorkerSegment>& segments = found.segments;
        busy_ = false;
        std::sort(segments.begin(), segments.end(),
                  [](const WorkerSegment& a, const WorkerSegment& b) { return a.start_ms < b.start_ms; });
        segments_ = std::move(segments);
        known_from_ = from;
        known_to_ = to;
        stale_ = false;
        Pump();
      });
}

void PlaybackCursor::Pump() {
  const int64_t now = MonotonicMs();
  if (!started_ || busy_ || now < retry_at_ || (listener_.ready && !listener_.ready())) return;
  if (next_ms_ > player_ms_ + kLookaheadS * 1000 * speed_) return;  // far enough ahead of the player
  if (stale_ || next_ms_ < known_from_ || next_ms_ >= known_to_ - kMaxChunkMs / 2) return Refresh();

  // The segment the next chunk starts in, and where exactly.
  const WorkerSegment* seg = nullptr;
  int64_t from = next_ms_;
  for (const WorkerSegment& w : segments_) {
    const bool fits = next_ == Next::kFirstSegment ? w.start_ms >= next_ms_ : w.end_ms > next_ms_;
    if (!fits) continue;
    seg = &w;
    if (w.start_ms > next_ms_ || next_ == Next::kFirstSegment) {
      from = w.start_ms;  // its first frame, a keyframe
    } else if (next_ == Next::kAfterKeyframe) {
      from = next_ms_ + 1;  // the keyframe at next_ms_ starts it (the last chunk ended before it)
    }
    break;
  }
  if (!seg) {  // nothing recorded after it (yet): said once; looked at again now and then
    if (!told_end_) listener_.end(next_ms_);
    told_end_ = true;
    stale_ = true;
    retry_at_ = now + 3000;
    return;
  }
  // Where it ends: at the first keyframe a chunk's length on, of the same worker's recording
  // up to where it stops (a gap: the next chunk starts after it, never spans it).
  const int64_t chunk_ms = (next_ == Next::kSeek ? kFirstChunkS : kChunkS) * 1000 * speed_;
  std::vector<int64_t> keyframes;
  int64_t last_end = seg->end_ms;
  bool live = false;
  for (const WorkerSegment& w : segments_) {
    if (w.worker != seg->worker || w.start_ms < seg->start_ms) continue;
    keyframes.insert(keyframes.end(), w.keyframes_ms.begin(), w.keyframes_ms.end());
    last_end = std::max(last_end, w.end_ms);
    live = live || w.open;
    if (!w.end_reason.empty()) break;  // the recording stopped after it
  }
  std::sort(keyframes.begin(), keyframes.end());
  int64_t to = 0;
  Next next = Next::kAfterKeyframe;
  auto boundary = std::lower_bound(keyframes.begin(), keyframes.end(), from + chunk_ms);
  if (boundary != keyframes.end()) {
    to = *boundary;
  } else if (live) {  // at the live edge: up to its last keyframe, once there is one after `from`
    if (keyframes.empty() || keyframes.back() <= from) {
      stale_ = true;
      retry_at_ = now + 1000;
      return;
    }
    to = keyframes.back();
  } else {
    to = last_end + 1;
    next = Next::kFirstSegment;
  }
  to = std::min(to, from + kMaxChunkMs);
  const bool keyframes_only = speed_ >= 8;
  busy_ = true;
  recordings_.FetchMp4From(seg->worker, camera_, from, to, keyframes_only,
                           [this, alive = std::weak_ptr<int>(alive_), generation = generation_, to, next,
                            keyframes_only](Result<RecordingDesk::Mp4> got) {
                             if (alive.expired() || generation != generation_) return;
                             busy_ = false;
                             if (!got.ok() && got.error().code != ErrorCode::kNotFound) {
                               listener_.error(got.error().message);
                               retry_at_ = MonotonicMs() + 3000;
                               stale_ = true;
                               return;
                             }
                             next_ = next;
                             next_ms_ = to;
                             if (got.ok()) {
                               told_end_ = false;
                               listener_.chunk(Chunk{got->start_ms, to, speed_, keyframes_only, std::move(got->body)});
                             }
                             Pump();
                           });
}

}  // namespace xl::router
