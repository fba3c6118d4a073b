// Where a worker records its cameras and how much disk it may take (the worker's
// `recordings` key; docs/configuration.md). A camera's own recording settings are part of
// its spec (proto/camera/record_settings.h).
#pragma once

#include <cstdint>
#include <string>

#include "proto/camera/record_settings.h"

namespace xl::ingest {

using camera::RecordConfig;
using camera::RecordMode;

struct RecordingStoreConfig {
  std::string dir;                            // "": this worker records nothing
  int64_t max_bytes = 0;                      // disk budget of the folder; 0: no budget (only the disk's size)
  int64_t min_free_bytes = int64_t(1) << 30;  // below this much free space the disk counts as full
  int64_t pause_check_ms = 5000;              // while paused: how often free space is looked at again
};

}  // namespace xl::ingest
