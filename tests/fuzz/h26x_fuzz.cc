// libFuzzer target: whatever bytes a camera sends as an access unit, the live outputs'
// H.264/H.265 handling (NAL splitting, parameter sets, avcC/hvcC, codec strings, fMP4
// fragments) must neither crash nor read out of bounds; nor may the worker's joining of split
// pictures (ingest/split_picture.h), on byte-streams and on RTP payloads.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "ingest/split_picture.h"
#include "router/live/fmp4_muxer.h"
#include "router/live/h26x.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool h265 = data[0] & 1;
  const std::string au(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto codec = h265 ? xl::router::h26x::Codec::kH265 : xl::router::h26x::Codec::kH264;
  for (std::string_view nal : xl::router::h26x::SplitAnnexB(au)) {
    if (nal.empty() || nal.data() < au.data() || nal.data() + nal.size() > au.data() + au.size()) __builtin_trap();
  }
  auto ps = xl::router::h26x::FindParameterSets(codec, au);
  xl::router::h26x::ConfigurationRecord(codec, ps);
  xl::router::h26x::CodecString(codec, ps);
  xl::router::Fmp4Muxer mux(h265 ? "h265" : "h264");
  auto frame = std::make_shared<xl::router::LiveFrame>();
  frame->video.set_data(au);
  frame->video.set_keyframe(true);
  frame->video.set_width(640);
  frame->video.set_height(360);
  if (mux.Learn(*frame)) mux.Fragment(frame);

  if (auto joined = xl::ingest::JoinSplitPicture(h265, au)) {
    if (joined->size() >= au.size()) __builtin_trap();  // it only takes away
  }
  xl::ingest::RtpPictureState state;
  for (size_t at = 0; at + 4 <= au.size(); at += 64) {
    xl::ingest::IsMidPictureParameterSetPacket(h265, uint32_t(at / 128), std::string_view(au).substr(at, 64), state);
  }
  return 0;
}
