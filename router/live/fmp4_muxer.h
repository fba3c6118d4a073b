// Fragmented MP4 (ISO BMFF) for browsers' Media Source Extensions: one init segment (ftyp +
// moov with the avcC/hvcC record), then one fragment (moof + mdat) per access unit, so a
// viewer is never more than a frame behind. H.264 and H.265, the camera's own bitstream.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "router/live/h26x.h"
#include "router/live/live_relay.h"

namespace xl::router {

class Fmp4Muxer {
 public:
  // `codec` is "h264" or "h265".
  explicit Fmp4Muxer(const std::string& codec);

  // Learns the parameter sets from a keyframe; true once the init segment is known.
  bool Learn(const LiveFrame& keyframe);
  bool ready() const { return init_.has_value(); }
  // Requires ready().
  const std::string& init_segment() const { return *init_; }
  const std::string& codec_string() const { return codec_string_; }  // e.g. avc1.64001f
  std::string mime() const { return "video/mp4; codecs=\"" + codec_string_ + "\""; }

  // The fragment carrying `frame`; computed once per frame however many viewers ask (the
  // last one is kept). Requires ready().
  std::shared_ptr<const std::string> Fragment(const LiveFramePtr& frame);

 private:
  h26x::Codec codec_;
  std::optional<std::string> init_;
  std::string codec_string_;
  uint32_t width_ = 0, height_ = 0;
  uint32_t sequence_ = 0;
  int64_t base_us_ = -1;          // decode time of the first fragment
  int64_t last_dts_us_ = -1;
  uint32_t last_duration_ = 3000;  // in 90 kHz ticks
  LiveFramePtr last_frame_;
  std::shared_ptr<const std::string> last_fragment_;
};

}  // namespace xl::router
