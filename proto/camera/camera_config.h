// The camera spec: one camera's identity, source and settings, validated. The same rules
// apply wherever a camera comes from — an entry of a worker's YAML file, a CSV row or an API
// call (wire::CameraSpec, whose `profile` carries the settings as YAML) — so the router
// refuses at once what a worker would refuse. Every option, its default and its range are
// documented in docs/configuration.md.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "common/status.h"
#include "proto/camera/analytics_settings.h"
#include "proto/camera/clip_settings.h"
#include "proto/camera/record_settings.h"
#include "xueliang.pb.h"

namespace xl::camera {

struct CameraConfig {
  std::string id;  // 20-digit GB28181 code
  std::string name;
  std::string region;    // explicit, or the town code read from the ID
  std::string url;       // rtsp://host[:port]/path (credentials removed) or gb28181://device/channel
  std::string username;  // from the URL or the `username` key
  std::string password;  // never logged, never sent to clients
  bool enabled = true;
  int analysis_height = 360;
  double analysis_fps = 5;
  int watchdog_s = 10;     // no frame for this long: the camera is offline
  int decode_threads = 1;  // decoder threads per camera; 1 is densest
  int latency_ms = 200;    // RTSP jitter buffer
  bool always_on = false;  // send live video to the router even when nobody watches
  analytics::AnalyticsConfig analytics;
  ClipConfig clips;     // event clips (kept when the worker has a clips folder)
  RecordConfig record;  // continuous recording (when the worker has a recordings folder)
  std::string profile;  // the settings above as a YAML mapping (wire::CameraSpec::profile)
  int line = 0;         // line of the camera's entry, for messages
};

// The YAML form, for the worker's file parser. Both throw yaml_fields::FieldFault
// (common/yaml_fields.h) with the line and reason of the first error; the caller catches it.
//
// The `defaults` mapping of a worker file: settings every camera starts from.
CameraConfig ParseDefaults(const YAML::Node& node);
// One camera entry, starting from `defaults` (parsed from `defaults_node`, which may be null;
// the camera's profile is that node overlaid with the entry's own settings).
CameraConfig ParseCamera(const YAML::Node& node, const CameraConfig& defaults, const YAML::Node& defaults_node);

// A camera from the registry's form of it, validated exactly like an entry in a file
// (errors read "camera ID: reason"). Credentials in `spec.url` are split out.
Result<CameraConfig> CameraFromSpec(const wire::CameraSpec& spec);

// The registry's form of a parsed camera (the inverse of CameraFromSpec).
wire::CameraSpec SpecFromConfig(const CameraConfig& camera);

}  // namespace xl::camera
