// The adaptive motion detector: never blind, because nothing it learns is global.
//   downscale → contrast normalisation → mask → blur → per pixel, the change that local
//   lighting cannot explain (`LightingResidual`) → above `threshold` and above
//   `deviation_factor` × the pixel's usual residual → not in a busy pixel → near a candidate
//   of the previous frame (a flicker is not motion) → median, dilate → contours → boxes.
// What it learns, per pixel:
//   background — running average of the frame where nothing real moves;
//   busy share — in how much of the recent time (`busy_s`) the pixel changed from one frame
//     to the next; above `busy_share` it is suppressed (screens, water, leaves: lights
//     change once, a passer-by for a moment), the rest keeps detecting; the suppressed
//     share of the view is reported (MotionResult);
//   usual residual — how far it usually is from the background (`deviation_factor`);
//   still time — a change that stops moving for `absorb_s` (a parked car, a lamp left on)
//     becomes background.
// A change of lighting (lights, clouds, IR switching, gain) keeps the local structure of
// the picture: the background predicts the frame through a local gain and offset, so it
// is not motion whatever its area. When most of the raw change of a frame is of that kind
// (or the mean brightness jumps), the background is relearned from that frame everywhere
// except where something was moving: a subject filling the view is still a subject.
// The first `learn_s` seconds (and after a change of frame size) only learn.
#pragma once

#include "analytics/motion_detector.h"

namespace xl::analytics {

// |frame − (a·background + b)| per pixel, with a and b the least-squares gain and offset
// that map the background onto the frame over the `window`² neighbourhood around it (a
// kept in [0, 5]; `eps` regularises flat neighbourhoods towards an offset). Both CV_32F of
// one size; so is the result.
cv::Mat LightingResidual(const cv::Mat& frame, const cv::Mat& background, int window, double eps);

class AdaptiveMotion final : public MotionDetector {
 public:
  explicit AdaptiveMotion(MotionConfig config);
  MotionResult Detect(const cv::Mat& grey, int64_t time_ms) override;

 private:
  void Restart(cv::Size input);
  // Prepares the working copy of `grey`: downscaled, contrast stretched, masked, blurred.
  // Says through `jump` whether the mean brightness jumped.
  cv::Mat Prepare(const cv::Mat& grey, bool* jump);
  // When the frame's change is mostly lighting, relearns the background from `frame`
  // except around the last frame's motion; returns true when it did.
  bool RelearnLighting(const cv::Mat& frame, const cv::Mat& residual, bool jump);

  MotionConfig config_;
  MotionGeometry geometry_;
  ContrastStretch contrast_;
  BrightnessJump brightness_;
  int window_ = 15;      // lighting fit neighbourhood, ~1/6 of the working height
  cv::Mat background_;   // CV_32F
  cv::Mat deviation_;    // CV_32F, the usual residual
  cv::Mat busy_;         // CV_32F, share of recent time changing between frames
  cv::Mat still_ms_;     // CV_32F, how long a moving pixel has stayed unchanged
  cv::Mat previous_;     // CV_32F, last working frame
  cv::Mat last_moving_;  // CV_8U, last frame's moving pixels
  cv::Mat last_over_;    // CV_8U, last frame's candidates before the two-frame check
  int64_t start_ms_ = 0;
  int64_t last_ms_ = 0;
};

}  // namespace xl::analytics
