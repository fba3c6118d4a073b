#include "router/recordings/timeline.h"

#include <algorithm>

namespace xl::router {

Timeline BuildTimeline(std::vector<WorkerSegment> segments, int64_t from_ms, int64_t to_ms, int64_t now_ms) {
  std::sort(segments.begin(), segments.end(),
            [](const WorkerSegment& a, const WorkerSegment& b) { return a.start_ms < b.start_ms; });
  const int64_t until = std::min(to_ms, std::max(from_ms, now_ms));
  Timeline t;
  std::string reason_after;  // why the recording stopped after the range being built
  auto gap = [&](int64_t a, int64_t b, const std::string& reason) {
    a = std::max(a, from_ms), b = std::min(b, until);
    if (a < b) t.gaps.push_back({a, b, reason.empty() ? "not recorded" : reason});
  };
  for (const WorkerSegment& s : segments) {
    int64_t end = s.end_ms;
    std::string reason = s.end_reason;
    if (s.open && now_ms - s.end_ms <= kTimelineLiveMs) {
      end = std::max(end, now_ms);
    } else if (s.open) {  // left open by a worker that stopped writing: closed at its next start
      reason = "the worker stopped recording (down, or its disk hangs)";
    }
    const int64_t a = std::max(s.start_ms, from_ms), b = std::min(end, to_ms);
    if (a >= b) continue;
    // The next segment joins the range when it follows on: close by, and the recording did not
    // stop in between (a stop with a reason is a gap, however short).
    if (!t.ranges.empty() &&
        (a <= t.ranges.back().to_ms || (reason_after.empty() && a <= t.ranges.back().to_ms + kTimelineJoinMs))) {
      if (b >= t.ranges.back().to_ms) {
        t.ranges.back().to_ms = b;
        reason_after = reason;
      }
      continue;
    }
    gap(t.ranges.empty() ? from_ms : t.ranges.back().to_ms, a, reason_after);
    t.ranges.push_back({a, b});
    reason_after = reason;
  }
  if (t.ranges.empty()) {
    gap(from_ms, until, "");
  } else {
    gap(t.ranges.back().to_ms, until, reason_after);
  }
  return t;
}

}  // namespace xl::router
