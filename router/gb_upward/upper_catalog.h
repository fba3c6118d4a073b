// This router's cameras (its own and those below it) as the upper platform's catalog
// (GB/T 28181 §A.2.4.5 and Annex O, virtual organisations):
//   - one business group (type 215) standing for this platform, named as it is;
//   - a virtual organisation (type 216) for each region of the tree the cameras are in —
//     county, towns, villages — under its parent region's, the top ones under the group;
//   - each camera under its region's organisation: DeviceID the camera ID, CivilCode the
//     first 6 or 8 digits of its region (the administrative code), Status ON while its video
//     flows, PTZType 1 for a camera that takes PTZ.
// Organisation IDs are the platform's first 10 digits, 216, and 7 digits made from the
// region code: the same region keeps its ID from one catalog to the next.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "proto/gb28181/manscdp.h"
#include "xueliang.pb.h"

namespace xl::router {

// The catalog, groups first (parents before children), then the cameras in ID order.
// Cameras removed or disabled are left out. `region_names`: region code → name (the desk's tree).
std::vector<gb28181::CatalogItem> UpperCatalog(const std::string& platform_id, const std::string& name,
                                               const std::vector<wire::Camera>& cameras,
                                               const std::map<std::string, std::string>& region_names);

// True for a camera's item (not a group) of such a catalog.
bool IsCameraItem(const gb28181::CatalogItem& item);

}  // namespace xl::router
