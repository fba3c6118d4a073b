#include "proto/media/split_picture.h"

#include <cstdint>
#include <vector>

#include "proto/media/h26x.h"

namespace xl::h26x {

namespace {

struct Nal {
  size_t start;    // of its start code
  size_t payload;  // first byte after the start code
  size_t end;      // the next start code, or the end
};

std::vector<Nal> NalsOf(std::string_view s) {
  std::vector<Nal> nals;
  for (size_t i = 0; i + 3 <= s.size(); ++i) {
    if (s[i] != 0 || s[i + 1] != 0 || s[i + 2] != 1) continue;
    const size_t start = (i > 0 && s[i - 1] == 0) ? i - 1 : i;  // a 4-byte start code
    if (!nals.empty()) nals.back().end = start;
    nals.push_back({start, i + 3, s.size()});
    i += 2;
  }
  return nals;
}

}  // namespace

std::optional<std::string> JoinSplitPicture(bool h265, std::string_view s) {
  const std::vector<Nal> nals = NalsOf(s);
  const size_t header = h265 ? 2 : 1;
  const Codec codec = h265 ? Codec::kH265 : Codec::kH264;
  auto is_vcl = [&](const Nal& n) {
    return n.payload < n.end && IsSliceType(codec, NalTypeOf(codec, static_cast<unsigned char>(s[n.payload])));
  };
  // A later slice of a picture: the slice header's first bit (first_mb_in_slice as ue(v) is 0
  // exactly when that bit is 1; H.265's first_slice_segment_in_pic_flag) is 0.
  auto is_later_slice = [&](const Nal& n) {
    return is_vcl(n) && n.payload + header < n.end && !(static_cast<unsigned char>(s[n.payload + header]) & 0x80);
  };
  std::vector<bool> drop(nals.size(), false);
  bool any = false;
  for (size_t i = 0; i < nals.size(); ++i) {
    if (!is_vcl(nals[i])) continue;
    size_t j = i + 1;
    while (j < nals.size() && !is_vcl(nals[j])) ++j;
    if (j > i + 1 && j < nals.size() && is_later_slice(nals[j])) {
      for (size_t k = i + 1; k < j; ++k) drop[k] = any = true;
    }
    i = j - 1;
  }
  if (!any) return std::nullopt;
  std::string out;
  out.reserve(s.size());
  if (!nals.empty()) out.append(s.substr(0, nals.front().start));
  for (size_t k = 0; k < nals.size(); ++k) {
    if (!drop[k]) out.append(s.substr(nals[k].start, nals[k].end - nals[k].start));
  }
  return out;
}

bool IsMidPictureParameterSetPacket(bool h265, uint32_t timestamp, std::string_view p, RtpPictureState& state) {
  if (p.size() < (h265 ? 3u : 2u)) return false;
  auto byte = [&](size_t i) { return static_cast<unsigned char>(p[i]); };
  const Codec codec = h265 ? Codec::kH265 : Codec::kH264;
  auto type_at = [&](size_t i) { return NalTypeOf(codec, byte(i)); };
  auto is_vcl = [&](int t) { return IsSliceType(codec, t); };
  auto is_set = [&](int t) { return IsParameterSetOrAudType(codec, t); };
  const int type = type_at(0);
  const int aggregate = h265 ? 48 : 24, fragment = h265 ? 49 : 28;
  bool slice = false, only_sets = false;
  if (type == fragment) {
    slice = is_vcl(h265 ? byte(2) & 0x3F : byte(1) & 0x1F);
  } else if (type == aggregate) {
    // Units of [16-bit size][NAL], after the 1- or 2-byte aggregation header.
    only_sets = true;
    for (size_t i = h265 ? 2 : 1; i + 2 < p.size();) {
      const size_t size = (size_t(byte(i)) << 8) | byte(i + 1);
      if (size == 0 || i + 2 + size > p.size()) return false;  // malformed: not ours to judge
      const int t = type_at(i + 2);
      slice = slice || is_vcl(t);
      only_sets = only_sets && is_set(t);
      i += 2 + size;
    }
  } else {
    slice = is_vcl(type);
    only_sets = is_set(type);
  }
  if (slice) {
    state.seen_slice = true;
    state.slice_timestamp = timestamp;
    return false;
  }
  return only_sets && state.seen_slice && timestamp == state.slice_timestamp;
}

}  // namespace xl::h26x
