#include "router/live/fmp4_muxer.h"

namespace xl::router {

std::shared_ptr<const std::string> Fmp4Muxer::Fragment(const LiveFramePtr& frame) {
  if (frame == last_frame_) return last_fragment_;
  const wire::VideoFrame& v = frame->video;
  last_fragment_ = std::make_shared<const std::string>(
      writer_.Fragment({.annexb = v.data(), .pts_us = v.pts_us(), .dts_us = v.dts_us(), .keyframe = v.keyframe()}));
  last_frame_ = frame;
  return last_fragment_;
}

}  // namespace xl::router
