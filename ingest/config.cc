#include "ingest/config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "xl/camera_id.h"

namespace xl::ingest {
namespace {

// Thrown inside the parser only; ParseWorkerConfig turns it into an Error.
struct ConfigFault {
  int line;
  std::string reason;
};

[[noreturn]] void Fail(const YAML::Node& at, const std::string& reason) {
  throw ConfigFault{at.Mark().line + 1, reason};
}

void RequireMap(const YAML::Node& node, const std::string& what) {
  if (!node.IsMap()) Fail(node, what + " must be a mapping of key: value");
}

// Refuses any key of `node` not in `known`.
void CheckKeys(const YAML::Node& node, const std::string& what, const std::set<std::string>& known) {
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (known.count(key)) continue;
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
    Fail(kv.first, "unknown key '" + key + "' in " + what + " (known: " + list + ")");
  }
}

template <typename T>
T Scalar(const YAML::Node& node, const std::string& key, const char* type) {
  if (!node.IsScalar()) Fail(node, "'" + key + "' must be " + type);
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    Fail(node, "'" + key + "' must be " + type + ", not '" + node.Scalar() + "'");
  }
}

template <typename T>
T Number(const YAML::Node& node, const std::string& key, T min, T max) {
  T v = Scalar<T>(node, key, "a number");
  if (v < min || v > max) {
    std::ostringstream os;
    os << "'" << key << "' must be between " << min << " and " << max << ", not " << node.Scalar();
    Fail(node, os.str());
  }
  return v;
}

std::string Text(const YAML::Node& node, const std::string& key) {
  return Scalar<std::string>(node, key, "text");
}

bool Flag(const YAML::Node& node, const std::string& key) {
  return Scalar<bool>(node, key, "true or false");
}

analytics::Polygon ParsePolygon(const YAML::Node& node, const std::string& what) {
  if (!node.IsSequence() || node.size() < 3) Fail(node, what + " must be a list of at least 3 [x, y] points");
  analytics::Polygon poly;
  for (const YAML::Node& pt : node) {
    if (!pt.IsSequence() || pt.size() != 2) Fail(pt, what + ": each point must be [x, y]");
    float x = Number<float>(pt[0], what + " x", 0, 1), y = Number<float>(pt[1], what + " y", 0, 1);
    poly.emplace_back(x, y);
  }
  return poly;
}

void ParseMotion(const YAML::Node& node, analytics::AnalyticsConfig& a) {
  RequireMap(node, "motion");
  CheckKeys(node, "motion", {"enabled", "threshold", "contour_area", "frame_alpha", "frame_height",
                             "lightning_threshold", "brightness_jump", "improve_contrast", "contrast_history"});
  analytics::MotionConfig& m = a.motion;
  for (const auto& kv : node) {
    const std::string k = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (k == "enabled") a.motion_enabled = Flag(v, k);
    else if (k == "threshold") m.threshold = Number(v, k, 1, 255);
    else if (k == "contour_area") m.contour_area = Number(v, k, 0.0, 10000.0);
    else if (k == "frame_alpha") m.frame_alpha = Number(v, k, 0.0001, 1.0);
    else if (k == "frame_height") m.frame_height = Number(v, k, 20, 1080);
    else if (k == "lightning_threshold") m.lightning_threshold = Number(v, k, 0.05, 1.0);
    else if (k == "brightness_jump") m.brightness_jump = Number(v, k, 0.01, 10.0);
    else if (k == "improve_contrast") m.improve_contrast = Flag(v, k);
    else if (k == "contrast_history") m.contrast_history = Number(v, k, 1, 1000);
  }
}

void ParseEvents(const YAML::Node& node, analytics::EventConfig& e) {
  RequireMap(node, "events");
  CheckKeys(node, "events", {"min_frames", "update_interval_s", "quiet_s"});
  for (const auto& kv : node) {
    const std::string k = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (k == "min_frames") e.min_frames = Number(v, k, 1, 100);
    else if (k == "update_interval_s") e.update_interval_ms = int64_t(Number(v, k, 0.0, 3600.0) * 1000);
    else if (k == "quiet_s") e.quiet_ms = int64_t(Number(v, k, 0.0, 3600.0) * 1000);
  }
}

void ParseFaces(const YAML::Node& node, analytics::FaceConfig& f) {
  RequireMap(node, "faces");
  CheckKeys(node, "faces", {"enabled", "detector", "model", "fps", "min_score", "min_size"});
  for (const auto& kv : node) {
    const std::string k = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (k == "enabled") f.enabled = Flag(v, k);
    else if (k == "detector") {
      f.detector = Text(v, k);
      if (f.detector != "dnn" && f.detector != "cascade") Fail(v, "'detector' must be dnn or cascade");
    } else if (k == "model") f.model = Text(v, k);
    else if (k == "fps") f.fps = Number(v, k, 0.1, 30.0);
    else if (k == "min_score") f.min_score = Number(v, k, 0.0, 1.0);
    else if (k == "min_size") f.min_size = Number(v, k, 0.0, 1.0);
  }
  if (f.enabled && f.model.empty()) Fail(node, "faces: 'model' is required when faces are enabled");
}

void ParseFaults(const YAML::Node& node, analytics::FaultConfig& f) {
  RequireMap(node, "faults");
  CheckKeys(node, "faults", {"enabled", "learn_s", "raise_s", "clear_s", "frozen_diff", "cover_stddev", "blur_ratio",
                             "dark_ratio", "bright_level", "cast_level", "scene_match"});
  for (const auto& kv : node) {
    const std::string k = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (k == "enabled") f.enabled = Flag(v, k);
    else if (k == "learn_s") f.learn_s = Number(v, k, 1.0, 3600.0);
    else if (k == "raise_s") f.raise_s = Number(v, k, 0.0, 3600.0);
    else if (k == "clear_s") f.clear_s = Number(v, k, 0.0, 3600.0);
    else if (k == "frozen_diff") f.frozen_diff = Number(v, k, 0.0, 50.0);
    else if (k == "cover_stddev") f.cover_stddev = Number(v, k, 0.0, 100.0);
    else if (k == "blur_ratio") f.blur_ratio = Number(v, k, 0.0, 1.0);
    else if (k == "dark_ratio") f.dark_ratio = Number(v, k, 0.0, 1.0);
    else if (k == "bright_level") f.bright_level = Number(v, k, 0.0, 255.0);
    else if (k == "cast_level") f.cast_level = Number(v, k, 0.0, 128.0);
    else if (k == "scene_match") f.scene_match = Number(v, k, -1.0, 1.0);
  }
}

void ParseClips(const YAML::Node& node, ClipConfig& c) {
  RequireMap(node, "clips");
  CheckKeys(node, "clips", {"enabled", "pre_s", "post_s", "max_s"});
  for (const auto& kv : node) {
    const std::string k = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (k == "enabled") c.enabled = Flag(v, k);
    else if (k == "pre_s") c.pre_ms = int64_t(Number(v, k, 0.0, 60.0) * 1000);
    else if (k == "post_s") c.post_ms = int64_t(Number(v, k, 0.0, 60.0) * 1000);
    else if (k == "max_s") c.max_ms = int64_t(Number(v, k, 1.0, 3600.0) * 1000);
  }
}

// The worker's clips folder and its retention limits.
void ParseClipStore(const YAML::Node& node, ClipStoreConfig& c) {
  RequireMap(node, "worker clips");
  CheckKeys(node, "worker clips", {"dir", "max_size_mb", "max_age_days"});
  for (const auto& kv : node) {
    const std::string k = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (k == "dir") c.dir = Text(v, k);
    else if (k == "max_size_mb") c.max_bytes = int64_t(Number(v, k, 1.0, 1e9) * 1e6);
    else if (k == "max_age_days") c.max_age_ms = int64_t(Number(v, k, 0.001, 36500.0) * 86400000.0);
  }
}

// The worker's GB/T 28181 platform endpoint.
void ParseGb28181(const YAML::Node& node, gb28181::GbConfig& g) {
  RequireMap(node, "gb28181");
  CheckKeys(node, "gb28181", {"enabled", "id", "realm", "bind", "port", "password", "passwords", "keepalive_s",
                              "keepalive_misses", "media_transport", "media_ip"});
  for (const auto& kv : node) {
    const std::string k = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (k == "enabled") g.enabled = Flag(v, k);
    else if (k == "id") {
      g.id = Text(v, k);
      if (g.id.size() != 20 || g.id.find_first_not_of("0123456789") != std::string::npos) {
        Fail(v, "'id' must be a 20-digit GB28181 code");
      }
    } else if (k == "realm") g.realm = Text(v, k);
    else if (k == "bind") g.bind = Text(v, k);
    else if (k == "port") g.port = Number(v, k, 0, 65535);
    else if (k == "password") g.password = Text(v, k);
    else if (k == "passwords") {
      RequireMap(v, "passwords");
      for (const auto& p : v) g.passwords[p.first.as<std::string>()] = Text(p.second, "password");
    } else if (k == "keepalive_s") g.keepalive_s = Number(v, k, 1, 3600);
    else if (k == "keepalive_misses") g.keepalive_misses = Number(v, k, 1, 100);
    else if (k == "media_transport") {
      g.media_transport = Text(v, k);
      if (g.media_transport != "udp" && g.media_transport != "tcp") Fail(v, "'media_transport' must be udp or tcp");
    } else if (k == "media_ip") g.media_ip = Text(v, k);
  }
  if (g.enabled && g.password.empty() && g.passwords.empty()) {
    Fail(node, "gb28181: a 'password' (or per-device 'passwords') is required when enabled");
  }
}

const std::set<std::string> kSettingKeys = {"analysis", "watchdog_s", "decode_threads", "latency_ms", "always_on",
                                            "motion", "events", "faults", "faces", "jpeg_quality", "clips"};

// Applies one key that may appear both under `defaults` and in a camera. False if not one.
bool ApplySetting(const std::string& k, const YAML::Node& v, CameraConfig& c) {
  if (k == "analysis") {
    RequireMap(v, "analysis");
    CheckKeys(v, "analysis", {"height", "fps"});
    if (v["height"]) {
      c.analysis_height = Number(v["height"], "height", 32, 2160);
      if (c.analysis_height % 2) Fail(v["height"], "'height' must be even");
    }
    if (v["fps"]) c.analysis_fps = Number(v["fps"], "fps", 0.1, 60.0);
  } else if (k == "always_on") {
    c.always_on = Flag(v, k);
  } else if (k == "watchdog_s") {
    c.watchdog_s = Number(v, k, 1, 3600);
  } else if (k == "decode_threads") {
    c.decode_threads = Number(v, k, 0, 64);
  } else if (k == "latency_ms") {
    c.latency_ms = Number(v, k, 0, 10000);
  } else if (k == "motion") {
    ParseMotion(v, c.analytics);
  } else if (k == "events") {
    ParseEvents(v, c.analytics.events);
  } else if (k == "faces") {
    ParseFaces(v, c.analytics.faces);
  } else if (k == "faults") {
    ParseFaults(v, c.analytics.faults);
  } else if (k == "clips") {
    ParseClips(v, c.clips);
  } else if (k == "jpeg_quality") {
    c.analytics.jpeg_quality = Number(v, k, 1, 100);
  } else {
    return false;
  }
  return true;
}

// Splits "rtsp://user:pass@host:port/path" into the URL without credentials and the two parts.
void ParseUrl(const YAML::Node& node, CameraConfig& c) {
  std::string url = Text(node, "url");
  if (url.rfind("gb28181:", 0) == 0) {
    if (!gb28181::ParseGbUrl(url)) {
      Fail(node, "'url' must be gb28181://<device ID>/<channel ID>[?transport=udp|tcp] with 20-digit IDs (got '" + url + "')");
    }
    c.url = url;
    return;
  }
  const std::string scheme_end = "://";
  size_t s = url.find(scheme_end);
  std::string scheme = s == std::string::npos ? "" : url.substr(0, s);
  if (scheme != "rtsp" && scheme != "rtsps") {
    Fail(node, "'url' must start with rtsp://, rtsps:// or gb28181:// (got '" + RedactUrl(url) + "')");
  }
  size_t host_start = s + scheme_end.size();
  size_t path_start = url.find('/', host_start);
  std::string authority = url.substr(host_start, path_start == std::string::npos ? std::string::npos
                                                                                  : path_start - host_start);
  size_t at = authority.rfind('@');
  if (at != std::string::npos) {
    std::string userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t colon = userinfo.find(':');
    c.username = userinfo.substr(0, colon);
    if (colon != std::string::npos) c.password = userinfo.substr(colon + 1);
  }
  if (authority.empty() || authority.front() == ':' ||
      authority.find_first_of(" \t\"<>\\^`{|}") != std::string::npos) {
    Fail(node, "'url' has no valid host (got '" + RedactUrl(url) + "')");
  }
  c.url = scheme + "://" + authority + (path_start == std::string::npos ? "/" : url.substr(path_start));
}

const std::set<std::string> kProfileKeys = [] {
  std::set<std::string> keys = kSettingKeys;
  keys.insert({"zones", "masks"});
  return keys;
}();

// The camera's settings as one flow-style YAML mapping: `defaults` overlaid with the
// camera's own setting keys (see CameraConfig::profile).
std::string ProfileOf(const YAML::Node& node, const YAML::Node& defaults) {
  YAML::Node profile(YAML::NodeType::Map);
  if (defaults && defaults.IsMap()) {
    for (const auto& kv : defaults) profile[kv.first.as<std::string>()] = kv.second;
  }
  for (const auto& kv : node) {
    const std::string k = kv.first.as<std::string>();
    if (kProfileKeys.count(k)) profile[k] = kv.second;
  }
  if (profile.size() == 0) return "";
  YAML::Emitter out;
  out << YAML::Flow << profile;
  return out.c_str();
}

CameraConfig ParseCamera(const YAML::Node& node, const CameraConfig& defaults, const YAML::Node& defaults_node) {
  RequireMap(node, "a camera");
  std::set<std::string> keys = {"id", "name", "region", "url", "username", "password", "enabled", "zones", "masks"};
  keys.insert(kSettingKeys.begin(), kSettingKeys.end());
  CheckKeys(node, "camera", keys);
  CameraConfig c = defaults;
  c.line = node.Mark().line + 1;
  for (const char* required : {"id", "name", "url"}) {
    if (!node[required]) Fail(node, std::string("camera is missing '") + required + "'");
  }
  std::string username, password;
  for (const auto& kv : node) {
    const std::string k = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (ApplySetting(k, v, c)) continue;
    if (k == "id") {
      c.id = Text(v, k);
      if (Status s = ValidateCameraId(c.id); !s.ok()) Fail(v, s.message());
    } else if (k == "name") {
      c.name = Text(v, k);
      if (c.name.empty()) Fail(v, "'name' must not be empty");
    } else if (k == "region") {
      c.region = Text(v, k);
      if (Status s = ValidateRegionCode(c.region); !s.ok()) Fail(v, s.message());
    } else if (k == "url") {
      ParseUrl(v, c);
    } else if (k == "username") {
      username = Text(v, k);
    } else if (k == "password") {
      password = Text(v, k);
    } else if (k == "enabled") {
      c.enabled = Flag(v, k);
    } else if (k == "zones") {
      RequireMap(v, "zones");
      for (const auto& z : v) {
        c.analytics.motion.zones.push_back({z.first.as<std::string>(), ParsePolygon(z.second, "zone")});
      }
    } else if (k == "masks") {
      if (!v.IsSequence()) Fail(v, "'masks' must be a list of polygons");
      for (const YAML::Node& m : v) c.analytics.motion.masks.push_back(ParsePolygon(m, "mask"));
    }
  }
  if (!username.empty() || !password.empty()) {
    if (!c.username.empty()) Fail(node["url"], "credentials are given both in 'url' and as username/password");
    c.username = username;
    c.password = password;
  }
  if (c.region.empty()) c.region = RegionFromCameraId(c.id);
  c.profile = ProfileOf(node, defaults_node);
  return c;
}

WorkerConfig Parse(const YAML::Node& root) {
  WorkerConfig w;
  if (root.IsNull()) Fail(root, "the file is empty");
  RequireMap(root, "the file");
  CheckKeys(root, "the file", {"worker", "defaults", "cameras"});
  if (const YAML::Node node = root["worker"]) {
    RequireMap(node, "worker");
    CheckKeys(node, "worker",
              {"id", "router", "control", "media", "status_interval_s", "metrics_port", "http_url", "clips", "gb28181"});
    if (node["clips"]) ParseClipStore(node["clips"], w.clips);
    if (node["gb28181"]) ParseGb28181(node["gb28181"], w.gb28181);
    if (node["id"]) w.id = Text(node["id"], "id");
    if (node["router"]) {
      w.router = Text(node["router"], "router");
      if (!w.router.starts_with("tcp://") && !w.router.starts_with("ipc://")) {
        Fail(node["router"], "'router' must be a tcp:// or ipc:// ZeroMQ endpoint");
      }
    }
    if (node["control"]) {
      w.control = Text(node["control"], "control");
      if (!w.control.starts_with("tcp://") && !w.control.starts_with("ipc://")) {
        Fail(node["control"], "'control' must be a tcp:// or ipc:// ZeroMQ endpoint");
      }
    }
    if (node["media"]) {
      w.media = Text(node["media"], "media");
      if (!w.media.starts_with("tcp://") && !w.media.starts_with("ipc://")) {
        Fail(node["media"], "'media' must be a tcp:// or ipc:// ZeroMQ endpoint");
      }
    }
    if (node["metrics_port"]) w.metrics_port = Number(node["metrics_port"], "metrics_port", 0, 65535);
    if (node["http_url"]) {
      w.http_url = Text(node["http_url"], "http_url");
      if (!w.http_url.starts_with("http://") && !w.http_url.starts_with("https://")) {
        Fail(node["http_url"], "'http_url' must be an http:// or https:// address, e.g. http://10.0.0.5:9100");
      }
    }
    if (node["status_interval_s"]) w.status_interval_s = Number(node["status_interval_s"], "status_interval_s", 1, 3600);
  }
  CameraConfig defaults;
  const YAML::Node defaults_node = root["defaults"];
  if (const YAML::Node node = defaults_node) {
    RequireMap(node, "defaults");
    CheckKeys(node, "defaults", kSettingKeys);
    for (const auto& kv : node) ApplySetting(kv.first.as<std::string>(), kv.second, defaults);
  }
  const YAML::Node cameras = root["cameras"];
  if (!cameras) Fail(root, "missing 'cameras'");
  if (!cameras.IsSequence()) Fail(cameras, "'cameras' must be a list");
  std::set<std::string> ids;
  for (const YAML::Node& node : cameras) {
    CameraConfig c = ParseCamera(node, defaults, defaults_node);
    if (!ids.insert(c.id).second) Fail(node["id"], "camera id " + c.id + " is listed twice");
    w.cameras.push_back(std::move(c));
  }
  return w;
}

}  // namespace

Result<WorkerConfig> ParseWorkerConfig(const std::string& text, const std::string& filename) {
  try {
    return Parse(YAML::Load(text));
  } catch (const ConfigFault& f) {
    return Error{filename + ":" + std::to_string(f.line) + ": " + f.reason};
  } catch (const YAML::Exception& e) {
    return Error{filename + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg};
  }
}

Result<WorkerConfig> LoadWorkerConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path + ": cannot open the file"};
  std::ostringstream text;
  text << in.rdbuf();
  return ParseWorkerConfig(text.str(), path);
}

Result<CameraConfig> CameraFromSpec(const wire::CameraSpec& spec) {
  try {
    YAML::Node node(YAML::NodeType::Map);
    if (!spec.profile().empty()) {
      const YAML::Node profile = YAML::Load(spec.profile());
      if (!profile.IsNull()) {
        if (!profile.IsMap()) Fail(profile, "the profile must be a mapping of settings");
        CheckKeys(profile, "the profile", kProfileKeys);
        for (const auto& kv : profile) node[kv.first.as<std::string>()] = kv.second;
      }
    }
    node["id"] = spec.id();
    node["name"] = spec.name();
    if (!spec.region().empty()) node["region"] = spec.region();
    node["url"] = spec.url();
    node["enabled"] = spec.enabled();
    CameraConfig c = ParseCamera(node, CameraConfig{}, YAML::Node());
    if (!spec.username().empty() || !spec.password().empty()) {
      if (!c.username.empty()) Fail(node, "credentials are given both in 'url' and as username/password");
      c.username = spec.username();
      c.password = spec.password();
    }
    return c;
  } catch (const ConfigFault& f) {
    return Error{"camera " + spec.id() + ": " + f.reason};
  } catch (const YAML::Exception& e) {
    return Error{"camera " + spec.id() + ": profile line " + std::to_string(e.mark.line + 1) + ": " + e.msg};
  }
}

wire::CameraSpec SpecFromConfig(const CameraConfig& c) {
  wire::CameraSpec spec;
  spec.set_id(c.id);
  spec.set_name(c.name);
  spec.set_region(c.region);
  spec.set_url(c.url);
  spec.set_username(c.username);
  spec.set_password(c.password);
  spec.set_enabled(c.enabled);
  spec.set_profile(c.profile);
  return spec;
}

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

}  // namespace xl::ingest
