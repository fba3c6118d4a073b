#include "analytics/adaptive_motion.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace xl::analytics {

cv::Mat LightingResidual(const cv::Mat& frame, const cv::Mat& background, int window, double eps) {
  const cv::Size box(window, window);
  cv::Mat mean_f, mean_b, mean_bb, mean_bf;
  cv::boxFilter(frame, mean_f, CV_32F, box, cv::Point(-1, -1), true, cv::BORDER_REFLECT);
  cv::boxFilter(background, mean_b, CV_32F, box, cv::Point(-1, -1), true, cv::BORDER_REFLECT);
  cv::boxFilter(background.mul(background), mean_bb, CV_32F, box, cv::Point(-1, -1), true, cv::BORDER_REFLECT);
  cv::boxFilter(background.mul(frame), mean_bf, CV_32F, box, cv::Point(-1, -1), true, cv::BORDER_REFLECT);
  cv::Mat var_b = mean_bb - mean_b.mul(mean_b);
  cv::Mat cov = mean_bf - mean_b.mul(mean_f);
  cv::Mat gain = cov / (var_b + eps);
  cv::max(gain, 0.0, gain);
  cv::min(gain, 5.0, gain);
  cv::Mat predicted = gain.mul(background - mean_b) + mean_f;
  cv::Mat residual;
  cv::absdiff(frame, predicted, residual);
  return residual;
}

namespace {

constexpr double kEps = 25;              // a neighbourhood with a spread under ~5 grey levels is flat
constexpr double kDeviationCap = 64;     // one frame's residual counts at most this much
constexpr double kGlobalShare = 0.3;     // raw change over this share of the view may be lighting
constexpr double kExplainedShare = 0.5;  // when lighting explains more than this of it

cv::Mat Above(const cv::Mat& value, double level) {
  cv::Mat out;
  cv::threshold(value, out, level, 255, cv::THRESH_BINARY);
  out.convertTo(out, CV_8U);
  return out;
}

}  // namespace

AdaptiveMotion::AdaptiveMotion(MotionConfig config) : config_(std::move(config)), contrast_(config_.contrast_history) {}

void AdaptiveMotion::Restart(cv::Size input) {
  geometry_ = MotionGeometry(config_, input);
  contrast_ = ContrastStretch(config_.contrast_history);
  brightness_ = BrightnessJump();
  window_ = std::max(5, geometry_.small().height / 6) | 1;
  background_.release();
}

cv::Mat AdaptiveMotion::Prepare(const cv::Mat& grey, bool* jump) {
  cv::Mat small = geometry_.Downscale(grey);
  *jump = brightness_.Observe(small, geometry_.unmasked(), config_.brightness_jump);
  if (config_.improve_contrast) contrast_.Apply(small, geometry_.mask(), *jump);
  small.setTo(0, geometry_.mask());
  cv::GaussianBlur(small, small, cv::Size(3, 3), 1.0);
  cv::Mat frame;
  small.convertTo(frame, CV_32F);
  return frame;
}

bool AdaptiveMotion::RelearnLighting(const cv::Mat& frame, const cv::Mat& residual, bool jump) {
  if (!jump) {
    cv::Mat raw;
    cv::absdiff(frame, background_, raw);
    const cv::Mat raw_changed = Above(raw, config_.threshold) & geometry_.unmasked();
    const double raw_share = double(cv::countNonZero(raw_changed)) / std::max(1, geometry_.unmasked_pixels());
    if (raw_share < kGlobalShare) return false;
    const int unexplained = cv::countNonZero(Above(residual, config_.threshold) & raw_changed);
    if (unexplained > (1 - kExplainedShare) * cv::countNonZero(raw_changed)) return false;
  }
  cv::Mat keep;
  cv::dilate(last_moving_, keep, cv::Mat(), cv::Point(-1, -1), 2);
  frame.copyTo(background_, ~keep);
  return true;
}

MotionResult AdaptiveMotion::Detect(const cv::Mat& grey, int64_t time_ms) {
  if (grey.size() != geometry_.input()) Restart(grey.size());
  MotionResult result;
  bool jump = false;
  const cv::Mat frame = Prepare(grey, &jump);
  const cv::Size size = geometry_.small();
  if (background_.empty()) {
    background_ = frame.clone();
    deviation_ = cv::Mat::zeros(size, CV_32F);
    busy_ = cv::Mat::zeros(size, CV_32F);
    still_ms_ = cv::Mat::zeros(size, CV_32F);
    last_moving_ = cv::Mat::zeros(size, CV_8U);
    last_over_ = cv::Mat::zeros(size, CV_8U);
    previous_ = frame;
    start_ms_ = last_ms_ = time_ms;
    result.calibrating = true;
    return result;
  }
  const double dt_ms = std::clamp(double(time_ms - last_ms_), 1.0, 2000.0);
  last_ms_ = time_ms;
  const bool learning = double(time_ms - start_ms_) < config_.learn_s * 1000;
  // Exponential averaging with time constant `tau_s` (shorter while learning the scene).
  auto rate = [&](double tau_s) { return 1 - std::exp(-dt_ms / 1000 / (learning ? tau_s / 8 : tau_s)); };

  // 1. The change local lighting cannot explain.
  cv::Mat residual = LightingResidual(frame, background_, window_, kEps);
  if (RelearnLighting(frame, residual, jump)) residual = LightingResidual(frame, background_, window_, kEps);

  // 2. Each pixel's usual behaviour: how often it changes from one frame to the next (a
  // screen, water, leaves: often; lights: once), and by how much it differs from the background.
  cv::Mat step;
  cv::absdiff(frame, previous_, step);
  const cv::Mat stepped = Above(step, config_.threshold) & geometry_.unmasked();
  cv::Mat stepped_f;
  stepped.convertTo(stepped_f, CV_32F, 1.0 / 255);
  cv::accumulateWeighted(stepped_f, busy_, rate(config_.busy_s));
  cv::Mat capped = cv::min(residual, kDeviationCap);
  cv::accumulateWeighted(capped, deviation_, rate(config_.busy_s));
  cv::Mat suppressed = Above(busy_, config_.busy_share);
  cv::dilate(suppressed, suppressed, cv::Mat());
  suppressed.setTo(0, geometry_.mask());

  const cv::Mat over = Above(residual, config_.threshold) & geometry_.unmasked();
  // A pixel's usual change is its neighbourhood's: a branch swings into its neighbours' place.
  cv::Mat usual;
  cv::dilate(deviation_, usual, cv::Mat());
  cv::Mat moving = over & Above(residual - config_.deviation_factor * usual, 0) & ~suppressed;
  // Something moving is there in two frames running, near where it was; a flicker is not.
  cv::Mat near_last;
  cv::dilate(last_over_, near_last, cv::Mat(), cv::Point(-1, -1), 2);
  last_over_ = moving.clone();
  moving &= near_last;

  // 3. A change that has stopped moving becomes background after absorb_s.
  const cv::Mat steady = ~Above(step, config_.threshold / 2.0) & moving;
  still_ms_ += dt_ms;
  still_ms_.setTo(0, ~steady);
  const cv::Mat absorbed = Above(still_ms_, config_.absorb_s * 1000);
  frame.copyTo(background_, absorbed);
  still_ms_.setTo(0, absorbed);
  moving.setTo(0, absorbed);

  cv::medianBlur(moving, moving, 3);  // lone pixels are noise, rain, compression
  cv::dilate(moving, moving, cv::Mat());
  moving.setTo(0, geometry_.mask());  // dilation must not carry motion into a mask
  geometry_.Boxes(moving, result);
  result.suppressed_fraction =
      double(cv::countNonZero(suppressed & geometry_.unmasked())) / std::max(1, geometry_.unmasked_pixels());

  // 4. The background learns where nothing real moves (busy pixels included: their average).
  cv::accumulateWeighted(frame, background_, learning ? 0.2 : config_.frame_alpha, ~moving);
  previous_ = frame;
  last_moving_ = moving;
  if (learning) {
    result.boxes.clear();
    result.calibrating = true;
  }
  return result;
}

}  // namespace xl::analytics
