// Face detection on real pictures: the astronaut (skimage's astronaut.png, Eileen Collins)
// pasted into vtest.avi frames, and the swaying tree with no face at all.
#include "analytics/face_detector.h"

#include "analytics/camera_analytics.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tests/support/media.h"

namespace xl::analytics {
namespace {

// The face in astronaut.png (512×512), measured by hand.
const cv::Rect kTrueFace(176, 72, 100, 104);

FaceConfig Dnn() {
  FaceConfig c;
  c.enabled = true;
  c.detector = "dnn";
  c.model = test::Fixture("blazeface_front_128.onnx");
  return c;
}

FaceConfig Haar() {
  FaceConfig c;
  c.enabled = true;
  c.detector = "cascade";
  c.model = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";
  return c;
}

// True when `got` is within 20 % of `want`: centre offset and size, relative to its size.
bool Close(const cv::Rect& got, const cv::Rect& want) {
  const double dx = std::abs((got.x + got.width / 2.0) - (want.x + want.width / 2.0));
  const double dy = std::abs((got.y + got.height / 2.0) - (want.y + want.height / 2.0));
  return dx <= 0.2 * want.width && dy <= 0.2 * want.height && std::abs(got.width - want.width) <= 0.2 * want.width &&
         std::abs(got.height - want.height) <= 0.2 * want.height;
}

void FindsTheAstronaut(const FaceConfig& config) {
  auto detector = MakeFaceDetector(config);
  ASSERT_TRUE(detector.ok()) << detector.error().message;
  cv::Mat astronaut = cv::imread(test::Fixture("astronaut.png"));
  ASSERT_FALSE(astronaut.empty());
  auto faces = (*detector)->Detect(astronaut);
  ASSERT_FALSE(faces.empty());
  EXPECT_TRUE(Close(faces.front().rect, kTrueFace)) << faces.front().rect;
  // Pasted (half size) into a street scene, seen through the crop around it that motion
  // would give (the paste and a quarter more around it).
  int found = 0, frames = 0;
  test::ReplayClip(test::Fixture("vtest.avi"), 1, 576, [&](Frame& f, int i) {
    cv::Mat scene = f.Bgr();
    cv::Mat small;
    cv::resize(astronaut, small, cv::Size(256, 256));
    const cv::Point at(100 + 20 * i, 200);
    small.copyTo(scene(cv::Rect(at, small.size())));
    const cv::Rect crop = cv::Rect(at.x - 32, at.y - 32, 320, 320) & cv::Rect(0, 0, scene.cols, scene.rows);
    auto got = (*detector)->Detect(scene(crop));
    const cv::Rect want(at.x - crop.x + kTrueFace.x / 2, at.y - crop.y + kTrueFace.y / 2, kTrueFace.width / 2,
                        kTrueFace.height / 2);
    found += !got.empty() && Close(got.front().rect, want);
    return ++frames < 10;
  });
  EXPECT_GE(found, 8) << "of " << frames;
}

void FindsNoFaceInTheTree(const FaceConfig& config) {
  auto detector = MakeFaceDetector(config);
  ASSERT_TRUE(detector.ok()) << detector.error().message;
  int faces = 0;
  test::ReplayClip(test::Fixture("tree.avi"), 2, 240, [&](Frame& f, int) {
    faces += int((*detector)->Detect(f.Bgr()).size());
    return true;
  });
  EXPECT_EQ(faces, 0);
}

TEST(FaceDetector, DnnFindsTheAstronaut) { FindsTheAstronaut(Dnn()); }
TEST(FaceDetector, CascadeFindsTheAstronaut) { FindsTheAstronaut(Haar()); }
TEST(FaceDetector, DnnFindsNoFaceInTheTree) { FindsNoFaceInTheTree(Dnn()); }
TEST(FaceDetector, CascadeFindsNoFaceInTheTree) { FindsNoFaceInTheTree(Haar()); }

// The whole analytics path: the astronaut walks through vtest; motion finds her, the face
// detector looks only around the motion, and a face event carries boxes and a face crop.
TEST(FaceEvents, AWalkingFaceBecomesAFaceEventWithACrop) {
  for (const FaceConfig& faces : {Dnn(), Haar()}) {
    AnalyticsConfig config;
    config.faces = faces;
    config.faults.enabled = false;
    auto detector = MakeFaceDetector(faces);
    ASSERT_TRUE(detector.ok());
    CameraAnalytics analytics({"33010201001320000011", "东村", "33010201"}, config, Detectors{std::move(detector.value()), nullptr});
    cv::Mat astronaut = cv::imread(test::Fixture("astronaut.png"));
    cv::resize(astronaut, astronaut, cv::Size(240, 240));
    std::vector<wire::Alert> face_alerts;
    cv::Rect last_paste;
    test::ReplayClip(test::Fixture("vtest.avi"), 5, 576, [&](Frame& f, int i) {
      cv::Mat scene = f.Bgr();
      if (i >= 25) {  // after the detector has learned the street
        last_paste = cv::Rect(60 + 12 * (i - 25), 300, 240, 240);
        astronaut.copyTo(scene(last_paste));
      }
      Frame pasted = FrameFromBgr(scene, f.time_ms);
      for (wire::Alert& a : analytics.Process(pasted)) {
        if (a.kind() == wire::ALERT_KIND_FACE) face_alerts.push_back(std::move(a));
      }
      return i < 60;
    });
    ASSERT_FALSE(face_alerts.empty()) << faces.detector;
    const wire::Alert& start = face_alerts.front();
    EXPECT_EQ(start.phase(), wire::ALERT_PHASE_START);
    ASSERT_GT(start.boxes_size(), 0);
    EXPECT_FALSE(start.crop_jpeg().empty());
    EXPECT_FALSE(
        cv::imdecode(std::vector<uint8_t>(start.crop_jpeg().begin(), start.crop_jpeg().end()), cv::IMREAD_COLOR)
            .empty());
    // The face box lies in the pasted picture's upper half, where her face is.
    const wire::Box& b = start.boxes(0);
    const double cx = (b.x() + b.w() / 2) * start.frame_width(), cy = (b.y() + b.h() / 2) * start.frame_height();
    EXPECT_GT(cy, 300);
    EXPECT_LT(cy, 300 + 150);
    EXPECT_GT(cx, 60);
  }
}

TEST(FaceEvents, TheTreeMakesNoFaceEvent) {
  AnalyticsConfig config;
  config.faces = Dnn();
  auto detector = MakeFaceDetector(config.faces);
  ASSERT_TRUE(detector.ok());
  CameraAnalytics analytics({"33010201001320000012", "林地", "33010201"}, config, Detectors{std::move(detector.value()), nullptr});
  int faces = 0;
  test::ReplayClip(test::Fixture("tree.avi"), 5, 360, [&](Frame& f, int) {
    for (const wire::Alert& a : analytics.Process(f)) faces += a.kind() == wire::ALERT_KIND_FACE;
    return true;
  });
  EXPECT_EQ(faces, 0);
}

TEST(FaceDetector, UnreadableModelsAreClearErrors) {
  FaceConfig c = Dnn();
  c.model = "/nonexistent/blazeface.onnx";
  auto missing = MakeFaceDetector(c);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/blazeface.onnx"), std::string::npos);
  c.model = test::Fixture("tree.avi");  // not a model
  auto wrong = MakeFaceDetector(c);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("tree.avi"), std::string::npos) << wrong.error().message;
  FaceConfig h = Haar();
  h.model = test::Fixture("astronaut.png");
  auto bad_cascade = MakeFaceDetector(h);
  ASSERT_FALSE(bad_cascade.ok());
  EXPECT_NE(bad_cascade.error().message.find("astronaut.png"), std::string::npos);
}

}  // namespace
}  // namespace xl::analytics
