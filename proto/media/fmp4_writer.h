// Fragmented MP4 (ISO BMFF) of one H.264 or H.265 video track, the camera's own bitstream
// without re-encoding: one init segment (ftyp + moov with the avcC/hvcC record), then one
// fragment (moof + mdat) per access unit — what browsers' Media Source Extensions play and
// what a crash-safe recording is written as. Any bytes are accepted; nothing here decodes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proto/media/h26x.h"

namespace xl::fmp4 {

// One access unit: Annex B byte-stream (start codes), times in microseconds (-1: unknown).
struct Sample {
  std::string_view annexb;
  int64_t pts_us = -1;
  int64_t dts_us = -1;
  bool keyframe = false;
  // How long it shows; -1: unknown, the interval before it is taken (a live stream does not
  // know the next frame's time yet). A player treats a jump of more than twice a frame's
  // duration as a break and drops frames until the next keyframe, so give it when known.
  int64_t duration_us = -1;
};

class Fmp4Writer {
 public:
  explicit Fmp4Writer(h26x::Codec codec);

  // Learns the parameter sets from a keyframe's access unit; true once the init segment is
  // known (later calls change nothing).
  bool Learn(std::string_view keyframe, uint32_t width, uint32_t height);
  bool ready() const { return init_.has_value(); }
  // REQUIRES: ready().
  const std::string& init_segment() const { return *init_; }
  const std::string& codec_string() const { return codec_string_; }  // e.g. avc1.64001f
  std::string mime() const { return "video/mp4; codecs=\"" + codec_string_ + "\""; }

  // The fragment carrying `sample` (parameter sets stay in the init segment); fragments are
  // numbered in call order. REQUIRES: ready().
  std::string Fragment(const Sample& sample);

 private:
  h26x::Codec codec_;
  std::optional<std::string> init_;
  std::string codec_string_;
  uint32_t width_ = 0, height_ = 0;
  uint32_t sequence_ = 0;
  int64_t base_us_ = -1;  // decode time of the first fragment
  int64_t last_dts_us_ = -1;
  uint32_t last_duration_ = 3000;  // in 90 kHz ticks
};

}  // namespace xl::fmp4
