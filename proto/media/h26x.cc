#include "proto/media/h26x.h"

#include <cstdio>

namespace xl::h26x {

namespace {

void Put16(std::string& out, unsigned v) {
  out += char(v >> 8);
  out += char(v);
}

// The RBSP of a NAL unit: emulation prevention bytes (00 00 03) removed.
std::string Rbsp(std::string_view nal) {
  std::string out;
  int zeros = 0;
  for (unsigned char c : nal) {
    if (zeros >= 2 && c == 3) {
      zeros = 0;
      continue;
    }
    zeros = c == 0 ? zeros + 1 : 0;
    out += char(c);
  }
  return out;
}

// The general profile_tier_level of an H.265 SPS: 12 bytes after the 2-byte header and
// the byte holding vps id / max sub layers / nesting flag.
std::optional<std::string> H265GeneralPtl(const std::string& sps) {
  std::string rbsp = Rbsp(sps);
  if (rbsp.size() < 15) return std::nullopt;
  return rbsp.substr(3, 12);
}

}  // namespace

std::vector<std::string_view> SplitAnnexB(std::string_view s) {
  std::vector<std::string_view> nals;
  size_t i = 0, start = std::string_view::npos;
  while (i + 2 < s.size()) {
    if (s[i] == 0 && s[i + 1] == 0 && s[i + 2] == 1) {
      if (start != std::string_view::npos) {
        size_t end = i;
        while (end > start && s[end - 1] == 0) --end;  // trailing zero of a 4-byte start code
        if (end > start) nals.push_back(s.substr(start, end - start));
      }
      i += 3;
      start = i;
    } else {
      ++i;
    }
  }
  if (start != std::string_view::npos && start < s.size()) nals.push_back(s.substr(start));
  return nals;
}

int NalType(Codec codec, std::string_view nal) {
  return nal.empty() ? -1 : NalTypeOf(codec, static_cast<unsigned char>(nal[0]));
}

bool IsParameterSetOrAud(Codec codec, std::string_view nal) {
  return IsParameterSetOrAudType(codec, NalType(codec, nal));
}

ParameterSets FindParameterSets(Codec codec, std::string_view annexb) {
  ParameterSets ps;
  for (std::string_view nal : SplitAnnexB(annexb)) {
    const int t = NalType(codec, nal);
    if (codec == Codec::kH264) {
      if (t == 7 && ps.sps.empty()) ps.sps = nal;
      if (t == 8 && ps.pps.empty()) ps.pps = nal;
    } else {
      if (t == 32 && ps.vps.empty()) ps.vps = nal;
      if (t == 33 && ps.sps.empty()) ps.sps = nal;
      if (t == 34 && ps.pps.empty()) ps.pps = nal;
    }
  }
  return ps;
}

std::optional<std::string> ConfigurationRecord(Codec codec, const ParameterSets& ps) {
  std::string r;
  if (codec == Codec::kH264) {
    if (ps.sps.size() < 4 || ps.pps.empty() || ps.sps.size() > 0xFFFF || ps.pps.size() > 0xFFFF) return std::nullopt;
    r += char(1);              // configurationVersion
    r += ps.sps.substr(1, 3);  // profile, compatibility, level
    r += char(0xFF);           // 4-byte NAL lengths
    r += char(0xE1);           // one SPS
    Put16(r, unsigned(ps.sps.size()));
    r += ps.sps;
    r += char(1);  // one PPS
    Put16(r, unsigned(ps.pps.size()));
    r += ps.pps;
    return r;
  }
  auto ptl = H265GeneralPtl(ps.sps);
  if (!ptl || ps.vps.empty() || ps.pps.empty()) return std::nullopt;
  r += char(1);
  r += *ptl;         // profile space/tier/idc, 32 compatibility flags, 48 constraint bits, level
  Put16(r, 0xF000);  // min_spatial_segmentation_idc 0
  r += char(0xFC);   // parallelismType 0
  r += char(0xFD);   // chroma_format_idc 1 (4:2:0)
  r += char(0xF8);   // bit depth luma 8
  r += char(0xF8);   // bit depth chroma 8
  Put16(r, 0);       // avgFrameRate unknown
  r += char(0x0F);   // constantFrameRate 0, 1 temporal layer, nested, 4-byte lengths
  r += char(3);      // arrays: VPS, SPS, PPS
  for (const auto& [type, nal] : {std::pair{32, &ps.vps}, std::pair{33, &ps.sps}, std::pair{34, &ps.pps}}) {
    if (nal->size() > 0xFFFF) return std::nullopt;
    r += char(0x80 | type);  // array_completeness
    Put16(r, 1);
    Put16(r, unsigned(nal->size()));
    r += *nal;
  }
  return r;
}

std::optional<std::string> CodecString(Codec codec, const ParameterSets& ps) {
  char buf[64];
  if (codec == Codec::kH264) {
    if (ps.sps.size() < 4) return std::nullopt;
    std::snprintf(buf, sizeof buf, "avc1.%02X%02X%02X", static_cast<unsigned char>(ps.sps[1]),
                  static_cast<unsigned char>(ps.sps[2]), static_cast<unsigned char>(ps.sps[3]));
    return std::string(buf);
  }
  auto ptl = H265GeneralPtl(ps.sps);
  if (!ptl) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(ptl->data());
  const unsigned space = p[0] >> 6, tier = (p[0] >> 5) & 1, idc = p[0] & 0x1F;
  uint32_t compat = uint32_t(p[1]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 8 | p[4];
  uint32_t reversed = 0;
  for (int i = 0; i < 32; ++i) reversed |= ((compat >> i) & 1u) << (31 - i);
  std::string s = "hvc1.";
  if (space) s += char('A' + space - 1);
  std::snprintf(buf, sizeof buf, "%u.%X.%c%u", idc, reversed, tier ? 'H' : 'L', unsigned(p[11]));
  s += buf;
  int last = 5;  // constraint bytes p[5..10], trailing zero bytes left out
  while (last >= 0 && p[5 + last] == 0) --last;
  for (int i = 0; i <= last; ++i) {
    std::snprintf(buf, sizeof buf, ".%X", unsigned(p[5 + i]));
    s += buf;
  }
  return s;
}

}  // namespace xl::h26x
