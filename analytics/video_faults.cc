#include "analytics/video_faults.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace xl::analytics {

namespace {

constexpr int kSmallWidth = 160;

// Correlation of two same-size float images, zero-mean and unit-variance each: 1 the same
// scene (whatever the exposure), ~0 unrelated.
double Correlation(const cv::Mat& a, const cv::Mat& b) {
  cv::Scalar ma, sa, mb, sb;
  cv::meanStdDev(a, ma, sa);
  cv::meanStdDev(b, mb, sb);
  if (sa[0] < 1e-3 || sb[0] < 1e-3) return 0;
  cv::Mat za = (a - ma[0]) / sa[0], zb = (b - mb[0]) / sb[0];
  return cv::mean(za.mul(zb))[0];
}

}  // namespace

void VideoFaultDetector::Step(Fault& f, bool condition, double score, int64_t now_ms,
                              std::vector<FaultChange>& out) const {
  if (condition != f.condition || f.since_ms < 0) {
    f.condition = condition;
    f.since_ms = now_ms;
  }
  const double held_s = double(now_ms - f.since_ms) / 1000.0;
  if (!f.open && condition && held_s >= config_.raise_s) {
    f.open = true;
    out.push_back({f.kind, true, score});
  } else if (f.open && !condition && held_s >= config_.clear_s) {
    f.open = false;
    out.push_back({f.kind, false, score});
  }
}

std::vector<FaultChange> VideoFaultDetector::Observe(const Frame& frame) {
  std::vector<FaultChange> out;
  if (!config_.enabled || frame.width <= 0) return out;
  const int64_t now = frame.time_ms;
  if (start_ms_ < 0) start_ms_ = now;

  cv::Mat small;
  const int h = std::max(1, frame.height * kSmallWidth / frame.width);
  cv::resize(frame.Grey(), small, cv::Size(kSmallWidth, h), 0, 0, cv::INTER_AREA);
  cv::Scalar mean, stddev;
  cv::meanStdDev(small, mean, stddev);
  // Sharpness independent of exposure: Laplacian energy over picture energy.
  cv::Mat lap;
  cv::Laplacian(small, lap, CV_32F);
  cv::Scalar lm, ls;
  cv::meanStdDev(lap, lm, ls);
  const double sharpness = stddev[0] > 1 ? (ls[0] * ls[0]) / (stddev[0] * stddev[0]) : 0;
  const double change = previous_.empty() ? 255 : cv::mean(cv::abs(small - previous_))[0];
  previous_ = small.clone();
  // Chroma: the means of the U and V planes against neutral grey (128). In I420 each plane
  // takes a quarter of the Y plane's rows.
  const int q = frame.height / 4;
  const double u = cv::mean(frame.i420.rowRange(frame.height, frame.height + q))[0];
  const double v = cv::mean(frame.i420.rowRange(frame.height + q, frame.height + 2 * q))[0];
  const double cast = std::max(std::abs(u - 128), std::abs(v - 128));
  cv::Mat blurred;
  small.convertTo(blurred, CV_32F);
  cv::GaussianBlur(blurred, blurred, cv::Size(5, 5), 0);

  if (!learned_) {
    if (reference_.empty()) reference_ = cv::Mat::zeros(blurred.size(), CV_32F);
    ++learned_frames_;
    cv::accumulateWeighted(blurred, reference_, 1.0 / learned_frames_);
    sharpness_samples_.push_back(sharpness);
    base_mean_ += (mean[0] - base_mean_) / learned_frames_;
    if (double(now - start_ms_) / 1000.0 >= config_.learn_s && learned_frames_ >= 5) {
      std::nth_element(sharpness_samples_.begin(), sharpness_samples_.begin() + sharpness_samples_.size() / 2,
                       sharpness_samples_.end());
      base_sharpness_ = sharpness_samples_[sharpness_samples_.size() / 2];
      learned_ = true;
    }
    return out;
  }

  const double match = Correlation(blurred, reference_);
  const bool covered = stddev[0] < config_.cover_stddev && match < config_.scene_match;
  const bool blur = !covered && sharpness < config_.blur_ratio * base_sharpness_;
  const bool frozen = !covered && change < config_.frozen_diff;
  const bool dark = mean[0] < config_.dark_ratio * base_mean_;
  const bool bright = mean[0] > config_.bright_level && mean[0] > base_mean_ * 1.3;
  const bool brightness = !covered && (dark || bright || cast > config_.cast_level);
  const bool scene = !covered && !blur && match < config_.scene_match;

  Step(faults_[0], covered, stddev[0], now, out);
  Step(faults_[1], frozen, change, now, out);
  Step(faults_[2], blur, base_sharpness_ > 0 ? sharpness / base_sharpness_ : 0, now, out);
  Step(faults_[3], brightness, mean[0], now, out);
  Step(faults_[4], scene, match, now, out);

  // The baseline follows slow, healthy change (seasons, dusk), never a fault.
  bool any = false;
  for (const Fault& f : faults_) any = any || f.open || f.condition;
  if (!any) {
    cv::accumulateWeighted(blurred, reference_, 0.002);
    base_sharpness_ += (sharpness - base_sharpness_) * 0.002;
    base_mean_ += (mean[0] - base_mean_) * 0.002;
  }
  return out;
}

std::vector<wire::AlertKind> VideoFaultDetector::open() const {
  std::vector<wire::AlertKind> kinds;
  for (const Fault& f : faults_) {
    if (f.open) kinds.push_back(f.kind);
  }
  return kinds;
}

}  // namespace xl::analytics
