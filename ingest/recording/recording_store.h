// The worker's recordings: every camera's encoded stream written continuously into segment
// files (ingest/recording/segment_file.h) under one folder, indexed in SQLite
// (segment_index.h), kept by age and by a disk budget, and read back for playback and export.
//
//   <dir>/index.db
//   <dir>/<camera id>/<YYYYMMDD>/<HHMMSS>-<start ms>.mp4      (day and time local, of the start)
//
// One thread writes every camera's segments; streaming threads only queue units (never a
// disk wait). A full disk (free space under the floor, or a write failing with ENOSPC) or an
// unwritable folder pauses all recording — the open segments end with that reason, so the
// gap is in the index — and recording resumes by itself once the folder takes files again.
// Retention deletes in small batches: segments past their camera's age limit, then the
// oldest (those without events first) while the folder is over its budget.
//
// A worker killed mid-segment loses only what was not yet flushed (≤ 1 s); at the next start
// the segments left open are read back, cut after their last whole fragment and closed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "ingest/clips/clip_writer.h"
#include "ingest/recording/recording_config.h"
#include "ingest/recording/segment_file.h"
#include "ingest/recording/segment_index.h"

namespace xl::ingest {

class RecordingStore {
 public:
  // Opens (creating) the folder and its index and closes what a crash left open. With no
  // folder configured the store is disabled and records nothing. A folder that cannot be
  // opened is not fatal: the store starts paused with the reason and keeps trying.
  explicit RecordingStore(RecordingStoreConfig config);
  // Closes every open segment ("worker stopped") after writing what is queued.
  ~RecordingStore();
  RecordingStore(const RecordingStore&) = delete;
  RecordingStore& operator=(const RecordingStore&) = delete;

  bool enabled() const { return !config_.dir.empty(); }
  const std::string& dir() const { return config_.dir; }

  // One camera's recording during one pipeline attempt. Feed from one thread at a time.
  class Recorder {
   public:
    ~Recorder();  // the recording stops here: "camera stopped" unless End said why
    // One access unit of the camera's stream, with its codec ("h264"/"h265") and picture size.
    void Feed(const StoredUnitPtr& unit, const std::string& codec, uint32_t width, uint32_t height);
    // An event over [start_ms, end_ms]: the segments it overlaps are kept events_retain.
    void Event(int64_t start_ms, int64_t end_ms);
    // The recording stops here, for `reason` ("camera offline: …"); later units are ignored.
    void End(const std::string& reason);

   private:
    friend class RecordingStore;
    Recorder(RecordingStore& store, int key) : store_(store), key_(key) {}
    RecordingStore& store_;
    const int key_;
    bool ended_ = false;
  };
  // A recorder for `camera_id` (`label`: "ID (name)" for logs); null when the store is
  // disabled or the camera's mode is off. The store must outlive it.
  std::unique_ptr<Recorder> Open(const std::string& camera_id, const std::string& label, const RecordConfig& config);

  // Reads (any thread).
  std::vector<Segment> Segments(const std::string& camera, int64_t from_ms, int64_t to_ms) const;
  // The recording of `camera` over [from_ms, to_ms) as one fragmented MP4, starting at the
  // keyframe at or before from_ms; only keyframes when `keyframes_only`. Its times start at 0
  // at `start_ms` (wall clock) and follow the recording's (a gap in the recording is a gap in
  // the file). kNotFound when nothing is recorded there; kInvalidArgument for a range longer
  // than kMaxReadMs.
  static constexpr int64_t kMaxReadMs = 30 * 60 * 1000;
  struct Range {
    std::string mp4;
    int64_t start_ms = 0;  // wall clock of its first frame
  };
  Result<Range> Mp4(const std::string& camera, int64_t from_ms, int64_t to_ms, bool keyframes_only) const;

  struct Health {
    bool enabled = false;
    std::string problem;  // "" while recording works; else why recording stopped
    int64_t bytes = 0, segments = 0, free_bytes = 0;
    int recording = 0;  // cameras with a segment open
    int64_t deleted = 0, written_bytes = 0;
  };
  Health health() const;

  // Waits until every unit queued so far is written and flushed (tests, shutdown).
  void Flush();
  // Runs retention now as of `now_ms`; returns the segments deleted (tests).
  int EnforceRetention(int64_t now_ms);

 private:
  enum class ItemKind { kUnit, kEnd, kEvent, kOpen };
  struct Item {
    ItemKind kind;
    int key;
    StoredUnitPtr unit;
    std::string text;  // codec (unit), reason (end), camera (open)
    uint32_t width = 0, height = 0;
    int64_t start_ms = 0, end_ms = 0;
    uint64_t drops = 0;  // units this recorder had dropped when the item was queued
    std::string label;
    RecordConfig config;
  };
  struct Camera {  // the writer thread's state of one recorder
    std::string id, label;
    RecordConfig config;
    std::unique_ptr<SegmentFile> file;
    int64_t segment_id = 0;
    std::string codec;
    uint64_t seen_drops = 0;
    bool announced = false;  // "recording to …" logged
  };

  void Queue(Item item);
  void Run();
  void Handle(Item& item, int64_t now_ms);
  void Write(Camera& camera, const Item& item);
  // Closes the camera's open segment; `reason` says why the recording stops after it.
  void CloseSegment(Camera& camera, const std::string& reason);
  void Tick(int64_t now_ms);
  // Pauses all recording for `problem` (closing every open segment), or resumes with "".
  void SetProblem(const std::string& problem);
  // Why the folder cannot take a new file now ("" when it can).
  std::string FolderProblem() const;
  int EnforceRetentionLocked(int64_t now_ms);  // REQUIRES: write_mu_ held
  void Recover();
  bool DeleteSegment(const Segment& segment);

  RecordingStoreConfig config_;
  std::unique_ptr<SegmentIndex> index_;  // null when disabled or the folder cannot be opened yet

  mutable std::mutex mu_;  // the queue and what the threads share
  std::condition_variable cv_, idle_cv_;
  std::deque<Item> queue_;
  int64_t queued_bytes_ = 0;
  bool busy_ = false;
  bool stopping_ = false;
  int next_key_ = 1;
  std::map<int, uint64_t> drops_;  // by recorder key
  std::string problem_;
  int recording_ = 0;
  int64_t deleted_ = 0, written_bytes_ = 0;
  std::atomic<int64_t> free_bytes_{0};

  std::mutex write_mu_;            // the writer state below (the writer thread, or a test's call)
  std::map<int, Camera> cameras_;  // by recorder key
  std::deque<std::pair<SegmentIndex::Progress, std::string>> unclosed_;  // closes the index could not write yet
  int64_t last_retention_ms_ = 0, last_check_ms_ = 0, last_probe_ms_ = 0;
  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace xl::ingest
