// Motion detection on a grey frame, after Frigate's "improved" motion detector:
//   downscale → contrast normalisation over recent frames → mask → blur
//   → difference against a running-average background → threshold → dilate
//   → contours above a minimum area → boxes, each placed in the zone it overlaps most.
// A sudden global change (lights, IR switching, camera gain) is not motion: when most of
// the frame changes at once, or the mean brightness jumps, the detector recalibrates
// (adopts the new frame as background) and reports nothing until the scene is stable.
#pragma once

#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analytics/region_masks.h"

namespace xl::analytics {

struct MotionBox {
  cv::Rect rect;     // in pixels of the frame passed to Detect()
  double area = 0;   // contour area as a fraction of the frame
  std::string zone;  // zone with the largest overlap, empty when none
};

struct MotionResult {
  std::vector<MotionBox> boxes;  // empty while calibrating
  double moving_fraction = 0;    // total moving area / frame area
  bool calibrating = false;
};

class MotionDetector {
 public:
  explicit MotionDetector(MotionConfig config);

  // `grey` is one 8-bit frame; successive calls must pass frames of the same size.
  MotionResult Detect(const cv::Mat& grey);

 private:
  void Prepare(cv::Size input);
  void Recalibrate(const cv::Mat& small);
  std::optional<cv::Vec2d> ContrastRange(const cv::Mat& small) const;
  static void StretchContrast(cv::Mat& small, cv::Vec2d range);

  MotionConfig config_;
  cv::Size input_size_;
  cv::Size small_size_;
  int halvings_ = 0;
  cv::Mat mask_;      // 255 where motion is ignored
  cv::Mat unmasked_;  // its complement
  std::vector<cv::Mat> zone_masks_;
  cv::Mat background_;               // CV_32F running average
  std::vector<cv::Vec2d> contrast_;  // (low, high) of recent frames, ring buffer
  size_t contrast_next_ = 0;
  double last_mean_ = -1;
  bool calibrating_ = true;
  int motion_frames_ = 0;  // consecutive frames with motion
};

}  // namespace xl::analytics
