// libFuzzer target: whatever bytes a camera sends as an access unit, the H.264/H.265 handling
// (NAL splitting, parameter sets, avcC/hvcC, codec strings, fMP4 fragments) must neither
// crash nor read out of bounds; nor may the joining of split pictures
// (proto/media/split_picture.h), on byte-streams and on RTP payloads.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "proto/media/fmp4_writer.h"
#include "proto/media/h26x.h"
#include "proto/media/split_picture.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool h265 = data[0] & 1;
  const std::string au(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto codec = h265 ? xl::h26x::Codec::kH265 : xl::h26x::Codec::kH264;
  for (std::string_view nal : xl::h26x::SplitAnnexB(au)) {
    if (nal.empty() || nal.data() < au.data() || nal.data() + nal.size() > au.data() + au.size()) __builtin_trap();
  }
  auto ps = xl::h26x::FindParameterSets(codec, au);
  xl::h26x::ConfigurationRecord(codec, ps);
  xl::h26x::CodecString(codec, ps);
  xl::fmp4::Fmp4Writer mux(codec);
  if (mux.Learn(au, 640, 360)) mux.Fragment({.annexb = au, .pts_us = 40000, .dts_us = 0, .keyframe = true});

  if (auto joined = xl::h26x::JoinSplitPicture(h265, au)) {
    if (joined->size() >= au.size()) __builtin_trap();  // it only takes away
  }
  xl::h26x::RtpPictureState state;
  for (size_t at = 0; at + 4 <= au.size(); at += 64) {
    xl::h26x::IsMidPictureParameterSetPacket(h265, uint32_t(at / 128), std::string_view(au).substr(at, 64), state);
  }
  return 0;
}
