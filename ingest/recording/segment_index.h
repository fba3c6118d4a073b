// The worker's index of its recordings (SQLite, "<recordings dir>/index.db"): one row per
// segment file, and the events whose segments are kept longer.
//
// A segment is "open" while it is written; its end and size are brought up to date every
// second, and it is closed with the reason the recording stopped after it ("" when the next
// segment follows on without a gap). Gaps are therefore explicit: between a segment closed
// with a reason and the camera's next one. Thread-safe (one connection behind a mutex).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/sqlite_util.h"
#include "common/status.h"

namespace xl::ingest {

struct Segment {
  int64_t id = 0;
  std::string camera;
  int64_t start_ms = 0, end_ms = 0;  // wall clock; end is that of its last frame's display
  std::string path;                  // relative to the recordings folder
  int64_t bytes = 0;
  std::string codec;                  // "h264" or "h265"
  std::vector<int64_t> keyframes_ms;  // wall clock
  bool open = true;
  std::string end_reason;     // why the recording stopped after it; "" when it went on
  int64_t keep_ms = 0;        // kept this long after its end
  int64_t event_keep_ms = 0;  // ... or this long when an event overlaps it
};

class SegmentIndex {
 public:
  // Opens (creating) the index at `path`.
  static Result<std::unique_ptr<SegmentIndex>> Open(const std::string& path);

  // Adds an open segment; returns its id.
  Result<int64_t> Add(const Segment& segment);
  // How far an open segment has got.
  struct Progress {
    int64_t id = 0, start_ms = 0, end_ms = 0, bytes = 0;
    std::vector<int64_t> keyframes_ms;
  };
  // Brings open segments up to date, in one transaction.
  Status Update(const std::vector<Progress>& progress);
  // Closes a segment, saying why the recording stopped after it ("" when it went on).
  Status Close(const Progress& progress, const std::string& end_reason);
  Status Remove(int64_t id);

  // A camera's segments overlapping [from_ms, to_ms), oldest first.
  std::vector<Segment> Overlapping(const std::string& camera, int64_t from_ms, int64_t to_ms) const;
  // Segments still marked open (written when the worker last stopped).
  std::vector<Segment> OpenSegments() const;
  // Up to `limit` closed segments whose time is up as of `now_ms`, oldest first.
  std::vector<Segment> Expired(int64_t now_ms, int limit) const;
  // Up to `limit` closed segments, oldest first: those no event overlaps before the others.
  std::vector<Segment> OldestForSpace(int limit) const;

  // An event of `camera` over [start_ms, end_ms]: segments overlapping it are kept longer.
  Status AddEvent(const std::string& camera, int64_t start_ms, int64_t end_ms);

  // Of every segment in the index (kept in memory, not counted each time).
  int64_t total_bytes() const;
  int64_t segments() const;

 private:
  explicit SegmentIndex(router::SqlitePtr db) : db_(std::move(db)) {}
  std::vector<Segment> Query(const char* sql, const std::function<void(sqlite3_stmt*)>& bind) const;

  mutable std::mutex mu_;
  router::SqlitePtr db_;
  int64_t total_bytes_ = 0, segments_ = 0;
};

}  // namespace xl::ingest
