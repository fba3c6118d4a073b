// A camera's recording settings (its `record` key; docs/configuration.md). The worker that
// runs the camera records it when the worker has a recordings folder.
#pragma once

#include <cstdint>
#include <string>

namespace xl::camera {

enum class RecordMode {
  kContinuous,  // everything, kept retain_days
  kEvents,      // only segments overlapping an event are kept (the rest goes at once)
  kOff,
};

struct RecordConfig {
  RecordMode mode = RecordMode::kContinuous;
  int64_t segment_ms = 60000;                                 // one file per this much video, cut at a keyframe
  int64_t retain_ms = int64_t(30) * 24 * 3600 * 1000;         // continuous recording
  int64_t events_retain_ms = int64_t(90) * 24 * 3600 * 1000;  // segments overlapping an event
};

inline const char* RecordModeName(RecordMode m) {
  switch (m) {
    case RecordMode::kContinuous:
      return "continuous";
    case RecordMode::kEvents:
      return "events";
    case RecordMode::kOff:
      return "off";
  }
  return "off";
}

}  // namespace xl::camera
