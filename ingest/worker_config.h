// The worker's YAML file: the worker's own settings and the cameras it seeds the router
// with. Every option, its default and its range are documented in docs/configuration.md.
//
// Loading either yields a complete, validated WorkerConfig or an Error of the form
// "FILE:LINE: reason"; nothing is applied from a file with any error in it.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "ingest/clips/clip_config.h"
#include "ingest/gb28181/gb_config.h"
#include "ingest/recording/recording_config.h"
#include "proto/camera/camera_config.h"
#include "proto/wire/delivery/outbox.h"

namespace xl::ingest {

using camera::CameraConfig;

struct WorkerConfig {
  std::string id = "worker";                     // names this worker to the router
  std::string router = "tcp://127.0.0.1:5555";   // router's worker endpoint
  std::string control = "tcp://127.0.0.1:5557";  // router's control endpoint (assignments)
  std::string media = "tcp://127.0.0.1:5558";    // router's media endpoint (live video)
  std::string key_file;                          // this worker's CURVE key pair (xl key gen); required to run
  std::string router_key;                        // the router's public key, or a file holding it; required
  std::string http_address = "127.0.0.1";        // where the HTTP port (metrics_port) listens
  int status_interval_s = 5;                     // full state report to the router
  int video_nice = 10;                           // niceness of the threads that carry video (0-19); the
                                                 // main loop (SIP, control, states) keeps the process's
  int metrics_port = 0;                          // Prometheus /metrics on this port; 0: off
  std::string metrics_token;                     // /metrics and /gb28181/devices also answer this bearer token
                                                 // (XL_METRICS_TOKEN in the environment, for Prometheus)
  delivery::OutboxConfig outbox;                 // what is not yet acknowledged by the router; path ""
                                                 // (default): "<id>.outbox.db" beside the config file
  ClipStoreConfig clips;                         // where event clips go, and how long they stay
  RecordingStoreConfig recordings;               // where cameras are recorded, and the disk budget
  gb28181::GbConfig gb28181;                     // the GB/T 28181 platform (SIP) endpoint
  std::vector<CameraConfig> cameras;
};

// Parses `text`; `filename` is only used in error messages.
Result<WorkerConfig> ParseWorkerConfig(const std::string& text, const std::string& filename);

// Reads and parses the file at `path`.
Result<WorkerConfig> LoadWorkerConfig(const std::string& path);

}  // namespace xl::ingest
