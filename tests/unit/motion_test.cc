// Motion detection on real clips (vtest.avi: pedestrians, fixed camera; tree.avi: a swaying
// tree, then a hand), through CameraAnalytics as the ingest worker drives it: 360 px, 5 fps.
#include "analytics/camera_analytics.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tests/support/media.h"

namespace xl::analytics {
namespace {

constexpr double kFps = 5;
constexpr int kHeight = 360;

const CameraInfo kCamera{"33010201001320000011", "东村村口", "3301020101"};

// vtest.avi: the road that crosses the picture, and the lawn in the lower left.
const Zone kRoad{"road", {{0, 0.28f}, {0.55f, 0.16f}, {1, 0.12f}, {1, 0.85f}, {0.6f, 0.72f}, {0, 0.45f}}};
const Zone kLawn{"lawn", {{0, 0.55f}, {0.5f, 0.75f}, {0.5f, 1}, {0, 1}}};

struct Replay {
  std::vector<wire::Alert> alerts;
  int frames = 0;
  int frames_with_boxes = 0;
};

// Replays `clip` through a CameraAnalytics; `alter` may change each frame before analysis.
Replay Analyse(const std::string& clip, AnalyticsConfig config, int max_frames = 1 << 30,
               const std::function<void(Frame&, int)>& alter = {}) {
  Replay run;
  CameraAnalytics analytics(kCamera, std::move(config));
  run.frames = test::ReplayClip(test::Fixture(clip), kFps, kHeight, [&](Frame& f, int i) {
    if (alter) alter(f, i);
    for (wire::Alert& a : analytics.Process(f)) {
      // Video faults (a still is "frozen", a dimmed picture "too dark") are tested apart.
      if (a.kind() == wire::ALERT_KIND_MOTION) run.alerts.push_back(std::move(a));
    }
    return i + 1 < max_frames;
  });
  return run;
}

int Count(const Replay& run, wire::AlertPhase phase) {
  return static_cast<int>(
      std::count_if(run.alerts.begin(), run.alerts.end(), [&](const wire::Alert& a) { return a.phase() == phase; }));
}

bool HasZone(const wire::Alert& a, const std::string& zone) {
  return std::find(a.zones().begin(), a.zones().end(), zone) != a.zones().end();
}

TEST(Motion, FindsPedestriansOnTheRoad) {
  AnalyticsConfig config;
  config.motion.zones = {kRoad, kLawn};
  Replay run = Analyse("vtest.avi", config, 40 * kFps);  // first 40 s: everybody is on the road
  ASSERT_EQ(run.frames, 40 * kFps) << "could not read " << test::Fixture("vtest.avi");
  ASSERT_GE(Count(run, wire::ALERT_PHASE_START), 1);
  const wire::Alert& start = run.alerts.front();
  EXPECT_EQ(start.phase(), wire::ALERT_PHASE_START);
  EXPECT_EQ(start.camera_id(), kCamera.id);
  EXPECT_EQ(start.kind(), wire::ALERT_KIND_MOTION);
  EXPECT_FALSE(start.boxes().empty());

  // The snapshot is a JPEG of the analysed frame.
  cv::Mat jpeg =
      cv::imdecode(std::vector<uint8_t>(start.snapshot_jpeg().begin(), start.snapshot_jpeg().end()), cv::IMREAD_COLOR);
  ASSERT_FALSE(jpeg.empty());
  EXPECT_EQ(jpeg.rows, kHeight);

  int road = 0, lawn = 0, boxes = 0;
  for (const wire::Alert& a : run.alerts) {
    EXPECT_FALSE(HasZone(a, "lawn")) << "nobody walks on the lawn in the first 40 s";
    for (const wire::Box& b : a.boxes()) {
      ++boxes;
      road += b.zone() == "road";
      lawn += b.zone() == "lawn";
      EXPECT_GE(b.x(), 0);
      EXPECT_LE(b.x() + b.w(), 1.001);
    }
  }
  EXPECT_TRUE(HasZone(start, "road"));
  EXPECT_EQ(lawn, 0);
  EXPECT_GE(road, boxes * 9 / 10);
}

TEST(Motion, WomanCrossingTheLawnIsInTheLawnZone) {
  AnalyticsConfig config;
  config.motion.zones = {kRoad, kLawn};
  Replay run = Analyse("vtest.avi", config);
  bool lawn = false;
  for (const wire::Alert& a : run.alerts) {
    for (const wire::Box& b : a.boxes()) {
      if (b.zone() != "lawn") continue;
      lawn = true;
      EXPECT_GE(a.time_ms(), 40000) << "lawn motion before anyone walks there";
    }
  }
  EXPECT_TRUE(lawn);
}

TEST(Motion, EventLifecycleOnPedestrians) {
  Replay run = Analyse("vtest.avi", AnalyticsConfig{}, 60 * kFps);
  ASSERT_FALSE(run.alerts.empty());
  std::map<std::string, int64_t> last_update;
  for (const wire::Alert& a : run.alerts) {
    if (a.phase() == wire::ALERT_PHASE_START) {
      EXPECT_EQ(last_update.count(a.id()), 0u) << "an event starts once";
      EXPECT_FALSE(a.snapshot_jpeg().empty());
    } else {
      ASSERT_EQ(last_update.count(a.id()), 1u) << "update or end before start";
      if (a.phase() == wire::ALERT_PHASE_UPDATE) {
        EXPECT_GE(a.time_ms() - last_update[a.id()], 1000);
      }
    }
    last_update[a.id()] = a.time_ms();
  }
}

TEST(Motion, MaskedEverywhereProducesNothing) {
  AnalyticsConfig config;
  config.motion.masks = {{{0, 0}, {1, 0}, {1, 1}, {0, 1}}};
  Replay run = Analyse("vtest.avi", config, 40 * kFps);
  EXPECT_EQ(run.frames, 40 * kFps);
  EXPECT_TRUE(run.alerts.empty());
}

TEST(Motion, MaskedRoadAndLawnProducesNothingThere) {
  AnalyticsConfig config;
  config.motion.masks = {kRoad.polygon, kLawn.polygon};
  config.motion.zones = {kRoad, kLawn};
  Replay run = Analyse("vtest.avi", config, 40 * kFps);
  for (const wire::Alert& a : run.alerts) {
    for (const wire::Box& b : a.boxes()) EXPECT_EQ(b.zone(), "") << "motion inside a mask at " << a.time_ms();
  }
}

// The first frame of vtest.avi, over and over: `scale` multiplies every pixel from frame 50 on.
Replay StillWithBrightness(double scale) {
  cv::Mat first;
  return Analyse("vtest.avi", AnalyticsConfig{}, 100, [&](Frame& f, int i) {
    if (i == 0) first = f.i420.clone();
    first.copyTo(f.i420);
    if (i >= 50) {
      cv::Mat bgr = f.Bgr();
      bgr.convertTo(bgr, -1, scale);
      f = FrameFromBgr(bgr, f.time_ms);
    }
  });
}

TEST(Motion, UnchangedStillProducesNothing) {
  Replay run = StillWithBrightness(1.0);
  EXPECT_EQ(run.frames, 100);
  EXPECT_TRUE(run.alerts.empty());
}

TEST(Motion, SuddenBrightnessChangeIsNotMotion) {
  for (double scale : {0.1, 0.5, 0.7, 1.5, 2.0}) {
    Replay run = StillWithBrightness(scale);
    EXPECT_EQ(run.frames, 100);
    EXPECT_TRUE(run.alerts.empty()) << "lights scaled by " << scale << " raised an alert";
  }
}

TEST(Motion, SuddenBrightnessChangeDuringMotionRecovers) {
  // Pedestrians, then the lights halve at 20 s: events may go on, but detection must not
  // drown: after a few seconds the moving fraction is back to small, person-sized areas.
  AnalyticsConfig config;
  Replay run = Analyse("vtest.avi", config, 40 * kFps, [](Frame& f, int i) {
    if (i >= 20 * kFps) {
      cv::Mat bgr = f.Bgr();
      bgr.convertTo(bgr, -1, 0.5);
      f = FrameFromBgr(bgr, f.time_ms);
    }
  });
  for (const wire::Alert& a : run.alerts) {
    if (a.time_ms() >= 20000 && a.phase() != wire::ALERT_PHASE_END) {
      EXPECT_LT(a.score(), 0.2) << a.time_ms();
    }
  }
}

TEST(Motion, MaskedTreeStaysQuietUntilTheHandEnters) {
  // tree.avi: foliage sways all along; at about 23.5 s a hand comes in from the top right.
  AnalyticsConfig config;
  config.motion.masks = {
      {{0.25f, 0}, {0.72f, 0}, {0.72f, 0.6f}, {0.25f, 0.6f}},          // crown
      {{0.55f, 0.62f}, {1, 0.62f}, {1, 1}, {0.3f, 1}, {0.3f, 0.85f}},  // lower branches
  };
  Replay run = Analyse("tree.avi", config);
  ASSERT_GT(run.frames, 140) << "could not read " << test::Fixture("tree.avi");
  ASSERT_GE(Count(run, wire::ALERT_PHASE_START), 1) << "the hand was not seen";
  const wire::Alert& first = run.alerts.front();
  EXPECT_EQ(first.phase(), wire::ALERT_PHASE_START);
  EXPECT_GE(first.time_ms(), 23000) << "motion in the masked tree";
  EXPECT_LE(first.time_ms(), 26000) << "the hand was seen late";
}

TEST(Motion, UnmaskedTreeMovesForTheClassicDetector) {
  // The classic detector without the mask raises motion before the hand: the mask is what
  // keeps the test above quiet.
  AnalyticsConfig config;
  config.motion.algorithm = "classic";
  Replay run = Analyse("tree.avi", config);
  ASSERT_FALSE(run.alerts.empty());
  EXPECT_LT(run.alerts.front().time_ms(), 23000);
}

TEST(Motion, AdaptiveDetectorLearnsTheTreeAndSeesTheHand) {
  // No mask: the adaptive detector learns that the leaves always move and says nothing
  // about them, and still sees the hand come in.
  Replay run = Analyse("tree.avi", AnalyticsConfig{});
  ASSERT_GT(run.frames, 140) << "could not read " << test::Fixture("tree.avi");
  ASSERT_GE(Count(run, wire::ALERT_PHASE_START), 1) << "the hand was not seen";
  EXPECT_GE(run.alerts.front().time_ms(), 23000) << "motion in the swaying tree";
  EXPECT_LE(run.alerts.front().time_ms(), 26000) << "the hand was seen late";
}

TEST(Motion, AScreenOverHalfTheViewIsSuppressedAndReported) {
  // vtest.avi with its left half a screen showing noise, a new picture every frame: the
  // detector suppresses it, says so, and still finds the pedestrians on the right.
  AnalyticsConfig config;
  CameraAnalytics analytics(kCamera, config);
  cv::RNG rng(7);
  int boxes_right = 0, boxes_left = 0;
  test::ReplayClip(test::Fixture("vtest.avi"), kFps, kHeight, [&](Frame& f, int i) {
    cv::Mat left = f.Grey()(cv::Rect(0, 0, f.width / 2, f.height));
    cv::Mat noise(left.size(), CV_8U);
    rng.fill(noise, cv::RNG::UNIFORM, 0, 256);
    cv::GaussianBlur(noise, noise, cv::Size(0, 0), 6);
    cv::normalize(noise, left, 0, 255, cv::NORM_MINMAX);
    for (const wire::Alert& a : analytics.Process(f)) {
      if (a.kind() != wire::ALERT_KIND_MOTION || i < 15 * kFps) continue;
      for (const wire::Box& b : a.boxes()) (b.x() + b.w() / 2 < 0.5 ? boxes_left : boxes_right)++;
    }
    return i + 1 < 40 * kFps;
  });
  EXPECT_GT(analytics.motion_suppressed(), 0.4);
  EXPECT_GT(boxes_right, 0) << "blind to the pedestrians next to the screen";
  EXPECT_EQ(boxes_left, 0) << "the screen raised motion";
}

}  // namespace
}  // namespace xl::analytics
