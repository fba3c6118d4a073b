#include "proto/camera/camera_url.h"

namespace xl::camera {

std::string RedactUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const size_t start = scheme + 3;
  const size_t at = url.rfind('@');
  if (at == std::string::npos || at < start) return url;
  const size_t colon = url.find(':', start);
  if (colon == std::string::npos || colon > at) return url;
  // The user name is plain: "rtsp://h:554/a@b" has a path, not credentials.
  if (url.find_first_of("/@", start) < colon) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

std::string RedactSecret(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  static constexpr std::string_view kMask = "***";
  for (size_t p = text.find(secret); p != std::string::npos; p = text.find(secret, p + kMask.size())) {
    text.replace(p, secret.size(), kMask);
  }
  return text;
}

}  // namespace xl::camera
