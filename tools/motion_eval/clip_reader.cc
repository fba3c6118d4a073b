#include "tools/motion_eval/clip_reader.h"

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

namespace xl::motion_eval {

int ReadClip(const std::string& path, double fps, int height,
             const std::function<bool(const cv::Mat&, int64_t, int)>& on_frame) {
  cv::VideoCapture cap(path);
  cv::Mat current, next, scaled;
  if (!cap.isOpened() || !cap.read(current)) return 0;
  const double first_ms = cap.get(cv::CAP_PROP_POS_MSEC);
  const double source_fps = cap.get(cv::CAP_PROP_FPS);
  const double tick_ms = 1000.0 / fps;
  const double frame_ms = source_fps > 0 ? 1000.0 / source_fps : tick_ms;
  double current_ms = 0;
  int delivered = 0;
  for (;;) {
    const bool more = cap.read(next);
    const double next_ms = more ? cap.get(cv::CAP_PROP_POS_MSEC) - first_ms : current_ms + frame_ms;
    for (double tick = delivered * tick_ms; tick < next_ms; tick = delivered * tick_ms) {
      const int width = static_cast<int>(std::lround(double(current.cols) * height / current.rows));
      cv::resize(current, scaled, cv::Size(width, height), 0, 0, cv::INTER_AREA);
      if (!on_frame(scaled, std::lround(tick), delivered++)) return delivered;
    }
    if (!more) return delivered;
    std::swap(current, next);
    current_ms = next_ms;
  }
}

}  // namespace xl::motion_eval
