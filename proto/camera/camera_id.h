// Camera identity: 20-digit GB/T 28181 codes and the region tree they encode.
//
// Layout of an ID: digits 1-2 province, 3-4 city, 5-6 county, 7-8 town (base unit),
// 9-10 industry, 11-13 device type, 14 network, 15-20 serial.
// Region codes are digit strings that refine left to right: 6 digits name a county,
// 8 a town, 10 or more a village point inside the town.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace xl {

// Ok when `id` is exactly 20 ASCII digits; otherwise an error saying what is wrong.
Status ValidateCameraId(std::string_view id);

// Ok when `region` is 6 to 12 digits and of even length (each level adds two digits).
Status ValidateRegionCode(std::string_view region);

// The town code of a valid camera ID: its first 8 digits.
std::string RegionFromCameraId(std::string_view id);

// True when `prefix` is empty or selects this camera: its region or its ID begins with it.
bool RegionMatches(std::string_view prefix, std::string_view region, std::string_view camera_id);

}  // namespace xl
