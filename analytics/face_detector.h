// Face detection on CPU. Two detectors behind one interface:
//   dnn      BlazeFace (MediaPipe's short-range model, ONNX) through cv::dnn: 128×128 RGB
//            input scaled to [-1, 1], 896 anchors decoded, overlapping boxes suppressed.
//   cascade  an OpenCV Haar/LBP cascade (opencv-data), the fallback where no model fits.
// A detector is built once per camera; Detect() is not thread-safe.
#pragma once

#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/camera/analytics_settings.h"

namespace xl::analytics {

struct Face {
  cv::Rect rect;  // in pixels of the image given to Detect()
  float score;
};

class FaceDetector {
 public:
  virtual ~FaceDetector() = default;
  // Faces in `bgr` (any size), best first.
  virtual std::vector<Face> Detect(const cv::Mat& bgr) = 0;
};

// Loads the configured detector; an unreadable or invalid model is an Error naming the file.
Result<std::unique_ptr<FaceDetector>> MakeFaceDetector(const FaceConfig& config);

}  // namespace xl::analytics
