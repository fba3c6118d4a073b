#include "proto/camera/camera_id.h"

#include <algorithm>

namespace xl {
namespace {
bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
}  // namespace

Status ValidateCameraId(std::string_view id) {
  if (id.size() != 20 || !AllDigits(id)) {
    return Error{"camera id '" + std::string(id) + "' must be a 20-digit GB28181 code"};
  }
  return Status::Ok();
}

Status ValidateRegionCode(std::string_view region) {
  if (region.size() < 6 || region.size() > 12 || region.size() % 2 != 0 || !AllDigits(region)) {
    return Error{"region '" + std::string(region) + "' must be 6 (county), 8 (town) or 10-12 (village) digits"};
  }
  return Status::Ok();
}

std::string RegionFromCameraId(std::string_view id) { return std::string(id.substr(0, 8)); }

bool RegionMatches(std::string_view prefix, std::string_view region, std::string_view camera_id) {
  return prefix.empty() || region.starts_with(prefix) || camera_id.starts_with(prefix);
}

}  // namespace xl
