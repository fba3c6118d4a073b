#include "proto/media/ps_stream.h"

#include <algorithm>

#include "proto/media/ps_muxer.h"

namespace xl::ps {

std::string_view FromFirstStreamMap(std::string_view bytes) {
  constexpr std::string_view kPackHeader("\0\0\1\xBA", 4), kStreamMap("\0\0\1\xBC", 4);
  const size_t map = bytes.find(kStreamMap);
  if (map == std::string_view::npos) return {};
  const size_t pack = bytes.rfind(kPackHeader, map);
  return bytes.substr(pack == std::string_view::npos ? map : pack);
}

namespace {

// "h264" or "h265" when the PES payload `es` holds an H.264 SPS or an H.265 VPS, else "".
std::string KeyframeCodec(std::string_view es) {
  for (size_t at = es.find(std::string_view("\0\0\1", 3)); at != std::string_view::npos && at + 3 < es.size();
       at = es.find(std::string_view("\0\0\1", 3), at + 3)) {
    const auto nal = static_cast<unsigned char>(es[at + 3]);
    // H.264: type 7 with a reference priority. H.265: type 32, layer 0, temporal ID 0 — the
    // two bytes 40 01 (an H.264 slice such as 41 9A would otherwise read as type 32).
    if ((nal & 0x1f) == 7 && (nal & 0x60) != 0) return "h264";
    if (nal == 0x40 && at + 4 < es.size() && es[at + 4] == 0x01) return "h265";
  }
  return "";
}

}  // namespace

std::string FromFirstKeyframeWithGuessedMap(std::string_view bytes) {
  constexpr std::string_view kPackHeader("\0\0\1\xBA", 4), kVideoPes("\0\0\1\xE0", 4);
  for (size_t pack = bytes.find(kPackHeader); pack != std::string_view::npos;
       pack = bytes.find(kPackHeader, pack + 4)) {
    if (pack + 14 > bytes.size()) return "";
    const size_t header_end = pack + 14 + (static_cast<unsigned char>(bytes[pack + 13]) & 0x07);  // + stuffing
    const size_t pes = bytes.find(kVideoPes, header_end);
    const size_t next_pack = bytes.find(kPackHeader, pack + 4);
    if (pes == std::string_view::npos || (next_pack != std::string_view::npos && pes > next_pack)) continue;
    if (pes + 9 > bytes.size()) return "";
    const size_t es = pes + 9 + static_cast<unsigned char>(bytes[pes + 8]);
    const size_t pes_end =
        pes + 6 +
        (size_t(static_cast<unsigned char>(bytes[pes + 4])) << 8 | static_cast<unsigned char>(bytes[pes + 5]));
    if (es >= bytes.size()) return "";
    if (es >= pes_end) continue;
    const std::string codec = KeyframeCodec(bytes.substr(es, std::min(bytes.size(), pes_end) - es));
    if (codec.empty()) continue;
    return std::string(bytes.substr(pack, header_end - pack)) + StreamMap(codec) +
           std::string(bytes.substr(header_end));
  }
  return "";
}

}  // namespace xl::ps
