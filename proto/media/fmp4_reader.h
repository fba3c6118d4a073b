// Reads back a fragmented MP4 of one H.264 or H.265 video track (what Fmp4Writer writes, and
// liberally what others write: default sample values from trex/tfhd, several samples per trun,
// base data offsets) as the Annex B access units it carries, parameter sets before every
// keyframe — the same form as the camera's live stream, so whatever plays live can play a
// recording.
//
// A file cut short (a crash while it was written) reads up to its last whole fragment;
// `whole_bytes` says where that ends. Any bytes are accepted: malformed input is an error
// value, never a read out of bounds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "proto/media/h26x.h"

namespace xl::fmp4 {

struct ReadSample {
  int64_t dts_us = 0;  // decode time from the file's time zero
  int64_t pts_us = 0;  // presentation time, same clock
  int64_t duration_us = 0;
  bool keyframe = false;
  size_t offset = 0;  // of the sample's data (length-prefixed NAL units) in the file
  uint32_t size = 0;
};

class Fmp4File {
 public:
  // Parses `bytes` (the whole file). Error when there is no readable init segment (ftyp/moov
  // with an avc1/avc3/hvc1/hev1 track); fragments after the first malformed or cut box are
  // left out. The file is not kept: AccessUnit needs it again.
  static Result<Fmp4File> Parse(std::string_view bytes);

  h26x::Codec codec() const { return codec_; }
  uint32_t width() const { return width_; }
  uint32_t height() const { return height_; }
  const std::vector<ReadSample>& samples() const { return samples_; }
  // Where the last whole fragment ends (the init segment's end when there is none).
  size_t whole_bytes() const { return whole_bytes_; }
  // The parameter sets of the track, Annex B.
  const std::string& parameter_sets() const { return parameter_sets_; }

  // Sample `index` of `bytes` (the file Parse read) as an Annex B access unit, the parameter
  // sets first when it is a keyframe. REQUIRES: index < samples().size().
  std::string AccessUnit(std::string_view bytes, size_t index) const;

 private:
  h26x::Codec codec_ = h26x::Codec::kH264;
  uint32_t width_ = 0, height_ = 0;
  uint32_t timescale_ = 90000;
  uint32_t length_size_ = 4;  // bytes of each NAL unit's length prefix
  std::string parameter_sets_;
  std::vector<ReadSample> samples_;
  size_t whole_bytes_ = 0;
};

}  // namespace xl::fmp4
