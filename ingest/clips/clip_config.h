// Clip settings: per camera (ClipConfig, the `clips` key) and per worker (ClipStoreConfig,
// the worker's `clips` key). Documented in docs/configuration.md.
#pragma once

#include <cstdint>
#include <string>

namespace xl::ingest {

struct ClipConfig {
  bool enabled = true;      // for motion and face events, when the worker keeps clips
  int64_t pre_ms = 5000;    // before the event start
  int64_t post_ms = 5000;   // after the event end
  int64_t max_ms = 300000;  // longest clip
};

struct ClipStoreConfig {
  std::string dir;                                      // "": no clips are kept
  int64_t max_bytes = int64_t(10) << 30;                // 10 GiB
  int64_t max_age_ms = int64_t(30) * 24 * 3600 * 1000;  // 30 days
};

}  // namespace xl::ingest
