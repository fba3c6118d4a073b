// The worker's YAML configuration: which cameras to run and how. Every option, its default
// and its range are documented in docs/configuration.md.
//
// Loading either yields a complete, validated WorkerConfig or an Error of the form
// "FILE:LINE: reason"; nothing is applied from a file with any error in it.
#pragma once

#include <string>
#include <vector>

#include "analytics/camera_analytics.h"
#include "xl/status.h"

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
  analytics::AnalyticsConfig analytics;
  int line = 0;              // line of the camera's entry, for messages
};

struct WorkerConfig {
  std::string id = "worker";                    // names this worker to the router
  std::string router = "tcp://127.0.0.1:5555";  // router's worker endpoint
  int status_interval_s = 5;                    // full state report to the router
  std::vector<CameraConfig> cameras;
};

// Parses `text`; `filename` is only used in error messages.
Result<WorkerConfig> ParseWorkerConfig(const std::string& text, const std::string& filename);

// Reads and parses the file at `path`.
Result<WorkerConfig> LoadWorkerConfig(const std::string& path);

// `url` with any password replaced by "***", for logs.
std::string RedactUrl(const std::string& url);

}  // namespace xl::ingest
