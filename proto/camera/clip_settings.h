// A camera's event-clip settings (its `clips` key; docs/configuration.md).
#pragma once

#include <cstdint>

namespace xl::camera {

struct ClipConfig {
  bool enabled = true;      // for motion and face events, when the worker keeps clips
  int64_t pre_ms = 5000;    // before the event start
  int64_t post_ms = 5000;   // after the event end
  int64_t max_ms = 300000;  // longest clip
};

}  // namespace xl::camera
