#include "proto/gb28181/ptz.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>

namespace xl::gb28181 {

Result<PtzAction> ParsePtzAction(const std::string& name) {
  static const std::pair<const char*, PtzAction> kNames[] = {
      {"stop", PtzAction::kStop},           {"up", PtzAction::kUp},
      {"down", PtzAction::kDown},           {"left", PtzAction::kLeft},
      {"right", PtzAction::kRight},         {"zoom_in", PtzAction::kZoomIn},
      {"zoom_out", PtzAction::kZoomOut},    {"preset_goto", PtzAction::kPresetGoto},
      {"preset_set", PtzAction::kPresetSet}};
  for (const auto& [n, a] : kNames) {
    if (name == n) return a;
  }
  return Error{"unknown PTZ action '" + name +
               "' (stop, up, down, left, right, zoom_in, zoom_out, preset_goto, preset_set)"};
}

Result<std::string> PtzCmd(PtzAction action, int speed, int preset) {
  if (speed < 0 || speed > 255) return Error{"PTZ speed must be 0-255"};
  const bool is_preset = action == PtzAction::kPresetGoto || action == PtzAction::kPresetSet;
  if (is_preset && (preset < 1 || preset > 255)) return Error{"PTZ preset must be 1-255"};
  uint8_t b[8] = {0xA5, 0x0F, 0x01, 0, 0, 0, 0, 0};
  switch (action) {
    case PtzAction::kStop:
      b[3] = 0x00;
      break;
    case PtzAction::kUp:
      b[3] = 0x08;
      break;
    case PtzAction::kDown:
      b[3] = 0x04;
      break;
    case PtzAction::kLeft:
      b[3] = 0x02;
      break;
    case PtzAction::kRight:
      b[3] = 0x01;
      break;
    case PtzAction::kZoomIn:
      b[3] = 0x10;
      break;
    case PtzAction::kZoomOut:
      b[3] = 0x20;
      break;
    case PtzAction::kPresetSet:
      b[3] = 0x81;
      break;
    case PtzAction::kPresetGoto:
      b[3] = 0x82;
      break;
  }
  if (is_preset) {
    b[5] = uint8_t(preset);
  } else if (action == PtzAction::kZoomIn || action == PtzAction::kZoomOut) {
    b[6] = uint8_t((speed >> 4) << 4);
  } else if (action != PtzAction::kStop) {
    b[4] = uint8_t(speed);
    b[5] = uint8_t(speed);
  }
  unsigned sum = 0;
  for (int i = 0; i < 7; ++i) sum += b[i];
  b[7] = uint8_t(sum & 0xFF);
  char hex[17];
  for (int i = 0; i < 8; ++i) std::snprintf(hex + 2 * i, 3, "%02X", b[i]);
  return std::string(hex, 16);
}

Result<std::string> PtzCmdFor(const std::string& action, int speed, int preset) {
  auto parsed = ParsePtzAction(action);
  if (!parsed.ok()) return parsed.error();
  return PtzCmd(parsed.value(), speed, preset);
}

Result<PtzRequest> ParsePtzCmd(const std::string& hex) {
  if (hex.size() != 16) return Error{"PTZCmd is not 16 hex digits: '" + hex.substr(0, 32) + "'"};
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) {
    unsigned v = 0;
    if (std::sscanf(hex.c_str() + 2 * i, "%2x", &v) != 1 || !std::isxdigit(static_cast<unsigned char>(hex[2 * i])) ||
        !std::isxdigit(static_cast<unsigned char>(hex[2 * i + 1]))) {
      return Error{"PTZCmd is not 16 hex digits: '" + hex + "'"};
    }
    b[i] = uint8_t(v);
  }
  if (b[0] != 0xA5) return Error{"PTZCmd does not start with A5: '" + hex + "'"};
  const uint8_t op = b[3];
  PtzRequest r;
  if (op == 0x81 || op == 0x82) {
    r.action = op == 0x81 ? "preset_set" : "preset_goto";
    r.preset = b[5];
    if (r.preset < 1) return Error{"PTZCmd names preset 0: '" + hex + "'"};
    return r;
  }
  if (op & 0xC0) return Error{"PTZCmd instruction " + hex.substr(6, 2) + " is not pan, tilt, zoom or a preset"};
  if (op & 0x30) {
    r.action = op & 0x10 ? "zoom_in" : "zoom_out";
    r.speed = std::max(16, (b[6] >> 4) << 4);
  } else if (op & 0x0C) {
    r.action = op & 0x08 ? "up" : "down";
    r.speed = std::max<int>(1, b[5]);
  } else if (op & 0x03) {
    r.action = op & 0x02 ? "left" : "right";
    r.speed = std::max<int>(1, b[4]);
  } else {
    r.action = "stop";
  }
  return r;
}

}  // namespace xl::gb28181
