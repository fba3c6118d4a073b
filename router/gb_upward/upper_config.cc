#include "router/gb_upward/upper_config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "proto/gb28181/channel_url.h"

namespace xl::router {

namespace {

template <typename T>
bool Read(const YAML::Node& map, const char* key, T* out, std::string* error) {
  const YAML::Node v = map[key];
  if (!v) return true;
  try {
    *out = v.as<T>();
    return true;
  } catch (const YAML::Exception&) {
    *error = std::string(key) + ": not a valid value";
    return false;
  }
}

}  // namespace

Result<GbUpperConfig> ParseGbUpperConfig(const std::string& yaml, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return Error{origin + ": line " + std::to_string(e.mark.line + 1) + ": " + e.msg};
  }
  if (!root.IsMap()) return Error{origin + ": not a YAML map of the gb_upper keys"};
  static const std::set<std::string> kKeys = {
      "platform_id",  "name",          "upper_id", "upper_domain", "upper_host", "upper_port",  "transport",
      "password",     "bind",          "port",     "media_ip",     "expires_s",  "keepalive_s", "keepalive_misses",
      "catalog_page", "alarms_always", "max_calls"};
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>("");
    if (!kKeys.count(key)) return Error{origin + ": unknown key '" + key + "'"};
  }
  GbUpperConfig c;
  std::string e;
  const bool read =
      Read(root, "platform_id", &c.platform_id, &e) && Read(root, "name", &c.name, &e) &&
      Read(root, "upper_id", &c.upper_id, &e) && Read(root, "upper_domain", &c.upper_domain, &e) &&
      Read(root, "upper_host", &c.upper_host, &e) && Read(root, "upper_port", &c.upper_port, &e) &&
      Read(root, "transport", &c.transport, &e) && Read(root, "password", &c.password, &e) &&
      Read(root, "bind", &c.bind, &e) && Read(root, "port", &c.port, &e) && Read(root, "media_ip", &c.media_ip, &e) &&
      Read(root, "expires_s", &c.expires_s, &e) && Read(root, "keepalive_s", &c.keepalive_s, &e) &&
      Read(root, "keepalive_misses", &c.keepalive_misses, &e) && Read(root, "catalog_page", &c.catalog_page, &e) &&
      Read(root, "alarms_always", &c.alarms_always, &e) && Read(root, "max_calls", &c.max_calls, &e);
  if (!read) return Error{origin + ": " + e};
  auto bad = [&](const std::string& what) { return Error{origin + ": " + what}; };
  if (!gb28181::IsGbId(c.platform_id)) return bad("platform_id must be 20 digits (our SIP ID at the upper platform)");
  if (!gb28181::IsGbId(c.upper_id)) return bad("upper_id must be 20 digits (the upper platform's SIP ID)");
  if (c.upper_domain.empty()) c.upper_domain = c.upper_id.substr(0, 10);
  if (c.upper_host.empty()) return bad("upper_host is required (the upper platform's address)");
  if (c.password.empty()) return bad("password is required (ours at the upper platform)");
  if (c.transport != "udp" && c.transport != "tcp") return bad("transport must be udp or tcp");
  if (c.upper_port < 1 || c.upper_port > 65535) return bad("upper_port must be 1-65535");
  if (c.port < 0 || c.port > 65535) return bad("port must be 0-65535");
  if (c.expires_s < 60 || c.expires_s > 86400) return bad("expires_s must be 60-86400");
  if (c.keepalive_s < 1 || c.keepalive_s > 3600) return bad("keepalive_s must be 1-3600");
  if (c.keepalive_misses < 1 || c.keepalive_misses > 100) return bad("keepalive_misses must be 1-100");
  if (c.catalog_page < 1 || c.catalog_page > 100) return bad("catalog_page must be 1-100");
  if (c.max_calls < 1 || c.max_calls > 10000) return bad("max_calls must be 1-10000");
  return c;
}

Result<GbUpperConfig> LoadGbUpperConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{path + ": cannot be read"};
  std::stringstream text;
  text << in.rdbuf();
  return ParseGbUpperConfig(text.str(), path);
}

}  // namespace xl::router
