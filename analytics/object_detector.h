// Objects on CPU: people and vehicles, by MobileNetV3-CenterNet (80 COCO classes; from npm,
// converted for cv::dnn by deploy/models.sh) run only on the regions motion found.
// The model takes [1, 3, S, S] RGB 0..255 (S, a multiple of 32, declared in the file: 320
// as deploy/models.sh converts it) and gives "heatmap" [1, 80, S/4, S/4] (class centres,
// sigmoid) and "boxes" [1, 4, S/4, S/4] (distances from a centre to the box's left, top,
// right and bottom, in input pixels). Not thread-safe.
#pragma once

#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/camera/analytics_settings.h"

namespace xl::analytics {

struct DetectedObject {
  std::string label;  // COCO name: "person", "car", …
  float score = 0;
  cv::Rect rect;  // in pixels of the frame given to Detect()
};

class ObjectDetector {
 public:
  // Loads config.model and checks it on a blank input: the file must exist, declare an input
  // [1, 3, S, S], load in cv::dnn and give the two outputs in the shapes above. The error
  // names the file and what is wrong.
  static Result<std::unique_ptr<ObjectDetector>> Load(const ObjectConfig& config);

  // Objects of config.alert_on labels scoring at least config.min_score in `bgr`, looked for
  // in at most config.max_regions square crops around `regions` (motion boxes, frame
  // pixels). Best first; overlapping boxes of one label suppressed.
  std::vector<DetectedObject> Detect(const cv::Mat& bgr, const std::vector<cv::Rect>& regions);

  // The same on the whole picture (scaled to the model's input square).
  std::vector<DetectedObject> DetectWhole(const cv::Mat& bgr);

 private:
  ObjectDetector(cv::dnn::Net net, int size, ObjectConfig config);
  // Runs the model on `crops` (each a square part of `bgr`) and maps what it finds back.
  std::vector<DetectedObject> Run(const cv::Mat& bgr, const std::vector<cv::Rect>& crops);

  cv::dnn::Net net_;
  int size_;  // the model's input side
  ObjectConfig config_;
  std::vector<int> classes_;  // class indices of config_.alert_on
};

// Squares around `regions` (largest first; overlapping squares merged), at least
// `min_side` pixels, inside `frame`, at most `max` of them.
std::vector<cv::Rect> CropsAround(std::vector<cv::Rect> regions, cv::Size frame, int min_side, int max);

}  // namespace xl::analytics
