// A decoded frame as analytics receives it: I420, contiguous, even width and height.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>

namespace xl::analytics {

struct Frame {
  cv::Mat i420;  // (height * 3 / 2) rows × width columns, CV_8UC1: Y, then U, then V
  int width = 0;
  int height = 0;
  int64_t time_ms = 0;  // wall-clock time the frame was received

  cv::Mat Grey() const { return i420.rowRange(0, height); }  // the Y plane, no copy
  cv::Mat Bgr() const;                                       // converted copy
};

// Converts a BGR picture (cropped to even size) into a Frame.
Frame FrameFromBgr(const cv::Mat& bgr, int64_t time_ms);

}  // namespace xl::analytics
