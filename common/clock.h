// Wall-clock and monotonic time in milliseconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

namespace xl {

// Milliseconds since the Unix epoch (the unit of every time on the wire).
inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Milliseconds of a clock that never goes backwards; for timeouts and rates only.
inline int64_t MonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// `wall_ms` (ms since the epoch) as local time in strftime's `format`, e.g. "%H:%M:%S".
inline std::string LocalTime(int64_t wall_ms, const char* format) {
  const std::time_t t = std::time_t(wall_ms / 1000);
  std::tm local{};
  localtime_r(&t, &local);
  char text[64];
  const size_t n = std::strftime(text, sizeof text, format, &local);
  return std::string(text, n);
}

}  // namespace xl
