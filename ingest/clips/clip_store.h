// The worker's folder of event clips: finishes clips on its own thread (so no streaming
// thread waits for a file), keeps an index of the finished ones, and applies retention:
// clips older than the age limit go, then the oldest until the total fits the size limit.
//
//   <dir>/<camera id>/<YYYYMMDD>/<event id>.mp4     (day in local time, of the event start)
//
// Files left half-written by a crash ("*.part") are removed at start.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "ingest/clips/clip_config.h"
#include "ingest/clips/clip_writer.h"

namespace xl::ingest {

class ClipStore {
 public:
  // Indexes what is already in config.dir (creating it) and applies the limits.
  explicit ClipStore(ClipStoreConfig config);
  // Finishes every clip handed over, then stops the thread.
  ~ClipStore();
  ClipStore(const ClipStore&) = delete;
  ClipStore& operator=(const ClipStore&) = delete;

  bool enabled() const { return !config_.dir.empty(); }
  const std::string& dir() const { return config_.dir; }

  // Where an event's clip goes, relative to dir().
  static std::string RelativePath(const std::string& camera_id, const std::string& event_id, int64_t start_ms);

  // Takes a writer whose last unit has been pushed: it is finished, indexed and logged
  // (with `label`, the camera's "ID (name)") on the store's thread, then retention runs.
  void Complete(std::unique_ptr<ClipWriter> writer, std::string label);

  // Waits until every clip handed over so far is finished.
  void Flush();

  // Applies both limits as of `now_ms` (wall clock); returns the number of clips deleted.
  // The newest clip is never deleted for size.
  int EnforceRetention(int64_t now_ms);

  struct Stats {
    int64_t clips = 0, bytes = 0;                  // in the folder now
    int64_t written = 0, failed = 0, deleted = 0;  // since start
  };
  Stats stats() const;

 private:
  void Run();
  void Index(const std::string& path, int64_t mtime_ms, int64_t bytes);

  ClipStoreConfig config_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::unique_ptr<ClipWriter>, std::string>> queue_;
  int busy_ = 0;  // clips taken off the queue, not yet finished
  bool stopping_ = false;
  struct Entry {
    std::string path;
    int64_t bytes;
  };
  std::multimap<int64_t, Entry> index_;  // by modification time (ms), oldest first
  Stats stats_;
  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace xl::ingest
