#include "tests/support/media.h"

#include <cmath>
#include <cstdlib>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

namespace xl::test {

std::string Fixture(const std::string& name) {
  const char* dir = std::getenv("XL_FIXTURES");
  return std::string(dir && *dir ? dir : XL_FIXTURES_DIR) + "/" + name;
}

int ReplayClip(const std::string& path, double fps, int height,
               const std::function<bool(analytics::Frame&, int)>& on_frame) {
  cv::VideoCapture cap(path);
  cv::Mat current, next, scaled;
  if (!cap.isOpened() || !cap.read(current)) return 0;
  // Like GStreamer's videorate: at every tick of `fps`, the newest frame shown by then.
  // Clips may leave out repeated frames (tree.avi does), so go by timestamps.
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
      int width = static_cast<int>(std::lround(double(current.cols) * height / current.rows));
      cv::resize(current, scaled, cv::Size(width, height), 0, 0, cv::INTER_AREA);
      analytics::Frame frame = analytics::FrameFromBgr(scaled, std::lround(tick));
      if (!on_frame(frame, delivered++)) return delivered;
    }
    if (!more) return delivered;
    std::swap(current, next);
    current_ms = next_ms;
  }
}

}  // namespace xl::test
