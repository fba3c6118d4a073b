#include "proto/camera/camera_config.h"

#include <set>

#include "common/yaml_fields.h"
#include "proto/camera/camera_id.h"
#include "proto/camera/camera_url.h"
#include "proto/camera/object_labels.h"
#include "proto/gb28181/channel_url.h"

namespace xl::camera {
namespace {

using namespace yaml_fields;

analytics::Polygon ParsePolygon(const YAML::Node& node, const std::string& what) {
  if (!node.IsSequence() || node.size() < 3) Fail(node, what + " must be a list of at least 3 [x, y] points");
  analytics::Polygon poly;
  for (const YAML::Node& pt : node) {
    if (!pt.IsSequence() || pt.size() != 2) Fail(pt, what + ": each point must be [x, y]");
    float x = Number<float>(pt[0], what + " x", 0, 1), y = Number<float>(pt[1], what + " y", 0, 1);
    poly.push_back({x, y});
  }
  return poly;
}

void ParseMotion(const YAML::Node& node, analytics::AnalyticsConfig& a) {
  RequireMap(node, "motion");
  CheckKeys(node, "motion",
            {"enabled", "algorithm", "threshold", "contour_area", "frame_alpha", "frame_height", "lightning_threshold",
             "brightness_jump", "improve_contrast", "contrast_history", "learn_s", "busy_s", "busy_share",
             "deviation_factor", "absorb_s", "suppressed_warning"});
  analytics::MotionConfig& m = a.motion;
  for (const auto& kv : node) {
    const std::string k = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (k == "enabled") a.motion_enabled = Flag(v, k);
    else if (k == "algorithm") {
      m.algorithm = Text(v, k);
      if (m.algorithm != "adaptive" && m.algorithm != "classic") Fail(v, "'algorithm' must be adaptive or classic");
    } else if (k == "threshold") m.threshold = Number(v, k, 1, 255);
    else if (k == "contour_area") m.contour_area = Number(v, k, 0.0, 10000.0);
    else if (k == "frame_alpha") m.frame_alpha = Number(v, k, 0.0001, 1.0);
    else if (k == "frame_height") m.frame_height = Number(v, k, 20, 1080);
    else if (k == "lightning_threshold") m.lightning_threshold = Number(v, k, 0.05, 1.0);
    else if (k == "brightness_jump") m.brightness_jump = Number(v, k, 0.01, 10.0);
    else if (k == "improve_contrast") m.improve_contrast = Flag(v, k);
    else if (k == "contrast_history") m.contrast_history = Number(v, k, 1, 1000);
    else if (k == "learn_s") m.learn_s = Number(v, k, 0.0, 600.0);
    else if (k == "busy_s") m.busy_s = Number(v, k, 1.0, 3600.0);
    else if (k == "busy_share") m.busy_share = Number(v, k, 0.01, 1.0);
    else if (k == "deviation_factor") m.deviation_factor = Number(v, k, 0.0, 100.0);
    else if (k == "absorb_s") m.absorb_s = Number(v, k, 0.5, 3600.0);
    else if (k == "suppressed_warning") m.suppressed_warning = Number(v, k, 0.0, 1.0);
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

void ParseObjects(const YAML::Node& node, analytics::ObjectConfig& o) {
  RequireMap(node, "objects");
  CheckKeys(node, "objects", {"enabled", "model", "alert_on", "min_score", "fps", "max_regions", "min_crop"});
  for (const auto& kv : node) {
    const std::string k = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (k == "enabled") o.enabled = Flag(v, k);
    else if (k == "model") o.model = Text(v, k);
    else if (k == "alert_on") {
      if (!v.IsSequence() || v.size() == 0) Fail(v, "'alert_on' must be a list of object labels ([person, car])");
      o.alert_on.clear();
      for (const YAML::Node& label : v) {
        o.alert_on.push_back(Text(label, "alert_on"));
        if (ObjectClass(o.alert_on.back()) < 0) {
          Fail(label, "'" + o.alert_on.back() +
                          "' is not an object label (person, bicycle, car, motorcycle, bus, "
                          "truck, … : the 80 COCO names)");
        }
      }
    } else if (k == "min_score") o.min_score = Number(v, k, 0.05, 1.0);
    else if (k == "fps") o.fps = Number(v, k, 0.1, 30.0);
    else if (k == "max_regions") o.max_regions = Number(v, k, 1, 16);
    else if (k == "min_crop") o.min_crop = Number(v, k, 0.05, 1.0);
  }
  if (o.enabled && o.model.empty()) Fail(node, "objects: 'model' is required when objects are enabled");
}

void ParseFaults(const YAML::Node& node, analytics::FaultConfig& f) {
  RequireMap(node, "faults");
  CheckKeys(node, "faults",
            {"enabled", "learn_s", "raise_s", "clear_s", "frozen_diff", "cover_stddev", "blur_ratio", "dark_ratio",
             "bright_level", "cast_level", "scene_match"});
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

void ParseRecord(const YAML::Node& node, RecordConfig& c) {
  RequireMap(node, "record");
  CheckKeys(node, "record", {"mode", "segment_s", "retain_days", "events_retain_days"});
  constexpr int64_t kDayMs = int64_t(24) * 3600 * 1000;
  for (const auto& kv : node) {
    const std::string k = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (k == "mode") {
      const std::string mode = Text(v, k);
      if (mode == "continuous") c.mode = RecordMode::kContinuous;
      else if (mode == "events") c.mode = RecordMode::kEvents;
      else if (mode == "off") c.mode = RecordMode::kOff;
      else Fail(v, "'mode' must be continuous, events or off (got '" + mode + "')");
    } else if (k == "segment_s") {
      c.segment_ms = int64_t(Number(v, k, 10.0, 3600.0) * 1000);
    } else if (k == "retain_days") {
      c.retain_ms = int64_t(Number(v, k, 0.01, 3650.0) * kDayMs);
    } else if (k == "events_retain_days") {
      c.events_retain_ms = int64_t(Number(v, k, 0.01, 3650.0) * kDayMs);
    }
  }
}

const std::set<std::string> kSettingKeys = {"analysis", "watchdog_s", "decode_threads", "latency_ms", "always_on",
                                            "motion",   "events",     "faults",         "faces",      "jpeg_quality",
                                            "clips",    "record",     "objects"};

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
  } else if (k == "objects") {
    ParseObjects(v, c.analytics.objects);
  } else if (k == "clips") {
    ParseClips(v, c.clips);
  } else if (k == "record") {
    ParseRecord(v, c.record);
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
      Fail(node, "'url' must be gb28181://<device ID>/<channel ID>[?transport=udp|tcp] with 20-digit IDs (got '" + url +
                     "')");
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
  std::string authority =
      url.substr(host_start, path_start == std::string::npos ? std::string::npos : path_start - host_start);
  size_t at = authority.rfind('@');
  if (at != std::string::npos) {
    std::string userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t colon = userinfo.find(':');
    c.username = userinfo.substr(0, colon);
    if (colon != std::string::npos) c.password = userinfo.substr(colon + 1);
  }
  if (authority.empty() || authority.front() == ':' || authority.find_first_of(" \t\"<>\\^`{|}") != std::string::npos) {
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

}  // namespace

CameraConfig ParseDefaults(const YAML::Node& node) {
  RequireMap(node, "defaults");
  CheckKeys(node, "defaults", kSettingKeys);
  CameraConfig defaults;
  for (const auto& kv : node) ApplySetting(kv.first.as<std::string>(), kv.second, defaults);
  return defaults;
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
  } catch (const FieldFault& f) {
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

}  // namespace xl::camera
