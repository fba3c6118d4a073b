// What both motion detectors share about the frame: the size they work at (the input halved
// as often as fits), masks and zones rasterised at that size, the copy of a grey frame they
// work on, and turning a map of moving pixels into boxes in the caller's pixels.
#pragma once

#include <algorithm>
#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "proto/camera/analytics_settings.h"

namespace xl::analytics {

struct MotionBox {
  cv::Rect rect;     // in pixels of the frame passed to Detect()
  double area = 0;   // contour area as a fraction of the frame
  std::string zone;  // zone with the largest overlap, empty when none
};

struct MotionResult {
  std::vector<MotionBox> boxes;    // empty while calibrating
  double moving_fraction = 0;      // total moving area / frame area
  bool calibrating = false;        // still learning the scene: nothing is reported
  double suppressed_fraction = 0;  // share of the unmasked view where motion is suppressed
                                   // because it changes all the time (adaptive only)
};

// The boxes of `result`, as rectangles in the caller's pixels.
std::vector<cv::Rect> MotionRects(const MotionResult& result);

// A detector that runs at most `per_second` times a second, last run at `last_ms` (-1:
// never), is due again at `now_ms`.
inline bool DueAt(int64_t last_ms, int64_t now_ms, double per_second) {
  return last_ms < 0 || double(now_ms - last_ms) >= 1000.0 / per_second;
}

class MotionGeometry {
 public:
  MotionGeometry() = default;
  // Halves `input` while the result stays at least 0.7 × config.frame_height high: halving
  // with INTER_AREA has OpenCV's fast vectorised path (8× faster than one arbitrary step).
  MotionGeometry(const MotionConfig& config, cv::Size input);

  cv::Size input() const { return input_; }
  cv::Size small() const { return small_; }
  const cv::Mat& mask() const { return mask_; }          // 255 where motion is ignored
  const cv::Mat& unmasked() const { return unmasked_; }  // its complement
  int unmasked_pixels() const { return unmasked_pixels_; }

  // `grey` (input size) reduced to the working size, always a new matrix (never the caller's).
  cv::Mat Downscale(const cv::Mat& grey) const;

  // Fills result.boxes (contours of `moving` — CV_8U at the working size — above the
  // configured minimum area, each in the zone it overlaps most) and result.moving_fraction.
  void Boxes(const cv::Mat& moving, MotionResult& result) const;

 private:
  double min_area_ = 0;  // pixels at the working size
  std::vector<std::string> zone_names_;
  cv::Size input_;
  cv::Size small_;
  int halvings_ = 0;
  cv::Mat mask_;
  cv::Mat unmasked_;
  int unmasked_pixels_ = 0;
  std::vector<cv::Mat> zone_masks_;
};

// Contrast normalisation over recent frames: the 4th to 96th percentile of the unmasked
// pixels, averaged over `history` frames, is stretched to 0..255.
class ContrastStretch {
 public:
  explicit ContrastStretch(int history = 50) : history_(std::max(1, history)) {}

  // Stretches `small` in place. `adopt` takes the range of this frame at once (new lighting).
  void Apply(cv::Mat& small, const cv::Mat& mask, bool adopt);
  void Reset() { ranges_.clear(); }

 private:
  int history_;
  std::vector<cv::Vec2d> ranges_;  // ring buffer of (low, high)
  size_t next_ = 0;
};

// Mean of `small` over the unmasked pixels; a jump of it between two frames (more than
// `jump` of the previous) is lights or gain, not something moving.
class BrightnessJump {
 public:
  bool Observe(const cv::Mat& small, const cv::Mat& unmasked, double jump);

 private:
  double last_mean_ = -1;
};

}  // namespace xl::analytics
