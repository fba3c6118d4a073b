#include "proto/media/ps_stream.h"

namespace xl::ps {

std::string_view FromFirstStreamMap(std::string_view bytes) {
  constexpr std::string_view kPackHeader("\0\0\1\xBA", 4), kStreamMap("\0\0\1\xBC", 4);
  const size_t map = bytes.find(kStreamMap);
  if (map == std::string_view::npos) return {};
  const size_t pack = bytes.rfind(kPackHeader, map);
  return bytes.substr(pack == std::string_view::npos ? map : pack);
}

}  // namespace xl::ps
