// The motion evaluation set (tools/motion_eval) scored as bench/RESULTS.md reports it: the
// adaptive detector against the classic one on every clip, and the floors it must keep.
#include <gtest/gtest.h>

#include "tests/support/media.h"
#include "tools/motion_eval/clip_score.h"

namespace xl::motion_eval {
namespace {

TEST(MotionEval, AdaptiveDetectorKeepsItsFloorsOnEveryClip) {
  std::string error;
  const std::string fixture = test::Fixture("vtest.avi");
  std::unique_ptr<EvalSet> set = EvalSet::Load(fixture.substr(0, fixture.rfind('/')), &error);
  ASSERT_TRUE(set) << error;
  ASSERT_EQ(set->clips().size(), 9u);
  analytics::MotionConfig adaptive, classic;
  classic.algorithm = "classic";
  for (const EvalClip& clip : set->clips()) {
    const std::vector<ClipScore> scores = ScoreClip(*set, clip, {adaptive, classic});
    const ClipScore& a = scores[0];
    const ClipScore& c = scores[1];
    SCOPED_TRACE(clip.name);
    ASSERT_GT(a.object_frames, 0) << "no truth in the clip";
    EXPECT_GT(a.frame_recall(), 0.8) << "adaptive misses the object in too many frames";
    if (clip.passes) EXPECT_EQ(a.passes, clip.passes);
    if (clip.busy) EXPECT_GE(a.pass_recall(), 0.9) << "a busy scene blinds the adaptive detector";
    else if (clip.passes) EXPECT_EQ(a.passes_raised, a.passes);
    EXPECT_LE(a.false_per_hour(), c.false_per_hour()) << "more false events than classic";
    EXPECT_LE(a.wolf_share(), c.wolf_share() + 0.01) << "more motion on nothing than classic";
    if (clip.nuisance) {
      EXPECT_GT(c.false_per_hour(), 0) << "the clip does not trouble classic: no test of anything";
      EXPECT_LT(a.false_per_hour(), c.false_per_hour()) << "leaves, lights, IR or rain fool the adaptive detector";
    }
  }
}

}  // namespace
}  // namespace xl::motion_eval
