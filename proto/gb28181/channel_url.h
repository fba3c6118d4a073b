// A GB/T 28181 channel as a camera URL (the camera spec's `url`):
//   gb28181://<device ID>/<channel ID>[?transport=udp|tcp]
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace xl::gb28181 {

struct GbChannelAddress {
  std::string device_id;
  std::string channel_id;
  std::string transport;  // "" (the worker's media_transport), "udp" or "tcp"
};

inline bool IsGbId(std::string_view s) {
  return s.size() == 20 && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// nullopt when `url` is not of that form.
inline std::optional<GbChannelAddress> ParseGbUrl(std::string_view url) {
  constexpr std::string_view scheme = "gb28181://";
  if (url.substr(0, scheme.size()) != scheme) return std::nullopt;
  url.remove_prefix(scheme.size());
  GbChannelAddress a;
  const size_t q = url.find('?');
  if (q != std::string_view::npos) {
    const std::string_view query = url.substr(q + 1);
    if (query == "transport=udp") a.transport = "udp";
    else if (query == "transport=tcp") a.transport = "tcp";
    else return std::nullopt;
    url = url.substr(0, q);
  }
  const size_t slash = url.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  a.device_id = std::string(url.substr(0, slash));
  a.channel_id = std::string(url.substr(slash + 1));
  if (!IsGbId(a.device_id) || !IsGbId(a.channel_id)) return std::nullopt;
  return a;
}

// The URL of `a`, the inverse of ParseGbUrl.
inline std::string GbUrl(const GbChannelAddress& a) {
  return "gb28181://" + a.device_id + "/" + a.channel_id + (a.transport.empty() ? "" : "?transport=" + a.transport);
}

}  // namespace xl::gb28181
