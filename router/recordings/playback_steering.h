// What a player steers, whichever source plays: the worker's recordings (PlaybackCursor) or
// what a GB/T 28181 device keeps (DevicePlaybackCursor). The player seeks and says where it
// stands; the source sends chunks of fMP4 to its listener (PlaybackCursor::Listener) and keeps
// only so much ahead of the player.
#pragma once

#include <cstdint>

namespace xl::router {

class PlaybackSteering {
 public:
  virtual ~PlaybackSteering() = default;
  // Starts (again) at wall-clock `ms` at `speed` (PlaybackCursor::ValidSpeed).
  virtual void Seek(int64_t ms, int speed) = 0;
  // Where the player stands now (wall clock).
  virtual void At(int64_t ms) = 0;
  // Fetches what the player needs next, if anything; call when the player moved or can take
  // more, and at least every second.
  virtual void Pump() = 0;
  virtual int speed() const = 0;
};

}  // namespace xl::router
