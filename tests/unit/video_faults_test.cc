// Video-fault diagnosis on real footage (vtest.avi: pedestrians, fixed camera), with each
// fault injected into the decoded frames from 30 s to 50 s.
#include "analytics/video_faults.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <opencv2/imgproc.hpp>

#include "tests/support/media.h"

namespace xl::analytics {
namespace {

constexpr double kFps = 5;
constexpr int64_t kFaultFrom = 30000, kFaultTo = 50000;

struct Seen {
  std::map<wire::AlertKind, int64_t> started, ended;  // first start / first end after the fault
};

Seen RunWithFault(const std::function<void(Frame&)>& fault, const std::string& clip = "vtest.avi") {
  VideoFaultDetector detector({});
  Seen seen;
  test::ReplayClip(test::Fixture(clip), kFps, 360, [&](Frame& f, int) {
    if (fault && f.time_ms >= kFaultFrom && f.time_ms < kFaultTo) fault(f);
    for (const FaultChange& c : detector.Observe(f)) {
      auto& slot = c.started ? seen.started : seen.ended;
      if (!slot.count(c.kind)) slot[c.kind] = f.time_ms;
    }
    return f.time_ms < 70000;
  });
  return seen;
}

// Applies `edit` to the frame's picture (as BGR) and stores it back.
void EditBgr(Frame& f, const std::function<void(cv::Mat&)>& edit) {
  cv::Mat bgr = f.Bgr();
  edit(bgr);
  Frame edited = FrameFromBgr(bgr, f.time_ms);
  f.i420 = edited.i420;
}

void ExpectRaisedAndEnded(const Seen& s, wire::AlertKind kind) {
  ASSERT_TRUE(s.started.count(kind)) << "fault " << kind << " never raised";
  EXPECT_GE(s.started.at(kind), kFaultFrom);
  EXPECT_LE(s.started.at(kind), kFaultFrom + 10000);
  ASSERT_TRUE(s.ended.count(kind)) << "fault " << kind << " never ended";
  EXPECT_GE(s.ended.at(kind), kFaultTo);
  EXPECT_LE(s.ended.at(kind), kFaultTo + 10000);
}

TEST(VideoFaults, CleanFootageRaisesNothing) {
  Seen s = RunWithFault(nullptr);
  EXPECT_TRUE(s.started.empty()) << "raised " << s.started.begin()->first;
}

TEST(VideoFaults, SwayingTreeAndAHandRaiseNothing) {
  Seen s = RunWithFault(nullptr, "tree.avi");
  EXPECT_TRUE(s.started.empty()) << "raised " << s.started.begin()->first;
}

TEST(VideoFaults, CoveredLens) {
  Seen s = RunWithFault([](Frame& f) { EditBgr(f, [](cv::Mat& m) { m.setTo(cv::Scalar(8, 8, 8)); }); });
  ExpectRaisedAndEnded(s, wire::ALERT_KIND_COVERED);
  EXPECT_FALSE(s.started.count(wire::ALERT_KIND_FROZEN)) << "a covered lens is not also reported frozen";
  EXPECT_FALSE(s.started.count(wire::ALERT_KIND_BRIGHTNESS));
}

TEST(VideoFaults, Blur) {
  Seen s = RunWithFault([](Frame& f) { EditBgr(f, [](cv::Mat& m) { cv::GaussianBlur(m, m, cv::Size(0, 0), 9); }); });
  ExpectRaisedAndEnded(s, wire::ALERT_KIND_BLUR);
  EXPECT_FALSE(s.started.count(wire::ALERT_KIND_COVERED));
}

TEST(VideoFaults, FrozenPicture) {
  cv::Mat held;
  Seen s = RunWithFault([&](Frame& f) {
    if (held.empty()) held = f.i420.clone();
    held.copyTo(f.i420);
  });
  ExpectRaisedAndEnded(s, wire::ALERT_KIND_FROZEN);
  EXPECT_FALSE(s.started.count(wire::ALERT_KIND_SCENE_CHANGE));
}

TEST(VideoFaults, TooDark) {
  Seen s = RunWithFault([](Frame& f) { EditBgr(f, [](cv::Mat& m) { m.convertTo(m, -1, 0.1); }); });
  ExpectRaisedAndEnded(s, wire::ALERT_KIND_BRIGHTNESS);
  EXPECT_FALSE(s.started.count(wire::ALERT_KIND_BLUR)) << "darkness is not blur";
  EXPECT_FALSE(s.started.count(wire::ALERT_KIND_SCENE_CHANGE)) << "darkness is not a moved camera";
}

TEST(VideoFaults, CameraMoved) {
  Seen s = RunWithFault([](Frame& f) {
    EditBgr(f, [](cv::Mat& m) {
      cv::Mat rot = cv::getRotationMatrix2D(cv::Point2f(m.cols / 2.f, m.rows / 2.f), 20, 1.0);
      cv::warpAffine(m, m, rot, m.size());
    });
  });
  ExpectRaisedAndEnded(s, wire::ALERT_KIND_SCENE_CHANGE);
}

}  // namespace
}  // namespace xl::analytics
