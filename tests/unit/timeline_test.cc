// The desk's recording timeline from workers' segments (router/recordings/timeline.h).
#include "router/recordings/timeline.h"

#include <gtest/gtest.h>

namespace xl::router {
namespace {

WorkerSegment Seg(int64_t start, int64_t end, std::string reason = "", bool open = false, std::string worker = "w1") {
  WorkerSegment s;
  s.worker = std::move(worker);
  s.start_ms = start;
  s.end_ms = end;
  s.open = open;
  s.end_reason = std::move(reason);
  return s;
}

TEST(Timeline, SegmentsThatFollowOnAreOneRangeAndTheRestIsNotRecorded) {
  // Out of order, from two workers, 10 s segments meeting within a frame.
  const Timeline t = BuildTimeline({Seg(20000, 30000, "", false, "w2"), Seg(10000, 19900), Seg(30050, 40000)}, 0,
                                   60000, 100000);
  ASSERT_EQ(t.ranges.size(), 1u);
  EXPECT_EQ(t.ranges[0].from_ms, 10000);
  EXPECT_EQ(t.ranges[0].to_ms, 40000);
  ASSERT_EQ(t.gaps.size(), 2u);
  EXPECT_EQ(t.gaps[0].from_ms, 0);
  EXPECT_EQ(t.gaps[0].to_ms, 10000);
  EXPECT_EQ(t.gaps[0].reason, "not recorded");
  EXPECT_EQ(t.gaps[1].from_ms, 40000);
  EXPECT_EQ(t.gaps[1].to_ms, 60000);
}

TEST(Timeline, AStopWithAReasonIsAGapHoweverShort) {
  const Timeline t = BuildTimeline({Seg(0, 10000, "worker stopped unexpectedly"), Seg(10800, 20000)}, 0, 20000, 30000);
  ASSERT_EQ(t.ranges.size(), 2u);
  ASSERT_EQ(t.gaps.size(), 1u);
  EXPECT_EQ(t.gaps[0].from_ms, 10000);
  EXPECT_EQ(t.gaps[0].to_ms, 10800);
  EXPECT_EQ(t.gaps[0].reason, "worker stopped unexpectedly");
}

TEST(Timeline, AnOpenSegmentReachesNowUnlessItsWorkerStoppedWriting) {
  Timeline live = BuildTimeline({Seg(0, 58000, "", true)}, 0, 120000, 60000);
  ASSERT_EQ(live.ranges.size(), 1u);
  EXPECT_EQ(live.ranges[0].to_ms, 60000);
  EXPECT_TRUE(live.gaps.empty()) << "nothing after now is a gap";

  Timeline stale = BuildTimeline({Seg(0, 30000, "", true)}, 0, 120000, 60000);
  ASSERT_EQ(stale.ranges.size(), 1u);
  EXPECT_EQ(stale.ranges[0].to_ms, 30000);
  ASSERT_EQ(stale.gaps.size(), 1u);
  EXPECT_EQ(stale.gaps[0].to_ms, 60000);
  EXPECT_NE(stale.gaps[0].reason.find("stopped recording"), std::string::npos);
}

TEST(Timeline, RangesAreCutToTheRangeAskedForAndNothingIsOneGap) {
  const Timeline t = BuildTimeline({Seg(0, 50000, "camera offline: end of stream")}, 10000, 20000, 100000);
  ASSERT_EQ(t.ranges.size(), 1u);
  EXPECT_EQ(t.ranges[0].from_ms, 10000);
  EXPECT_EQ(t.ranges[0].to_ms, 20000);
  EXPECT_TRUE(t.gaps.empty());
  const Timeline none = BuildTimeline({}, 10000, 20000, 100000);
  EXPECT_TRUE(none.ranges.empty());
  ASSERT_EQ(none.gaps.size(), 1u);
  EXPECT_EQ(none.gaps[0].reason, "not recorded");
}

}  // namespace
}  // namespace xl::router
