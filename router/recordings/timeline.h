// A camera's recording over a time range as the desk shows it: the recorded ranges and the
// gaps between them with why the recording stopped, merged from the segments every worker
// that ran the camera holds (ingest/recording/recording_api.h). Pure: no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xl::router {

// One segment as a worker reported it.
struct WorkerSegment {
  std::string worker;
  int64_t start_ms = 0, end_ms = 0;  // wall clock
  int64_t bytes = 0;
  std::string codec;
  bool open = false;                  // still being written
  std::string end_reason;             // why the recording stopped after it; "" when it went on
  std::vector<int64_t> keyframes_ms;  // wall clock, oldest first
};

// A recording a GB/T 28181 device keeps of its channel (its RecordInfo), as a worker asked it.
struct DeviceRecord {
  std::string worker;
  int64_t start_ms = -1, end_ms = -1;  // wall clock; -1: the device wrote no readable time
  std::string name, type, file_path;
};

struct Timeline {
  struct Range {
    int64_t from_ms = 0, to_ms = 0;
  };
  struct Gap {
    int64_t from_ms = 0, to_ms = 0;
    std::string reason;  // "camera offline: …", "recording stopped: disk full: …", "not recorded"
  };
  std::vector<Range> ranges;  // oldest first, inside the range asked for
  std::vector<Gap> gaps;      // the rest of [from_ms, min(to_ms, now_ms)), oldest first
};

// Segments closer than this are one range (a segment ends where its last frame's display
// ends; the next starts at its first frame), unless the first ended with a reason (the
// recording stopped: a gap however short).
inline constexpr int64_t kTimelineJoinMs = 1500;
// An open segment whose end is this recent is still being written: it reaches to now.
inline constexpr int64_t kTimelineLiveMs = 5000;

// The timeline of [from_ms, to_ms) as of `now_ms` from `segments` (any order, any workers).
// REQUIRES: from_ms < to_ms.
Timeline BuildTimeline(std::vector<WorkerSegment> segments, int64_t from_ms, int64_t to_ms, int64_t now_ms);

}  // namespace xl::router
