#include "analytics/classic_motion.h"

#include <opencv2/imgproc.hpp>

namespace xl::analytics {

ClassicMotion::ClassicMotion(MotionConfig config) : config_(std::move(config)), contrast_(config_.contrast_history) {}

void ClassicMotion::Recalibrate(const cv::Mat& small) {
  small.convertTo(background_, CV_32F);
  calibrating_ = true;
  motion_frames_ = 0;
}

MotionResult ClassicMotion::Detect(const cv::Mat& grey, int64_t /*time_ms*/) {
  if (grey.size() != geometry_.input()) {
    geometry_ = MotionGeometry(config_, grey.size());
    contrast_ = ContrastStretch(config_.contrast_history);
    brightness_ = BrightnessJump();
    background_.release();
  }
  MotionResult result;
  cv::Mat small = geometry_.Downscale(grey);
  const bool brightness_jump = brightness_.Observe(small, geometry_.unmasked(), config_.brightness_jump);
  const bool relearn = background_.empty() || brightness_jump;  // start over from this frame
  if (config_.improve_contrast) contrast_.Apply(small, geometry_.mask(), relearn);
  small.setTo(0, geometry_.mask());
  cv::GaussianBlur(small, small, cv::Size(3, 3), 1.0);
  if (relearn) {
    Recalibrate(small);
    result.calibrating = true;
    return result;
  }

  cv::Mat background8, delta, moving;
  background_.convertTo(background8, CV_8U);
  cv::absdiff(small, background8, delta);
  cv::threshold(delta, moving, config_.threshold, 255, cv::THRESH_BINARY);
  cv::dilate(moving, moving, cv::Mat());
  moving.setTo(0, geometry_.mask());  // blur and dilation must not carry motion into a mask
  geometry_.Boxes(moving, result);

  // Calibrated once the scene is quiet; a change over most of the frame starts again.
  if (result.moving_fraction < 0.05 && result.boxes.size() <= 4) calibrating_ = false;
  if (result.moving_fraction > config_.lightning_threshold) {
    Recalibrate(small);
    result.boxes.clear();
    result.calibrating = true;
    return result;
  }
  const double alpha = calibrating_ ? 0.2 : config_.frame_alpha;
  if (!result.boxes.empty()) {
    // Let lasting change (a parked car) into the background, but only once it persists.
    if (++motion_frames_ >= 10) cv::accumulateWeighted(small, background_, alpha);
  } else {
    motion_frames_ = 0;
    cv::accumulateWeighted(small, background_, alpha);
  }
  if (calibrating_) {
    result.boxes.clear();
    result.calibrating = true;
  }
  return result;
}

}  // namespace xl::analytics
