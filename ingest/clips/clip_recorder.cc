#include "ingest/clips/clip_recorder.h"

#include <algorithm>
#include <iterator>

#include <spdlog/spdlog.h>

namespace xl::ingest {

namespace {
// Kept beyond pre-capture: an event is reported a little after it started (min_frames,
// the analytics queue), and its clip must still reach back pre_ms before the start.
constexpr int64_t kSlackMs = 10000;
// A camera whose keyframes are further apart than this much video loses pre-capture
// rather than memory.
constexpr int64_t kMaxBufferBytes = int64_t(64) << 20;
}  // namespace

ClipRecorder::ClipRecorder(ClipConfig config, std::string camera_id, std::string label, ClipStore& store)
    : config_(config), camera_id_(std::move(camera_id)), label_(std::move(label)), store_(store) {}

ClipRecorder::~ClipRecorder() { Close(); }

void ClipRecorder::Feed(const StoredUnitPtr& stored, const char* codec) {
  std::lock_guard<std::mutex> lock(mu_);
  if (codec_.empty() && codec) codec_ = codec;
  if (buffer_.empty() && !stored->keyframe && clips_.empty()) return;
  const int64_t arrival_ms = stored->arrival_ms;
  if (!buffer_.empty() || stored->keyframe) {
    buffer_.push_back(stored);
    buffered_bytes_ += int64_t(stored->bytes.size());
  }
  for (auto it = clips_.begin(); it != clips_.end();) {
    Clip& clip = it->second;
    const bool ended = arrival_ms > clip.stop_after_ms;
    const bool too_long = clip.writer && arrival_ms - clip.writer->first_arrival_ms() >= config_.max_ms;
    if (ended || too_long) {
      if (too_long) spdlog::info("camera {}: clip {} cut at {} s", label_, clip.path, config_.max_ms / 1000);
      store_.Complete(std::move(clip.writer), label_);
      it = clips_.erase(it);
      continue;
    }
    Write(clip, stored);
    ++it;
  }
  Trim(arrival_ms);
}

void ClipRecorder::Write(Clip& clip, const StoredUnitPtr& unit) {
  if (clip.failed) return;
  if (!clip.writer) {
    if (!unit->keyframe) return;
    auto made = ClipWriter::Create(clip.path, codec_);
    if (!made.ok()) {
      clip.failed = true;
      spdlog::warn("camera {}: {}", label_, made.error().message);
      return;
    }
    clip.writer = std::move(made.value());
  }
  clip.writer->Push(unit);
}

void ClipRecorder::Trim(int64_t now_ms) {
  const int64_t keep_from = now_ms - config_.pre_ms - kSlackMs;
  for (;;) {
    size_t next_key = 1;
    while (next_key < buffer_.size() && !buffer_[next_key]->keyframe) ++next_key;
    if (next_key >= buffer_.size()) {
      if (buffered_bytes_ > kMaxBufferBytes) {  // no second keyframe within the limit
        buffer_.clear();
        buffered_bytes_ = 0;
      }
      return;
    }
    if (buffer_[next_key]->arrival_ms > keep_from && buffered_bytes_ <= kMaxBufferBytes) return;
    for (size_t i = 0; i < next_key; ++i) {
      buffered_bytes_ -= int64_t(buffer_.front()->bytes.size());
      buffer_.pop_front();
    }
  }
}

std::string ClipRecorder::Begin(const std::string& event_id, int64_t start_ms) {
  if (!config_.enabled || !store_.enabled()) return "";
  std::lock_guard<std::mutex> lock(mu_);
  const std::string relative = ClipStore::RelativePath(camera_id_, event_id, start_ms);
  if (clips_.count(event_id)) return relative;
  Clip& clip = clips_[event_id];
  clip.path = store_.dir() + "/" + relative;
  // The last keyframe at or before start − pre; else the oldest one held.
  const int64_t from_ms = start_ms - config_.pre_ms;
  size_t first = 0;
  for (size_t i = 0; i < buffer_.size(); ++i) {
    if (buffer_[i]->arrival_ms > from_ms) break;
    if (buffer_[i]->keyframe) first = i;
  }
  for (size_t i = first; i < buffer_.size(); ++i) Write(clip, buffer_[i]);
  return relative;
}

void ClipRecorder::End(const std::string& event_id, int64_t end_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clips_.find(event_id);
  if (it == clips_.end()) return;
  it->second.stop_after_ms = end_ms + config_.post_ms;
  // Already past: the stream may be quiet (or stopped), so do not wait for the next unit.
  if (!buffer_.empty() && buffer_.back()->arrival_ms >= it->second.stop_after_ms) {
    store_.Complete(std::move(it->second.writer), label_);
    clips_.erase(it);
  }
}

void ClipRecorder::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, clip] : clips_) store_.Complete(std::move(clip.writer), label_);
  clips_.clear();
}

size_t ClipRecorder::open_clips() const {
  std::lock_guard<std::mutex> lock(mu_);
  return clips_.size();
}

std::vector<StoredUnitPtr> ClipRecorder::SinceLastKeyframe() const {
  std::lock_guard<std::mutex> lock(mu_);
  auto key = std::find_if(buffer_.rbegin(), buffer_.rend(), [](const StoredUnitPtr& u) { return u->keyframe; });
  if (key == buffer_.rend()) return {};
  return std::vector<StoredUnitPtr>(std::prev(key.base()), buffer_.end());
}

int64_t ClipRecorder::buffered_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return buffered_bytes_;
}

}  // namespace xl::ingest
