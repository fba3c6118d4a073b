#include "analytics/motion_detector.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <optional>

namespace xl::analytics {

MotionDetector::MotionDetector(MotionConfig config) : config_(std::move(config)) {}

void MotionDetector::Prepare(cv::Size input) {
  input_size_ = input;
  // Halve while the result stays at least 0.7 × frame_height high: halving with INTER_AREA
  // has OpenCV's fast vectorised path (8× faster than one arbitrary-factor step).
  halvings_ = 0;
  small_size_ = input;
  while (small_size_.height / 2 >= config_.frame_height * 0.7 && small_size_.width >= 2) {
    small_size_ = cv::Size(small_size_.width / 2, small_size_.height / 2);
    ++halvings_;
  }
  mask_ = RasterisePolygons(config_.masks, small_size_);
  unmasked_ = ~mask_;
  zone_masks_.clear();
  for (const Zone& zone : config_.zones) {
    zone_masks_.push_back(RasterisePolygons({zone.polygon}, small_size_));
  }
  background_.release();
  contrast_.assign(std::max(1, config_.contrast_history), cv::Vec2d(0, 255));
  contrast_next_ = 0;
  last_mean_ = -1;
  calibrating_ = true;
  motion_frames_ = 0;
}

void MotionDetector::Recalibrate(const cv::Mat& small) {
  small.convertTo(background_, CV_32F);
  calibrating_ = true;
  motion_frames_ = 0;
}

// The frame's 4th and 96th percentile over unmasked pixels; none for a single colour.
std::optional<cv::Vec2d> MotionDetector::ContrastRange(const cv::Mat& small) const {
  int hist[256] = {0};
  int counted = 0;
  for (int y = 0; y < small.rows; ++y) {
    const uint8_t* row = small.ptr<uint8_t>(y);
    const uint8_t* masked = mask_.ptr<uint8_t>(y);
    for (int x = 0; x < small.cols; ++x) {
      if (!masked[x]) {
        ++hist[row[x]];
        ++counted;
      }
    }
  }
  auto percentile = [&](double p) {
    int target = static_cast<int>(p * counted), sum = 0;
    for (int v = 0; v < 256; ++v) {
      sum += hist[v];
      if (sum > target) return v;
    }
    return 255;
  };
  int low = percentile(0.04), high = percentile(0.96);
  if (counted == 0 || low >= high) return std::nullopt;
  return cv::Vec2d(low, high);
}

// Stretches the range (low, high) to 0..255.
void MotionDetector::StretchContrast(cv::Mat& small, cv::Vec2d range) {
  if (range[1] - range[0] < 1) return;
  cv::Mat lut(1, 256, CV_8UC1);
  for (int v = 0; v < 256; ++v) {
    lut.at<uint8_t>(v) = cv::saturate_cast<uint8_t>((v - range[0]) * 255.0 / (range[1] - range[0]));
  }
  cv::LUT(small, lut, small);
}

MotionResult MotionDetector::Detect(const cv::Mat& grey) {
  if (grey.size() != input_size_) Prepare(grey.size());
  MotionResult result;

  cv::Mat small = grey;
  for (int i = 0; i < halvings_; ++i) {
    cv::Mat half;
    cv::resize(small, half, cv::Size(small.cols / 2, small.rows / 2), 0, 0, cv::INTER_AREA);
    small = half;
  }
  if (halvings_ == 0) small = grey.clone();  // it is changed below; never write to the caller's frame

  // A jump of mean brightness between two frames is lights or gain, not something moving.
  double mean = cv::mean(small, unmasked_)[0];
  bool brightness_jump =
      last_mean_ >= 0 && std::abs(mean - last_mean_) > config_.brightness_jump * std::max(last_mean_, 8.0);
  last_mean_ = mean;
  const bool relearn = background_.empty() || brightness_jump;  // start over from this frame
  if (config_.improve_contrast) {
    if (std::optional<cv::Vec2d> range = ContrastRange(small)) {
      if (relearn) {
        contrast_.assign(contrast_.size(), *range);  // adopt the new lighting at once
      } else {
        contrast_[contrast_next_] = *range;
        contrast_next_ = (contrast_next_ + 1) % contrast_.size();
      }
    }
    cv::Vec2d avg(0, 0);
    for (const cv::Vec2d& c : contrast_) avg += c;
    StretchContrast(small, avg / static_cast<double>(contrast_.size()));
  }
  small.setTo(0, mask_);
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
  moving.setTo(0, mask_);  // blur and dilation must not carry motion into a mask

  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(moving, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);

  const double frame_area = double(small_size_.area());
  const double scale = double(small_size_.height) / 100.0;
  const double min_area = config_.contour_area * scale * scale;
  const double to_input = double(input_size_.height) / small_size_.height;
  double total_area = 0;
  for (const auto& contour : contours) {
    double area = cv::contourArea(contour);
    total_area += area;
    if (area <= min_area) continue;
    cv::Rect r = cv::boundingRect(contour);
    MotionBox box;
    box.area = area / frame_area;
    int best = 0;
    for (size_t z = 0; z < zone_masks_.size(); ++z) {
      cv::Mat overlap;
      cv::bitwise_and(moving(r), zone_masks_[z](r), overlap);
      int n = cv::countNonZero(overlap);
      if (n > best) {
        best = n;
        box.zone = config_.zones[z].name;
      }
    }
    box.rect = cv::Rect(cvRound(r.x * to_input), cvRound(r.y * to_input), cvRound(r.width * to_input),
                        cvRound(r.height * to_input)) &
               cv::Rect(cv::Point(0, 0), input_size_);
    result.boxes.push_back(box);
  }
  result.moving_fraction = total_area / frame_area;

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
