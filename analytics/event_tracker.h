// The life of one kind of event on one camera: start → update → end.
// An event starts after `min_frames` consecutive analysed frames with activity, sends an
// update at most once per `update_interval_ms` while activity goes on, and ends after
// `quiet_ms` without activity.
#pragma once

#include <cstdint>

#include "proto/camera/analytics_settings.h"

namespace xl::analytics {

enum class EventStep { kNone, kStart, kUpdate, kEnd };

class EventTracker {
 public:
  explicit EventTracker(EventConfig config) : config_(config) {}

  // Feeds one analysed frame at `time_ms` (non-decreasing); says what to emit for it.
  EventStep Observe(int64_t time_ms, bool active);

  // Ends an open event now (camera stopped or lost). kEnd when one was open.
  EventStep Close(int64_t time_ms);

  bool open() const { return open_; }
  int64_t start_ms() const { return start_ms_; }
  int64_t last_active_ms() const { return last_active_ms_; }

 private:
  EventConfig config_;
  bool open_ = false;
  int streak_ = 0;
  int64_t start_ms_ = 0;
  int64_t last_active_ms_ = 0;
  int64_t last_sent_ms_ = 0;
};

}  // namespace xl::analytics
