#include "analytics/face_detector.h"

#include <cmath>
#include <filesystem>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

namespace xl::analytics {

namespace {

// BlazeFace front (128×128): two output scales, 16×16 cells × 2 anchors and 8×8 × 6.
class BlazeFace : public FaceDetector {
 public:
  BlazeFace(cv::dnn::Net net, const FaceConfig& c) : net_(std::move(net)), config_(c) {
    outputs_ = net_.getUnconnectedOutLayersNames();
  }

  std::vector<Face> Detect(const cv::Mat& bgr) override {
    // Square input: pad the shorter side so faces keep their shape.
    const int side = std::max(bgr.cols, bgr.rows);
    cv::Mat square(side, side, bgr.type(), cv::Scalar::all(0));
    bgr.copyTo(square(cv::Rect(0, 0, bgr.cols, bgr.rows)));
    cv::Mat rgb, input;
    cv::resize(square, rgb, cv::Size(kInput, kInput), 0, 0, cv::INTER_AREA);
    cv::cvtColor(rgb, rgb, cv::COLOR_BGR2RGB);
    rgb.convertTo(input, CV_32F, 1.0 / 127.5, -1.0);
    const int shape[] = {1, kInput, kInput, 3};  // NHWC
    net_.setInput(cv::Mat(4, shape, CV_32F, input.data));
    std::vector<cv::Mat> out;
    net_.forward(out, outputs_);
    std::vector<cv::Rect> boxes;
    std::vector<float> scores;
    if (out.size() == 4) {
      Decode(out[0], out[2], 16, 2, side, boxes, scores);
      Decode(out[1], out[3], 8, 6, side, boxes, scores);
    }
    std::vector<int> keep;
    cv::dnn::NMSBoxes(boxes, scores, float(config_.min_score), 0.3f, keep);
    std::vector<Face> faces;
    for (int i : keep) {
      cv::Rect r = boxes[size_t(i)] & cv::Rect(0, 0, bgr.cols, bgr.rows);
      if (r.height >= config_.min_size * bgr.rows && r.area() > 0) faces.push_back({r, scores[size_t(i)]});
    }
    return faces;
  }

 private:
  static constexpr int kInput = 128;

  void Decode(const cv::Mat& score_mat, const cv::Mat& box_mat, int grid, int per_cell, int side,
              std::vector<cv::Rect>& boxes, std::vector<float>& scores) const {
    const int n = grid * grid * per_cell;
    if (int(score_mat.total()) < n || int(box_mat.total()) < n * 16) return;
    const auto* s = score_mat.ptr<float>();
    const auto* b = box_mat.ptr<float>();
    for (int i = 0; i < n; ++i) {
      const float score = 1.f / (1.f + std::exp(-std::clamp(s[i], -100.f, 100.f)));
      if (score < config_.min_score) continue;
      const int cell = i / per_cell;
      const float ax = (float(cell % grid) + 0.5f) / float(grid), ay = (float(cell / grid) + 0.5f) / float(grid);
      const float* r = b + size_t(i) * 16;
      const float cx = ax + r[0] / kInput, cy = ay + r[1] / kInput, w = r[2] / kInput, h = r[3] / kInput;
      boxes.emplace_back(int((cx - w / 2) * float(side)), int((cy - h / 2) * float(side)), int(w * float(side)),
                         int(h * float(side)));
      scores.push_back(score);
    }
  }

  cv::dnn::Net net_;
  FaceConfig config_;
  std::vector<std::string> outputs_;
};

class Cascade : public FaceDetector {
 public:
  Cascade(cv::CascadeClassifier cascade, const FaceConfig& c) : cascade_(std::move(cascade)), config_(c) {}

  std::vector<Face> Detect(const cv::Mat& bgr) override {
    cv::Mat grey;
    cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
    cv::equalizeHist(grey, grey);
    std::vector<cv::Rect> found;
    const int min_side = std::max(12, int(config_.min_size * bgr.rows));
    cascade_.detectMultiScale(grey, found, 1.1, 5, 0, cv::Size(min_side, min_side));
    std::vector<Face> faces;
    for (const cv::Rect& r : found) faces.push_back({r, 1.f});
    std::sort(faces.begin(), faces.end(), [](const Face& a, const Face& b) { return a.rect.area() > b.rect.area(); });
    return faces;
  }

 private:
  cv::CascadeClassifier cascade_;
  FaceConfig config_;
};

}  // namespace

Result<std::unique_ptr<FaceDetector>> MakeFaceDetector(const FaceConfig& config) {
  if (config.model.empty()) return Error{"faces: 'model' must name the " + config.detector + " model file"};
  if (!std::filesystem::is_regular_file(config.model))
    return Error{"faces: cannot read the model file " + config.model};
  if (config.detector == "cascade") {
    cv::CascadeClassifier cascade;
    bool ok = false;
    try {
      ok = cascade.load(config.model);
    } catch (const cv::Exception&) {}
    if (!ok || cascade.empty()) return Error{"faces: " + config.model + " is not an OpenCV cascade file"};
    return std::unique_ptr<FaceDetector>(new Cascade(std::move(cascade), config));
  }
  if (config.detector != "dnn") return Error{"faces: detector must be dnn or cascade, not " + config.detector};
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(config.model);
    if (net.empty() || net.getUnconnectedOutLayersNames().size() != 4) {
      return Error{"faces: " + config.model + " is not the BlazeFace front (128×128) ONNX model"};
    }
    return std::unique_ptr<FaceDetector>(new BlazeFace(std::move(net), config));
  } catch (const cv::Exception& e) {
    return Error{"faces: cannot load " + config.model + " as an ONNX model"};
  }
}

}  // namespace xl::analytics
