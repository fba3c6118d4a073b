// LoopClock (common/loop_clock.h): time that stands still while the loop was held up.
#include "common/loop_clock.h"

#include <gtest/gtest.h>

namespace xl {
namespace {

TEST(LoopClock, TimeGoesOnWhileTheLoopKeepsItsTicksAndStandsStillWhileItIsHeldUp) {
  LoopClock clock(1000, 2500);
  EXPECT_EQ(clock.Read(10000), 10000);
  EXPECT_EQ(clock.Read(11000), 11000);
  EXPECT_EQ(clock.Read(13400), 13400) << "a late tick is no hold-up";
  EXPECT_EQ(clock.holds(), 0u);
  // Held up for 9 s: all of it but one tick is left out.
  EXPECT_EQ(clock.Read(22400), 14400);
  EXPECT_EQ(clock.holds(), 1u);
  EXPECT_EQ(clock.held_ms(), 8000);
  EXPECT_EQ(clock.Read(23400), 15400);
  // A reading from before the last one (another caller's older time) changes nothing.
  EXPECT_EQ(clock.Read(23000), 15000);
  EXPECT_EQ(clock.Read(24400), 16400);
  EXPECT_EQ(clock.holds(), 1u);
}

}  // namespace
}  // namespace xl
