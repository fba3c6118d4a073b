// PTZ commands of GB/T 28181 (§A.3): the 8-byte PTZCmd carried as 16 hex digits in a
// DeviceControl MESSAGE.
//   byte 1  A5
//   byte 2  version (high nibble, 0) and the checksum of bytes 1-2's nibbles (low nibble): 0F
//   byte 3  address, low 8 bits (01)
//   byte 4  instruction: zoom out 20, zoom in 10, up 08, down 04, left 02, right 01, stop 00;
//           preset set 81, goto 82, delete 83
//   byte 5  pan speed (or 00 for presets)       byte 6  tilt speed (or the preset number)
//   byte 7  zoom speed (high nibble), address high 4 bits (low nibble)
//   byte 8  (sum of bytes 1-7) mod 256
#pragma once

#include <string>

#include "common/status.h"

namespace xl::gb28181 {

enum class PtzAction { kStop, kUp, kDown, kLeft, kRight, kZoomIn, kZoomOut, kPresetGoto, kPresetSet };

// "stop", "up", "down", "left", "right", "zoom_in", "zoom_out", "preset_goto", "preset_set".
Result<PtzAction> ParsePtzAction(const std::string& name);

// The PTZCmd, upper-case hex. `speed` 0-255 (pan/tilt; zoom uses speed / 16), `preset`
// 1-255 for the preset actions. Out-of-range values are an Error.
Result<std::string> PtzCmd(PtzAction action, int speed, int preset = 0);

// ParsePtzAction then PtzCmd: the PTZCmd for an action named as above.
Result<std::string> PtzCmdFor(const std::string& action, int speed, int preset);

// A PTZCmd read back (an upper platform's DeviceControl): the action by its name as above,
// with its speed (pan/tilt; zoom speed × 16) or preset. Liberal in what it takes: any letter
// case, a wrong checksum or version nibble (devices and platforms get them wrong). Several
// directions at once (a diagonal) are taken as one: zoom first, then tilt, then pan.
// Error when it is not 16 hex digits starting A5, or an instruction not listed above
// (focus, iris, cruise, scan).
struct PtzRequest {
  std::string action;
  int speed = 0;
  int preset = 0;
};
Result<PtzRequest> ParsePtzCmd(const std::string& hex);

}  // namespace xl::gb28181
