#include "ingest/clips/clip_store.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>

#include "common/clock.h"

namespace xl::ingest {

namespace fs = std::filesystem;

namespace {

int64_t MtimeMs(const fs::path& p) {
  std::error_code ec;
  const auto t = fs::last_write_time(p, ec);
  if (ec) return 0;
  const auto sys = std::chrono::file_clock::to_sys(t);
  return std::chrono::duration_cast<std::chrono::milliseconds>(sys.time_since_epoch()).count();
}

std::string Megabytes(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", double(bytes) / 1e6);
  return text;
}

}  // namespace

ClipStore::ClipStore(ClipStoreConfig config) : config_(std::move(config)) {
  if (!enabled()) return;
  std::error_code ec;
  fs::create_directories(config_.dir, ec);
  if (ec) spdlog::error("clips: cannot create {}: {}", config_.dir, ec.message());
  for (auto it = fs::recursive_directory_iterator(config_.dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const fs::path& p = it->path();
    if (p.extension() == ".part") {
      fs::remove(p, ec);
      ec.clear();
    } else if (p.extension() == ".mp4") {
      Index(p.string(), MtimeMs(p), int64_t(it->file_size()));
    }
  }
  spdlog::info("clips: {} holds {} clips, {} (limits {}, {} days)", config_.dir, stats_.clips, Megabytes(stats_.bytes),
               Megabytes(config_.max_bytes), config_.max_age_ms / 86400000.0);
  EnforceRetention(NowMs());
  thread_ = std::thread([this] { Run(); });
}

ClipStore::~ClipStore() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string ClipStore::RelativePath(const std::string& camera_id, const std::string& event_id, int64_t start_ms) {
  return camera_id + "/" + LocalTime(start_ms, "%Y%m%d") + "/" + event_id + ".mp4";
}

void ClipStore::Complete(std::unique_ptr<ClipWriter> writer, std::string label) {
  if (!writer) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.emplace_back(std::move(writer), std::move(label));
  }
  cv_.notify_all();
}

void ClipStore::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return queue_.empty() && busy_ == 0; });
}

void ClipStore::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    // Wakes for work, or once a minute to apply the age limit.
    cv_.wait_for(lock, std::chrono::minutes(1), [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) {
      if (stopping_) return;
      lock.unlock();
      EnforceRetention(NowMs());
      lock.lock();
      continue;
    }
    auto [writer, label] = std::move(queue_.front());
    queue_.pop_front();
    ++busy_;
    lock.unlock();
    const Status s = writer->Finish();
    const double seconds = double(writer->last_arrival_ms() - writer->first_arrival_ms()) / 1000.0;
    if (s.ok()) {
      std::error_code ec;
      const int64_t bytes = int64_t(fs::file_size(writer->path(), ec));
      spdlog::info("camera {}: clip {} written ({:.1f} s, {})", label, writer->path(), seconds, Megabytes(bytes));
      std::lock_guard<std::mutex> guard(mu_);
      Index(writer->path(), NowMs(), ec ? 0 : bytes);
      ++stats_.written;
    } else {
      spdlog::warn("camera {}: {}", label, s.message());
      std::lock_guard<std::mutex> guard(mu_);
      ++stats_.failed;
    }
    writer.reset();
    EnforceRetention(NowMs());
    lock.lock();
    --busy_;
    cv_.notify_all();
  }
}

void ClipStore::Index(const std::string& path, int64_t mtime_ms, int64_t bytes) {
  index_.emplace(mtime_ms, Entry{path, bytes});
  ++stats_.clips;
  stats_.bytes += bytes;
}

int ClipStore::EnforceRetention(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  int deleted = 0;
  int64_t freed = 0;
  auto drop = [&](std::multimap<int64_t, Entry>::iterator it) {
    std::error_code ec;
    fs::remove(it->second.path, ec);  // already gone (removed by hand) is fine
    fs::path day = fs::path(it->second.path).parent_path();
    if (fs::is_empty(day, ec)) fs::remove(day, ec);
    freed += it->second.bytes;
    stats_.bytes -= it->second.bytes;
    --stats_.clips;
    ++deleted;
    return index_.erase(it);
  };
  for (auto it = index_.begin(); it != index_.end() && it->first < now_ms - config_.max_age_ms;) it = drop(it);
  while (stats_.bytes > config_.max_bytes && index_.size() > 1) drop(index_.begin());
  stats_.deleted += deleted;
  if (deleted) {
    spdlog::info("clips: deleted the {} oldest clips ({}); {} clips, {} kept", deleted, Megabytes(freed), stats_.clips,
                 Megabytes(stats_.bytes));
  }
  return deleted;
}

ClipStore::Stats ClipStore::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace xl::ingest
