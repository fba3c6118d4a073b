// What the live outputs need to know about an H.264/H.265 access unit: its NAL units, the
// parameter sets, and the codec configuration records (avcC/hvcC) and RFC 6381 codec
// strings that MP4 and browsers want. Nothing here decodes video.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xl::h26x {

enum class Codec { kH264, kH265 };

// The NAL units of an Annex B byte stream (start codes removed). Never reads out of bounds.
std::vector<std::string_view> SplitAnnexB(std::string_view stream);

// NAL unit type (H.264: 5 bits; H.265: 6 bits); -1 for an empty unit.
int NalType(Codec codec, std::string_view nal);
// The type in a NAL unit header's first byte.
inline int NalTypeOf(Codec codec, unsigned char header) {
  return codec == Codec::kH264 ? (header & 0x1F) : ((header >> 1) & 0x3F);
}
// Slices (VCL units: H.264 types 1-5, H.265 types 0-31).
inline bool IsSliceType(Codec codec, int type) {
  return codec == Codec::kH264 ? type >= 1 && type <= 5 : type >= 0 && type < 32;
}
// Parameter sets and access unit delimiters (H.264 7-9, H.265 32-35).
inline bool IsParameterSetOrAudType(Codec codec, int type) {
  return codec == Codec::kH264 ? type >= 7 && type <= 9 : type >= 32 && type <= 35;
}
// True for parameter sets and access unit delimiters (which MP4 keeps out of samples).
bool IsParameterSetOrAud(Codec codec, std::string_view nal);

// Parameter sets found in one access unit.
struct ParameterSets {
  std::string vps, sps, pps;  // vps only for H.265
  bool complete(Codec codec) const { return !sps.empty() && !pps.empty() && (codec == Codec::kH264 || !vps.empty()); }
};
ParameterSets FindParameterSets(Codec codec, std::string_view annexb);

// The decoder configuration record (avcC or hvcC box payload), and the codec string
// ("avc1.64001f", "hvc1.1.6.L93.B0"). nullopt when the SPS is too short to read.
std::optional<std::string> ConfigurationRecord(Codec codec, const ParameterSets& ps);
std::optional<std::string> CodecString(Codec codec, const ParameterSets& ps);

}  // namespace xl::h26x
