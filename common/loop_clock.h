// Time as seen by an event loop that may be held up (a busy machine, a slow disk): monotonic
// milliseconds that do not advance while the loop was held up. Deadlines measured on it ("a
// device answers an INVITE within 10 s", "a registration lapses 10 s after its Expires") do
// not pass while the loop could not have read the answer that was waiting for it.
//
// The loop must read it at least every `tick_ms` (a timer); a gap between two readings
// longer than `held_after_ms` is taken as the loop held up, and all of it but one tick is
// left out. Single-threaded.
#pragma once

#include <cstdint>

#include "common/clock.h"

namespace xl {

class LoopClock {
 public:
  LoopClock(int64_t tick_ms, int64_t held_after_ms) : tick_ms_(tick_ms), held_after_ms_(held_after_ms) {}

  // Now, in ms, on this clock (monotonic).
  int64_t Now() { return Read(MonotonicMs()); }
  // As Now, with the monotonic time given (tests).
  int64_t Read(int64_t monotonic_ms) {
    if (last_ms_ && monotonic_ms - last_ms_ > held_after_ms_) {
      held_ms_ += monotonic_ms - last_ms_ - tick_ms_;
      ++holds_;
    }
    if (monotonic_ms > last_ms_) last_ms_ = monotonic_ms;
    return monotonic_ms - held_ms_;
  }
  // How long, in all, the loop was held up, and how many times.
  int64_t held_ms() const { return held_ms_; }
  uint64_t holds() const { return holds_; }

 private:
  const int64_t tick_ms_, held_after_ms_;
  int64_t last_ms_ = 0;
  int64_t held_ms_ = 0;
  uint64_t holds_ = 0;
};

}  // namespace xl
