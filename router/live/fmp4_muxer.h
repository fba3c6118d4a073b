// The relay's fMP4 for browsers: one Fmp4Writer per watched camera (proto/media/fmp4_writer.h),
// each frame's fragment made once however many viewers ask for it. Loop thread only.
#pragma once

#include <memory>
#include <string>

#include "proto/media/fmp4_writer.h"
#include "router/live/live_relay.h"

namespace xl::router {

class Fmp4Muxer {
 public:
  // `codec` is "h264" or "h265".
  explicit Fmp4Muxer(const std::string& codec) : writer_(codec == "h265" ? h26x::Codec::kH265 : h26x::Codec::kH264) {}

  // Learns the parameter sets from a keyframe; true once the init segment is known.
  bool Learn(const LiveFrame& keyframe) {
    return writer_.Learn(keyframe.video.data(), keyframe.video.width(), keyframe.video.height());
  }
  bool ready() const { return writer_.ready(); }
  // REQUIRES: ready().
  const std::string& init_segment() const { return writer_.init_segment(); }
  const std::string& codec_string() const { return writer_.codec_string(); }
  std::string mime() const { return writer_.mime(); }

  // The fragment carrying `frame`; computed once per frame however many viewers ask (the
  // last one is kept). REQUIRES: ready().
  std::shared_ptr<const std::string> Fragment(const LiveFramePtr& frame);

 private:
  fmp4::Fmp4Writer writer_;
  LiveFramePtr last_frame_;
  std::shared_ptr<const std::string> last_fragment_;
};

}  // namespace xl::router
