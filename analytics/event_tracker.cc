#include "analytics/event_tracker.h"

namespace xl::analytics {

EventStep EventTracker::Observe(int64_t time_ms, bool active) {
  if (!open_) {
    streak_ = active ? streak_ + 1 : 0;
    if (streak_ < config_.min_frames) return EventStep::kNone;
    open_ = true;
    streak_ = 0;
    start_ms_ = last_active_ms_ = last_sent_ms_ = time_ms;
    return EventStep::kStart;
  }
  if (active) {
    last_active_ms_ = time_ms;
    if (time_ms - last_sent_ms_ >= config_.update_interval_ms) {
      last_sent_ms_ = time_ms;
      return EventStep::kUpdate;
    }
    return EventStep::kNone;
  }
  if (time_ms - last_active_ms_ >= config_.quiet_ms) return Close(time_ms);
  return EventStep::kNone;
}

EventStep EventTracker::Close(int64_t time_ms) {
  if (!open_) return EventStep::kNone;
  open_ = false;
  streak_ = 0;
  return EventStep::kEnd;
}

}  // namespace xl::analytics
