// GB/T 28181 settings of a worker (the worker's `gb28181` key; docs/configuration.md).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace xl::gb28181 {

struct GbConfig {
  bool enabled = false;
  std::string id = "34020000002000000001";  // the platform's SIP ID (20 digits)
  std::string realm = "3402000000";         // SIP domain (first 10 digits of the ID)
  std::string bind = "0.0.0.0";
  int port = 5060;                          // UDP and TCP
  std::string password;                     // devices' default password
  std::map<std::string, std::string> passwords;  // per device ID, overriding the default
  int keepalive_s = 60;                     // the devices' keepalive interval
  int keepalive_misses = 3;                 // missed in a row → offline
  std::string media_transport = "udp";      // live video over "udp" or "tcp" (the camera's URL may say)
  std::string media_ip;                     // the address devices send video to; "": the one that routes to them
};

// A GB/T 28181 channel as a camera URL: gb28181://<device ID>/<channel ID>[?transport=udp|tcp].
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

}  // namespace xl::gb28181
