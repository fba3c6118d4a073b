// The worker's YAML configuration: which cameras to run and how. Every option, its default
// and its range are documented in docs/configuration.md.
//
// Loading either yields a complete, validated WorkerConfig or an Error of the form
// "FILE:LINE: reason"; nothing is applied from a file with any error in it.
#pragma once

#include <string>
#include <vector>

#include "analytics/camera_analytics.h"
#include "ingest/clips/clip_config.h"
#include "ingest/gb28181/gb_config.h"
#include "xl/status.h"
#include "xueliang.pb.h"

namespace xl::ingest {

struct CameraConfig {
  std::string id;        // 20-digit GB28181 code
  std::string name;
  std::string region;    // explicit, or the town code read from the ID
  std::string url;       // rtsp://host[:port]/path, credentials removed
  std::string username;  // from the URL or the `username` key
  std::string password;  // never logged, never sent on the wire
  bool enabled = true;
  int analysis_height = 360;
  double analysis_fps = 5;
  int watchdog_s = 10;       // no frame for this long: the camera is offline
  int decode_threads = 1;    // decoder threads per camera; 1 is densest
  int latency_ms = 200;      // RTSP jitter buffer
  bool always_on = false;    // send live video to the router even when nobody watches
  analytics::AnalyticsConfig analytics;
  ClipConfig clips;          // event clips (kept when the worker has a clips folder)
  std::string profile;       // the settings above as a YAML mapping (wire::CameraSpec::profile)
  int line = 0;              // line of the camera's entry, for messages
};

struct WorkerConfig {
  std::string id = "worker";                    // names this worker to the router
  std::string router = "tcp://127.0.0.1:5555";  // router's worker endpoint
  std::string control = "tcp://127.0.0.1:5557"; // router's control endpoint (assignments)
  std::string media = "tcp://127.0.0.1:5558";   // router's media endpoint (live video)
  int status_interval_s = 5;                    // full state report to the router
  int metrics_port = 0;                         // Prometheus /metrics on this port; 0: off
  std::string http_url;                         // how the router reaches that port; "": its address as seen
  ClipStoreConfig clips;                        // where event clips go, and how long they stay
  gb28181::GbConfig gb28181;                    // the GB/T 28181 platform (SIP) endpoint
  std::vector<CameraConfig> cameras;
};

// Parses `text`; `filename` is only used in error messages.
Result<WorkerConfig> ParseWorkerConfig(const std::string& text, const std::string& filename);

// Reads and parses the file at `path`.
Result<WorkerConfig> LoadWorkerConfig(const std::string& path);

// A camera from the registry's form of it, validated exactly like an entry in a file
// (errors read "camera ID: reason"). Credentials in `spec.url` are split out.
Result<CameraConfig> CameraFromSpec(const wire::CameraSpec& spec);

// The registry's form of a parsed camera (the inverse of CameraFromSpec).
wire::CameraSpec SpecFromConfig(const CameraConfig& camera);

// `url` with any password replaced by "***", for logs.
std::string RedactUrl(const std::string& url);

}  // namespace xl::ingest
