// Wall-clock and monotonic time in milliseconds.
#pragma once

#include <chrono>
#include <cstdint>

namespace xl {

// Milliseconds since the Unix epoch (the unit of every time on the wire).
inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Milliseconds of a clock that never goes backwards; for timeouts and rates only.
inline int64_t MonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace xl
