#include "analytics/motion_geometry.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <optional>

#include "analytics/region_masks.h"

namespace xl::analytics {

MotionGeometry::MotionGeometry(const MotionConfig& config, cv::Size input) : input_(input), small_(input) {
  while (small_.height / 2 >= config.frame_height * 0.7 && small_.width >= 2) {
    small_ = cv::Size(small_.width / 2, small_.height / 2);
    ++halvings_;
  }
  mask_ = RasterisePolygons(config.masks, small_);
  unmasked_ = ~mask_;
  unmasked_pixels_ = cv::countNonZero(unmasked_);
  for (const Zone& zone : config.zones) {
    zone_masks_.push_back(RasterisePolygons({zone.polygon}, small_));
    zone_names_.push_back(zone.name);
  }
  const double scale = double(small_.height) / 100.0;
  min_area_ = config.contour_area * scale * scale;
}

cv::Mat MotionGeometry::Downscale(const cv::Mat& grey) const {
  if (halvings_ == 0) return grey.clone();
  cv::Mat small = grey;
  for (int i = 0; i < halvings_; ++i) {
    cv::Mat half;
    cv::resize(small, half, cv::Size(small.cols / 2, small.rows / 2), 0, 0, cv::INTER_AREA);
    small = half;
  }
  return small;
}

std::vector<cv::Rect> MotionRects(const MotionResult& result) {
  std::vector<cv::Rect> rects;
  for (const MotionBox& b : result.boxes) rects.push_back(b.rect);
  return rects;
}

void MotionGeometry::Boxes(const cv::Mat& moving, MotionResult& result) const {
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(moving, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  const double frame_area = double(small_.area());
  const double to_input = double(input_.height) / small_.height;
  double total_area = 0;
  for (const auto& contour : contours) {
    const double area = cv::contourArea(contour);
    total_area += area;
    if (area <= min_area_) continue;
    const cv::Rect r = cv::boundingRect(contour);
    MotionBox box;
    box.area = area / frame_area;
    int best = 0;
    for (size_t z = 0; z < zone_masks_.size(); ++z) {
      cv::Mat overlap;
      cv::bitwise_and(moving(r), zone_masks_[z](r), overlap);
      const int n = cv::countNonZero(overlap);
      if (n > best) {
        best = n;
        box.zone = zone_names_[z];
      }
    }
    box.rect = cv::Rect(cvRound(r.x * to_input), cvRound(r.y * to_input), cvRound(r.width * to_input),
                        cvRound(r.height * to_input)) &
               cv::Rect(cv::Point(0, 0), input_);
    result.boxes.push_back(box);
  }
  result.moving_fraction = total_area / frame_area;
}

namespace {

// The 4th and 96th percentile of `small` over pixels where `mask` is 0; none for one colour.
std::optional<cv::Vec2d> Percentiles(const cv::Mat& small, const cv::Mat& mask) {
  int hist[256] = {0};
  int counted = 0;
  for (int y = 0; y < small.rows; ++y) {
    const uint8_t* row = small.ptr<uint8_t>(y);
    const uint8_t* masked = mask.ptr<uint8_t>(y);
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
  const int low = percentile(0.04), high = percentile(0.96);
  if (counted == 0 || low >= high) return std::nullopt;
  return cv::Vec2d(low, high);
}

}  // namespace

void ContrastStretch::Apply(cv::Mat& small, const cv::Mat& mask, bool adopt) {
  if (std::optional<cv::Vec2d> range = Percentiles(small, mask)) {
    if (adopt || ranges_.empty()) {
      ranges_.assign(size_t(history_), *range);
      next_ = 0;
    } else {
      ranges_[next_] = *range;
      next_ = (next_ + 1) % ranges_.size();
    }
  }
  if (ranges_.empty()) return;
  cv::Vec2d avg(0, 0);
  for (const cv::Vec2d& r : ranges_) avg += r;
  avg /= double(ranges_.size());
  if (avg[1] - avg[0] < 1) return;
  cv::Mat lut(1, 256, CV_8UC1);
  for (int v = 0; v < 256; ++v) {
    lut.at<uint8_t>(v) = cv::saturate_cast<uint8_t>((v - avg[0]) * 255.0 / (avg[1] - avg[0]));
  }
  cv::LUT(small, lut, small);
}

bool BrightnessJump::Observe(const cv::Mat& small, const cv::Mat& unmasked, double jump) {
  const double mean = cv::mean(small, unmasked)[0];
  const bool jumped = last_mean_ >= 0 && std::abs(mean - last_mean_) > jump * std::max(last_mean_, 8.0);
  last_mean_ = mean;
  return jumped;
}

}  // namespace xl::analytics
