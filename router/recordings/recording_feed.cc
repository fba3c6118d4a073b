#include "router/recordings/recording_feed.h"

#include "proto/media/fmp4_reader.h"

namespace xl::router {
namespace {
constexpr guint kTickMs = 100;  // how soon a seek or a move of the player reaches the cursor
}  // namespace

void RecordingFeed::Seek(int64_t ms, int speed) {
  std::lock_guard lock(mu_);
  ++generation_;
  seek_pending_ = true;
  seek_ms_ = at_ms_ = ms;
  speed_ = speed;
  frames_.clear();
  state_ = State{};
}

void RecordingFeed::At(int64_t ms) {
  std::lock_guard lock(mu_);
  at_ms_ = ms;
}

std::optional<int64_t> RecordingFeed::NextWallMs() const {
  std::lock_guard lock(mu_);
  if (frames_.empty()) return std::nullopt;
  return frames_.front().wall_ms;
}

bool RecordingFeed::Pop(Frame* frame) {
  std::lock_guard lock(mu_);
  if (frames_.empty()) return false;
  *frame = std::move(frames_.front());
  frames_.pop_front();
  return true;
}

RecordingFeed::State RecordingFeed::state() const {
  std::lock_guard lock(mu_);
  State s = state_;
  s.ended = s.ended && frames_.empty();
  return s;
}

RecordingFeed::Steering RecordingFeed::TakeSteering() {
  std::lock_guard lock(mu_);
  Steering s{generation_, seek_pending_, seek_ms_, speed_, at_ms_};
  seek_pending_ = false;
  return s;
}

void RecordingFeed::Deliver(uint64_t generation, const PlaybackCursor::Chunk& chunk) {
  auto file = fmp4::Fmp4File::Parse(chunk.mp4);
  std::lock_guard lock(mu_);
  if (generation != generation_) return;
  if (!file.ok()) {
    state_.error = "recording of camera " + camera_ + " unreadable: " + file.error().message;
    return;
  }
  state_.found = true;
  state_.codec = file->codec();
  state_.parameter_sets = h26x::FindParameterSets(file->codec(), file->parameter_sets());
  state_.ended = false;
  state_.error.clear();
  for (size_t i = 0; i < file->samples().size(); ++i) {
    const fmp4::ReadSample& s = file->samples()[i];
    frames_.push_back(Frame{chunk.start_ms + s.dts_us / 1000, chunk.start_ms + s.pts_us / 1000, s.keyframe,
                            file->AccessUnit(chunk.mp4, i)});
  }
}

void RecordingFeed::Ended(uint64_t generation) {
  std::lock_guard lock(mu_);
  if (generation == generation_) state_.ended = true;
}

void RecordingFeed::Failed(uint64_t generation, std::string why) {
  std::lock_guard lock(mu_);
  if (generation == generation_) state_.error = std::move(why);
}

RecordingFeeds::RecordingFeeds(RecordingDesk& recordings) : recordings_(recordings) {
  tick_ = g_timeout_add(kTickMs, &RecordingFeeds::OnTick, this);
}

RecordingFeeds::~RecordingFeeds() {
  if (tick_) g_source_remove(tick_);
}

std::shared_ptr<RecordingFeed> RecordingFeeds::Open(const std::string& camera) {
  auto feed = std::make_shared<RecordingFeed>(camera);
  std::lock_guard lock(mu_);
  opened_.push_back(feed);
  return feed;
}

gboolean RecordingFeeds::OnTick(gpointer self) {
  auto* f = static_cast<RecordingFeeds*>(self);
  std::vector<std::weak_ptr<RecordingFeed>> opened;
  {
    std::lock_guard lock(f->mu_);
    opened.swap(f->opened_);
  }
  for (auto& weak : opened) {
    auto feed = weak.lock();
    if (!feed) continue;
    Served& s = f->served_.emplace_back();
    s.feed = weak;
    PlaybackCursor::Listener listener;
    // The cursor lives in `s` and dies with it: its answers never reach a Served that is gone.
    listener.chunk = [served = &s](PlaybackCursor::Chunk chunk) {
      if (auto feed = served->feed.lock()) feed->Deliver(served->generation, chunk);
    };
    listener.end = [served = &s](int64_t) {
      if (auto feed = served->feed.lock()) feed->Ended(served->generation);
    };
    listener.error = [served = &s](const std::string& why) {
      if (auto feed = served->feed.lock()) feed->Failed(served->generation, why);
    };
    listener.ready = [served = &s] { return !served->feed.expired(); };
    s.cursor = std::make_unique<PlaybackCursor>(f->recordings_, feed->camera(), std::move(listener));
  }
  for (auto it = f->served_.begin(); it != f->served_.end();) {
    auto feed = it->feed.lock();
    if (!feed) {
      it = f->served_.erase(it);
      continue;
    }
    const RecordingFeed::Steering steer = feed->TakeSteering();
    if (steer.seek) {
      it->generation = steer.generation;
      it->cursor->Seek(steer.seek_ms, steer.speed);
    }
    if (it->cursor->started()) {
      it->cursor->At(steer.at_ms);
      it->cursor->Pump();
    }
    ++it;
  }
  return G_SOURCE_CONTINUE;
}

}  // namespace xl::router
