#include "analytics/event_tracker.h"

#include <gtest/gtest.h>

#include <vector>

namespace xl::analytics {
namespace {

// Feeds `active` at 5 fps from `t0`; collects (time, step) for every step that is not kNone.
std::vector<std::pair<int64_t, EventStep>> Feed(EventTracker& t, int64_t t0, int frames, bool active) {
  std::vector<std::pair<int64_t, EventStep>> steps;
  for (int i = 0; i < frames; ++i) {
    int64_t now = t0 + i * 200;
    EventStep s = t.Observe(now, active);
    if (s != EventStep::kNone) steps.emplace_back(now, s);
  }
  return steps;
}

TEST(EventTracker, OneFrameOfActivityStartsNothing) {
  EventTracker t(EventConfig{});
  EXPECT_EQ(t.Observe(0, true), EventStep::kNone);
  EXPECT_TRUE(Feed(t, 200, 50, false).empty());
}

TEST(EventTracker, StartsUpdatesAtMostOncePerSecondAndEndsAfterQuiet) {
  EventTracker t(EventConfig{.min_frames = 2, .update_interval_ms = 1000, .quiet_ms = 5000});
  auto active = Feed(t, 0, 50, true);  // 10 s of activity
  ASSERT_FALSE(active.empty());
  EXPECT_EQ(active.front().second, EventStep::kStart);
  EXPECT_EQ(active.front().first, 200);
  int updates = 0;
  for (size_t i = 1; i < active.size(); ++i) {
    EXPECT_EQ(active[i].second, EventStep::kUpdate);
    EXPECT_GE(active[i].first - active[i - 1].first, 1000);
    ++updates;
  }
  EXPECT_GE(updates, 8);
  auto quiet = Feed(t, 10000, 40, false);  // 8 s quiet
  ASSERT_EQ(quiet.size(), 1u);
  EXPECT_EQ(quiet[0].second, EventStep::kEnd);
  EXPECT_EQ(quiet[0].first - t.last_active_ms(), 5000);
  EXPECT_FALSE(t.open());
}

TEST(EventTracker, ShortPauseDoesNotEndTheEvent) {
  EventTracker t(EventConfig{.min_frames = 2, .update_interval_ms = 1000, .quiet_ms = 5000});
  Feed(t, 0, 10, true);
  EXPECT_TRUE(Feed(t, 2000, 10, false).empty());  // 2 s pause
  Feed(t, 4000, 10, true);
  EXPECT_TRUE(t.open());
}

TEST(EventTracker, CloseEndsAnOpenEventOnce) {
  EventTracker t(EventConfig{});
  Feed(t, 0, 5, true);
  EXPECT_EQ(t.Close(5000), EventStep::kEnd);
  EXPECT_EQ(t.Close(5200), EventStep::kNone);
}

}  // namespace
}  // namespace xl::analytics
