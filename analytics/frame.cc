#include "analytics/frame.h"

#include <opencv2/imgproc.hpp>

namespace xl::analytics {

cv::Mat Frame::Bgr() const {
  cv::Mat bgr;
  cv::cvtColor(i420, bgr, cv::COLOR_YUV2BGR_I420);
  return bgr;
}

Frame FrameFromBgr(const cv::Mat& bgr, int64_t time_ms) {
  Frame f;
  f.width = bgr.cols & ~1;
  f.height = bgr.rows & ~1;
  f.time_ms = time_ms;
  cv::cvtColor(bgr(cv::Rect(0, 0, f.width, f.height)), f.i420, cv::COLOR_BGR2YUV_I420);
  return f;
}

}  // namespace xl::analytics
