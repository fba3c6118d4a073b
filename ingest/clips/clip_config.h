// Where a worker keeps event clips and for how long (the worker's `clips` key;
// docs/configuration.md). A camera's own clip settings are part of its spec
// (proto/camera/clip_settings.h).
#pragma once

#include <cstdint>
#include <string>

#include "proto/camera/clip_settings.h"

namespace xl::ingest {

using camera::ClipConfig;

struct ClipStoreConfig {
  std::string dir;                                      // "": no clips are kept
  int64_t max_bytes = int64_t(10) << 30;                // 10 GiB
  int64_t max_age_ms = int64_t(30) * 24 * 3600 * 1000;  // 30 days
};

}  // namespace xl::ingest
