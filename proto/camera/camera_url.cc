#include "proto/camera/camera_url.h"

namespace xl::camera {

std::string RedactUrl(const std::string& url) {
  size_t s = url.find("://");
  if (s == std::string::npos) return url;
  size_t at = url.find('@', s);
  size_t slash = url.find('/', s + 3);
  if (at == std::string::npos || (slash != std::string::npos && at > slash)) return url;
  size_t colon = url.find(':', s + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

}  // namespace xl::camera
