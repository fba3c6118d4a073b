// Joining pictures a sender split with parameter sets (proto/media/split_picture.h).
#include <gtest/gtest.h>

#include "proto/media/split_picture.h"

namespace xl::h26x {
namespace {

const std::string kStart("\0\0\0\1", 4);
// H.264 NAL units: header byte, then a first payload byte whose top bit says whether
// first_mb_in_slice is 0 (1) or not (0) for slices.
const std::string kAud = kStart + std::string("\x09\xf0", 2), kSps = kStart + std::string("\x67\x64\x00\x1f", 4);
const std::string kPps = kStart + std::string("\x68\xee\x3c", 3), kSei = kStart + std::string("\x06\x05\x01", 3);
const std::string kIdrFirst = kStart + std::string("\x65\x88\x84\x10", 4);
const std::string kIdrLater = kStart + std::string("\x65\x00\x36\x21", 4);
const std::string kPFirst = kStart + std::string("\x41\x9a\x02", 3),
                  kPLater = kStart + std::string("\x41\x00\x6c\x11", 4);

TEST(SplitPicture, ParameterSetsBetweenTheSlicesOfAKeyframeGo) {
  auto joined = JoinSplitPicture(false, kAud + kSps + kPps + kIdrFirst + kSps + kPps + kIdrLater);
  ASSERT_TRUE(joined.has_value());
  EXPECT_EQ(*joined, kAud + kSps + kPps + kIdrFirst + kIdrLater);
  EXPECT_FALSE(JoinSplitPicture(false, *joined).has_value()) << "whole now";
  EXPECT_EQ(JoinSplitPicture(false, kPFirst + kSei + kPLater).value(), kPFirst + kPLater);
}

TEST(SplitPicture, WholePicturesAndTheStartOfTheNextStayAsTheyAre) {
  EXPECT_FALSE(JoinSplitPicture(false, kAud + kSps + kPps + kIdrFirst + kIdrLater).has_value());
  EXPECT_FALSE(JoinSplitPicture(false, kAud + kPFirst + kPLater).has_value());
  // The next access unit in the same buffer keeps its parameter sets: its slice is a first one.
  EXPECT_FALSE(JoinSplitPicture(false, kPFirst + kPLater + kAud + kSps + kPps + kIdrFirst).has_value());
  EXPECT_FALSE(JoinSplitPicture(false, "").has_value());
  EXPECT_FALSE(JoinSplitPicture(false, std::string("\0\0\1", 3)).has_value());
  EXPECT_FALSE(JoinSplitPicture(false, "no start codes at all").has_value());
}

TEST(SplitPicture, H265) {
  // VPS 32, SPS 33, PPS 34 (two header bytes); IDR_W_RADL 19; first_slice_segment_in_pic_flag
  // is the slice header's first bit.
  const std::string vps = kStart + std::string("\x40\x01\x0c", 3), sps = kStart + std::string("\x42\x01\x01", 3),
                    pps = kStart + std::string("\x44\x01\xc1", 3);
  const std::string first = kStart + std::string("\x26\x01\xaf\x10", 4),
                    later = kStart + std::string("\x26\x01\x20\x55", 4);
  EXPECT_EQ(JoinSplitPicture(true, vps + sps + pps + first + vps + sps + pps + later).value(),
            vps + sps + pps + first + later);
  EXPECT_FALSE(JoinSplitPicture(true, vps + sps + pps + first + later).has_value());
}

TEST(SplitPicture, OnRtpParameterSetsAfterAPicturesFirstSliceAreDropped) {
  RtpPictureState state;
  auto drop = [&](uint32_t ts, const std::string& payload) {
    return IsMidPictureParameterSetPacket(false, ts, payload, state);
  };
  const std::string sps("\x67\x64\x00\x1f", 4), pps("\x68\xee\x3c", 3);
  const std::string fu_start("\x7c\x85\x88", 3), fu_end("\x7c\x45\x10", 3);  // FU-A of an IDR slice
  const std::string stap = std::string("\x78", 1) + std::string("\x00\x04", 2) + sps + std::string("\x00\x03", 2) + pps;
  EXPECT_FALSE(drop(100, sps)) << "a keyframe's own parameter sets, before its slices";
  EXPECT_FALSE(drop(100, pps));
  EXPECT_FALSE(drop(100, fu_start));
  EXPECT_FALSE(drop(100, fu_end));
  EXPECT_TRUE(drop(100, sps)) << "between the slices of the same picture";
  EXPECT_TRUE(drop(100, pps));
  EXPECT_TRUE(drop(100, stap)) << "aggregated too";
  EXPECT_FALSE(drop(100, fu_start)) << "slices always pass";
  EXPECT_FALSE(drop(200, sps)) << "the next picture's";
  EXPECT_FALSE(drop(200, std::string("\x06\x05", 2))) << "SEI is not touched";
  EXPECT_FALSE(drop(200, "")) << "nor nothing";
}

}  // namespace
}  // namespace xl::h26x
