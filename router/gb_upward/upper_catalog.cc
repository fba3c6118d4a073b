#include "router/gb_upward/upper_catalog.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "proto/camera/camera_id.h"

namespace xl::router {

namespace {

// 7 digits for a region's organisation ID: FNV-1a of the code, probed past the taken ones
// (the codes are visited in order, so the same set gives the same IDs).
std::string Serial(const std::string& code, std::set<std::string>& taken) {
  uint32_t h = 2166136261u;
  for (char c : code) h = (h ^ uint8_t(c)) * 16777619u;
  for (uint32_t n = h % 10000000u;; n = (n + 1) % 10000000u) {
    char s[8];
    std::snprintf(s, sizeof s, "%07u", n);
    if (taken.insert(s).second) return s;
  }
}

}  // namespace

bool IsCameraItem(const gb28181::CatalogItem& item) { return item.parental == 0; }

std::vector<gb28181::CatalogItem> UpperCatalog(const std::string& platform_id, const std::string& name,
                                               const std::vector<wire::Camera>& cameras,
                                               const std::map<std::string, std::string>& region_names) {
  const std::string head = platform_id.substr(0, 10);
  const std::string group_id = head + "2150000001";
  std::vector<const wire::Camera*> listed;
  std::set<std::string> regions;  // every level of every camera's region
  for (const wire::Camera& c : cameras) {
    if (c.state() == wire::CAMERA_STATE_REMOVED || c.state() == wire::CAMERA_STATE_DISABLED) continue;
    listed.push_back(&c);
    const std::string region = c.region().empty() ? RegionFromCameraId(c.id()) : c.region();
    for (size_t n = 6; n <= region.size(); n += 2) regions.insert(region.substr(0, n));
  }
  std::sort(listed.begin(), listed.end(),
            [](const wire::Camera* a, const wire::Camera* b) { return a->id() < b->id(); });

  std::vector<gb28181::CatalogItem> out;
  gb28181::CatalogItem group;
  group.device_id = group_id;
  group.name = name;
  group.parental = 1;
  out.push_back(group);

  std::map<std::string, std::string> org_of;  // region code → its organisation's ID
  std::set<std::string> taken;
  for (const std::string& code : regions) {  // in order: a parent (a prefix) comes first
    gb28181::CatalogItem o;
    o.device_id = head + "216" + Serial(code, taken);
    auto named = region_names.find(code);
    o.name = named != region_names.end() ? named->second : "区域 " + code;
    o.business_group_id = group_id;
    o.parent_id = code.size() > 6 && org_of.count(code.substr(0, code.size() - 2))
                      ? org_of[code.substr(0, code.size() - 2)]
                      : group_id;
    o.parental = 1;
    org_of[code] = o.device_id;
    out.push_back(o);
  }
  for (const wire::Camera* c : listed) {
    const std::string region = c->region().empty() ? RegionFromCameraId(c->id()) : c->region();
    gb28181::CatalogItem i;
    i.device_id = c->id();
    i.name = c->name().empty() ? c->id() : c->name();
    i.manufacturer = "Xueliang";
    i.model = c->codec().empty() ? "camera" : c->codec();
    i.civil_code = region.substr(0, std::min<size_t>(8, region.size()));
    i.parent_id = org_of.count(region) ? org_of[region] : group_id;
    i.parental = 0;
    i.status = c->state() == wire::CAMERA_STATE_ONLINE && !c->link_down() ? "ON" : "OFF";
    i.ptz_type = c->ptz() ? 1 : 3;
    out.push_back(i);
  }
  return out;
}

}  // namespace xl::router
