// Object detection on CPU: the CenterNet model deploy/models.sh converts from TensorFlow.js,
// checked against TensorFlow.js's own outputs, then on the real clips.
#include "analytics/object_detector.h"

#include "analytics/motion_detector.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <opencv2/imgproc.hpp>

#include "tests/support/media.h"

namespace xl::analytics {
namespace {

ObjectConfig Config(std::vector<std::string> alert_on = {"person"}) {
  ObjectConfig c;
  c.enabled = true;
  c.model = test::Fixture("centernet.onnx");
  c.alert_on = std::move(alert_on);
  return c;
}

std::vector<char> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

TEST(ObjectDetector, ConvertedModelGivesTensorFlowJsOutputs) {
  // deploy/models.sh ran the TF.js graph with TensorFlow.js on a picture of vtest.avi.
  const std::string dir = test::Fixture("centernet-reference");
  const std::vector<char> rgb = ReadFile(dir + "/input.rgb");
  const std::vector<char> heat_bytes = ReadFile(dir + "/tower_0_keypoints.f32");
  const std::vector<char> box_bytes = ReadFile(dir + "/tower_0_wh.f32");
  constexpr int kSize = 512, kCells = 128;
  ASSERT_EQ(rgb.size(), size_t(kSize * kSize * 3)) << dir;
  ASSERT_EQ(heat_bytes.size(), size_t(kCells * kCells * 80 * 4));
  ASSERT_EQ(box_bytes.size(), size_t(kCells * kCells * 4 * 4));
  const float* heat_ref = reinterpret_cast<const float*>(heat_bytes.data());  // NHWC
  const float* box_ref = reinterpret_cast<const float*>(box_bytes.data());

  cv::dnn::Net net = cv::dnn::readNetFromONNX(dir + "/centernet-512.onnx");  // converted at TF.js's size
  const int shape[4] = {1, 3, kSize, kSize};
  cv::Mat blob(4, shape, CV_32F);
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < kSize * kSize; ++i) blob.ptr<float>()[c * kSize * kSize + i] = uint8_t(rgb[size_t(i * 3 + c)]);
  }
  net.setInput(blob);
  std::vector<cv::Mat> outs;
  net.forward(outs, std::vector<cv::String>{"heatmap", "boxes"});
  double heat_diff = 0, heat_max = 0, box_diff = 0;
  for (int c = 0; c < 80; ++c) {
    for (int i = 0; i < kCells * kCells; ++i) {
      const double ours = outs[0].ptr<float>()[c * kCells * kCells + i], theirs = heat_ref[i * 80 + c];
      heat_diff = std::max(heat_diff, std::abs(ours - theirs));
      heat_max = std::max(heat_max, theirs);
    }
  }
  for (int c = 0; c < 4; ++c) {
    for (int i = 0; i < kCells * kCells; ++i) {
      box_diff =
          std::max(box_diff, std::abs(double(outs[1].ptr<float>()[c * kCells * kCells + i]) - box_ref[i * 4 + c]));
    }
  }
  EXPECT_GT(heat_max, 0.5) << "the reference picture has no confident object: no test of anything";
  EXPECT_LT(heat_diff, 1e-4) << "class heatmaps differ from TensorFlow.js";
  EXPECT_LT(box_diff, 0.05) << "box sizes (input pixels) differ from TensorFlow.js";
}

// The frame of vtest.avi at `second`, as analytics sees it (360 px high).
cv::Mat VtestFrame(double second) {
  cv::Mat bgr;
  test::ReplayClip(test::Fixture("vtest.avi"), 5, 360, [&](Frame& f, int i) {
    if (i < second * 5) return true;
    bgr = f.Bgr();
    return false;
  });
  return bgr;
}

TEST(ObjectDetector, FindsThePedestriansOfVtestInCropsAroundThem) {
  ObjectConfig whole_config = Config({"person", "car", "truck"});
  whole_config.model = test::Fixture("centernet-reference/centernet-512.onnx");  // the whole street at 512
  auto whole_detector = ObjectDetector::Load(whole_config);
  ASSERT_TRUE(whole_detector.ok()) << whole_detector.error().message;
  const cv::Mat frame = VtestFrame(10);
  ASSERT_FALSE(frame.empty());
  const std::vector<DetectedObject> whole = (*whole_detector)->DetectWhole(frame);
  int people = 0;
  for (const DetectedObject& o : whole) people += o.label == "person";
  EXPECT_GE(people, 3) << "the street has several people at 10 s";

  // Around one of them only (the default crop size): that person is found in the crop,
  // placed in frame pixels.
  auto detector = ObjectDetector::Load(Config());
  ASSERT_TRUE(detector.ok()) << detector.error().message;
  const auto first = std::find_if(whole.begin(), whole.end(), [](const auto& o) { return o.label == "person"; });
  ASSERT_NE(first, whole.end());
  const std::vector<DetectedObject> near = (*detector)->Detect(frame, {first->rect});
  ASSERT_FALSE(near.empty()) << "nobody around " << first->rect;
  EXPECT_EQ(near.front().label, "person");
  const double overlap = (near.front().rect & first->rect).area();
  EXPECT_GT(overlap, 0.5 * first->rect.area()) << "the crop's box is not where the person is";
}

TEST(ObjectDetector, SeesNoPersonWhereTheTreeSways) {
  // Crops around what the classic detector takes for motion in the swaying tree (leaves,
  // branches) hold no person.
  auto detector = ObjectDetector::Load(Config());
  ASSERT_TRUE(detector.ok()) << detector.error().message;
  MotionConfig classic;
  classic.algorithm = "classic";
  auto motion = MakeMotionDetector(classic);
  int checked = 0;
  test::ReplayClip(test::Fixture("tree.avi"), 5, 360, [&](Frame& f, int i) {
    if (f.time_ms >= 23000) return false;  // the hand comes in at about 23.5 s
    const MotionResult m = motion->Detect(f.Grey(), f.time_ms);
    if (i % 5 || m.boxes.empty()) return true;
    std::vector<cv::Rect> regions;
    for (const MotionBox& b : m.boxes) regions.push_back(b.rect);
    ++checked;
    for (const DetectedObject& o : (*detector)->Detect(f.Bgr(), regions)) {
      ADD_FAILURE() << "a " << o.label << " at " << f.time_ms << " ms: " << o.rect << " score " << o.score;
    }
    return true;
  });
  EXPECT_GE(checked, 5) << "classic saw no motion in the tree: no test of anything";
}

TEST(ObjectDetector, ABadModelFileIsRefusedWithItsName) {
  ObjectConfig missing = Config();
  missing.model = "/nonexistent/centernet.onnx";
  auto a = ObjectDetector::Load(missing);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("/nonexistent/centernet.onnx"), std::string::npos) << a.error().message;

  const std::string corrupt_path = testing::TempDir() + "/corrupt.onnx";
  {
    std::vector<char> bytes = ReadFile(test::Fixture("centernet.onnx"));
    bytes.resize(bytes.size() / 3);  // cut short, as an interrupted copy leaves it
    std::ofstream(corrupt_path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
  }
  ObjectConfig corrupt = Config();
  corrupt.model = corrupt_path;
  auto b = ObjectDetector::Load(corrupt);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find(corrupt_path), std::string::npos) << b.error().message;

  // A good ONNX model of another kind: BlazeFace, whose outputs are others.
  ObjectConfig other = Config();
  other.model = test::Fixture("blazeface_front_128.onnx");
  auto c = ObjectDetector::Load(other);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("blazeface_front_128.onnx"), std::string::npos) << c.error().message;

  // The right output names in the wrong shapes: both are the input passed through
  // (written by Debian's python3-onnx, which deploy/setup.sh installs for the converter).
  const std::string wrong_path = testing::TempDir() + "/wrong_shape.onnx";
  const std::string script =
      "import onnx\nfrom onnx import helper, TensorProto as T\n"
      "g = helper.make_graph([helper.make_node('Identity', ['images'], ['heatmap']), "
      "helper.make_node('Relu', ['images'], ['boxes'])], 'wrong', "
      "[helper.make_tensor_value_info('images', T.FLOAT, [1, 3, 320, 320])], "
      "[helper.make_tensor_value_info('heatmap', T.FLOAT, [1, 3, 320, 320]), "
      "helper.make_tensor_value_info('boxes', T.FLOAT, [1, 3, 320, 320])])\n"
      "m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 11)])\nm.ir_version = 6\n"
      "onnx.save(m, '" +
      wrong_path + "')\n";
  const std::string command = "/usr/bin/python3 -c \"" + script + "\"";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  ObjectConfig wrong = Config();
  wrong.model = wrong_path;
  auto d = ObjectDetector::Load(wrong);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find(wrong_path), std::string::npos) << d.error().message;
  EXPECT_NE(d.error().message.find("heatmap"), std::string::npos) << d.error().message;
}

TEST(ObjectDetector, CropsAroundMergeOverlapsAndStayInside) {
  const cv::Size frame(640, 360);
  auto crops = CropsAround({{10, 10, 20, 40}, {25, 15, 20, 40}, {600, 300, 30, 50}}, frame, 96, 3);
  ASSERT_EQ(crops.size(), 2u);  // the first two overlap once squared
  for (const cv::Rect& c : crops) {
    EXPECT_EQ(c & cv::Rect(cv::Point(0, 0), frame), c);
    EXPECT_EQ(c.width, c.height);
    EXPECT_GE(c.width, 96);
  }
  EXPECT_EQ(CropsAround({{1, 1, 5, 5}, {200, 1, 5, 5}, {400, 1, 5, 5}}, frame, 96, 2).size(), 2u);
}

}  // namespace
}  // namespace xl::analytics
