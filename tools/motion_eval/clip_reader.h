// A video file read as analytics sees it: sampled at a fixed rate, scaled to a height.
#pragma once

#include <cstdint>
#include <functional>
#include <opencv2/core.hpp>
#include <string>

namespace xl::motion_eval {

// Decodes `path` and calls `on_frame` with BGR pictures at `fps` (at every tick, the newest
// frame shown by then, like GStreamer's videorate; clips that leave out repeated frames are
// followed by their timestamps), `height` pixels high, times from 0 ms. `on_frame` returns
// false to stop. Returns the number of frames delivered; 0 when the file cannot be read.
int ReadClip(const std::string& path, double fps, int height,
             const std::function<bool(const cv::Mat& bgr, int64_t time_ms, int index)>& on_frame);

}  // namespace xl::motion_eval
