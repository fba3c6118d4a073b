// Object events through CameraAnalytics as the worker drives it (360 px, 5 fps): motion says
// where to look, the object detector says what it is, and only the labels a camera alerts
// on raise alerts.
#include "analytics/camera_analytics.h"

#include <gtest/gtest.h>

#include "tests/support/media.h"

namespace xl::analytics {
namespace {

const CameraInfo kCamera{"33010201001320000031", "村口", "3301020101"};

struct Replayed {
  std::vector<wire::Alert> alerts;
  std::vector<std::vector<cv::Rect>> motion;  // each frame's motion boxes, by frame time / 200 ms
  int frames = 0;
};

// Replays `clip` through analytics with objects on (alert_on `labels`), and beside it a
// motion detector with the same settings to see where motion was.
Replayed Replay(const std::string& clip, std::vector<std::string> labels) {
  AnalyticsConfig config;
  config.faults.enabled = false;
  config.objects.enabled = true;
  config.objects.model = test::Fixture("centernet.onnx");
  config.objects.alert_on = std::move(labels);
  auto detectors = LoadDetectors(config);
  EXPECT_TRUE(detectors.ok()) << detectors.error().message;
  Replayed run;
  if (!detectors.ok()) return run;
  CameraAnalytics analytics(kCamera, config, std::move(detectors.value()));
  auto motion = MakeMotionDetector(config.motion);
  run.frames = test::ReplayClip(test::Fixture(clip), 5, 360, [&](Frame& f, int) {
    std::vector<cv::Rect> boxes;
    for (const MotionBox& b : motion->Detect(f.Grey(), f.time_ms).boxes) boxes.push_back(b.rect);
    run.motion.push_back(boxes);
    for (wire::Alert& a : analytics.Process(f)) run.alerts.push_back(std::move(a));
    return true;
  });
  for (wire::Alert& a : analytics.Close(int64_t(run.frames) * 200)) run.alerts.push_back(std::move(a));
  return run;
}

TEST(ObjectEvents, VtestsWalkersRaisePersonAlertsWithBoxesOnThem) {
  const Replayed run = Replay("vtest.avi", {"person"});
  ASSERT_GT(run.frames, 300);
  int starts = 0, boxes = 0, on_motion = 0;
  for (const wire::Alert& a : run.alerts) {
    EXPECT_EQ(a.kind(), wire::ALERT_KIND_OBJECT) << "with objects on, motion raises no alert of its own";
    if (a.phase() == wire::ALERT_PHASE_START) {
      ++starts;
      EXPECT_FALSE(a.snapshot_jpeg().empty());
      EXPECT_FALSE(a.crop_jpeg().empty());
    }
    if (a.phase() != wire::ALERT_PHASE_END) {
      EXPECT_EQ(std::vector<std::string>(a.labels().begin(), a.labels().end()), std::vector<std::string>{"person"});
    }
    for (const wire::Box& b : a.boxes()) {
      ++boxes;
      EXPECT_EQ(b.label(), "person");
      EXPECT_GE(b.score(), 0.4f);
      const cv::Rect r(int(b.x() * a.frame_width()), int(b.y() * a.frame_height()), int(b.w() * a.frame_width()),
                       int(b.h() * a.frame_height()));
      const size_t frame = size_t(a.time_ms() / 200);
      ASSERT_LT(frame, run.motion.size());
      on_motion += std::any_of(run.motion[frame].begin(), run.motion[frame].end(),
                               [&](const cv::Rect& m) { return (m & r).area() > 0; });
    }
  }
  EXPECT_GE(starts, 1);
  EXPECT_GE(boxes, 10);
  EXPECT_GE(on_motion, boxes * 9 / 10) << "person boxes away from where motion was";
}

TEST(ObjectEvents, TheSwayingTreeRaisesNoPersonAlertOverItsWholeLength) {
  const Replayed run = Replay("tree.avi", {"person"});
  ASSERT_GT(run.frames, 140);
  for (const wire::Alert& a : run.alerts) {
    ADD_FAILURE() << "alert at " << a.time_ms() << " ms: " << (a.boxes_size() ? a.boxes(0).label() : "");
  }
}

TEST(ObjectEvents, VehiclesOnlyMeansNoAlertForWalkers) {
  // vtest.avi's street has walkers and parked vehicles that never move: nothing moving is a
  // vehicle, so a camera alerting on vehicles only stays quiet.
  const Replayed run = Replay("vtest.avi", {"car", "bus", "truck", "motorcycle"});
  ASSERT_GT(run.frames, 300);
  for (const wire::Alert& a : run.alerts) {
    ADD_FAILURE() << "alert at " << a.time_ms() << " ms: " << (a.boxes_size() ? a.boxes(0).label() : "");
  }
}

}  // namespace
}  // namespace xl::analytics
