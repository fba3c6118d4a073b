// The classic motion detector, after Frigate's "improved" one:
//   downscale → contrast normalisation over recent frames → mask → blur
//   → difference against a running-average background → threshold → dilate
//   → contours above a minimum area → boxes.
// A sudden global change (lights, IR switching, camera gain) is not motion: when most of the
// frame changes at once, or the mean brightness jumps, it recalibrates (adopts the new frame
// as background) and reports nothing until under 5 % of the frame moves in at most 4 boxes.
// Its weakness: a scene where something always changes (a screen, water, leaves) never
// calibrates, and a subject filling the frame is taken for a global change. Kept as
// `motion.algorithm: classic` to measure the adaptive detector against.
#pragma once

#include "analytics/motion_detector.h"

namespace xl::analytics {

class ClassicMotion final : public MotionDetector {
 public:
  explicit ClassicMotion(MotionConfig config);
  MotionResult Detect(const cv::Mat& grey, int64_t time_ms) override;

 private:
  void Recalibrate(const cv::Mat& small);

  MotionConfig config_;
  MotionGeometry geometry_;
  ContrastStretch contrast_;
  BrightnessJump brightness_;
  cv::Mat background_;  // CV_32F running average
  bool calibrating_ = true;
  int motion_frames_ = 0;  // consecutive frames with motion
};

}  // namespace xl::analytics
