#include "tests/support/three_hosts.h"

#include <unistd.h>

namespace xl::test {

ThreeHosts::ThreeHosts(const std::string& name, std::unique_ptr<NetNamespace> village_ns,
                       std::unique_ptr<NetNamespace> town_ns, std::unique_ptr<NetNamespace> county_ns)
    : village_ns_(std::move(village_ns)),
      town_ns_(std::move(town_ns)),
      county_ns_(std::move(county_ns)),
      village(name + "-village"),
      town(name + "-town"),
      county(name + "-county") {
  village.RunIn(village_ns_.get());
  town.RunIn(town_ns_.get());
  county.RunIn(county_ns_.get());
}

Result<std::unique_ptr<ThreeHosts>> ThreeHosts::Create(const std::string& name, int kbit) {
  const std::string tag = std::to_string(::getpid());
  auto village_ns = NetNamespace::Create("xl-village-" + tag);
  if (!village_ns.ok()) return village_ns.error();
  auto town_ns = NetNamespace::Create("xl-town-" + tag);
  if (!town_ns.ok()) return town_ns.error();
  auto county_ns = NetNamespace::Create("xl-county-" + tag);
  if (!county_ns.ok()) return county_ns.error();
  std::unique_ptr<ThreeHosts> hosts(
      new ThreeHosts(name, std::move(*village_ns), std::move(*town_ns), std::move(*county_ns)));
  auto village_town = VethLink::Create(*hosts->village_ns_, "vt" + tag + "v", "10.77.1.1", *hosts->town_ns_,
                                       "vt" + tag + "t", "10.77.1.2", kbit);
  if (!village_town.ok()) return village_town.error();
  auto town_county = VethLink::Create(*hosts->town_ns_, "tc" + tag + "t", "10.77.2.1", *hosts->county_ns_,
                                      "tc" + tag + "c", "10.77.2.2", kbit);
  if (!town_county.ok()) return town_county.error();
  hosts->village_town_ = std::move(*village_town);
  hosts->town_county_ = std::move(*town_county);
  return hosts;
}

Status ThreeHosts::StartRouters(const std::string& prefix, const std::string& village_site) {
  const std::string county_children = "tcp://10.77.2.2:" + std::to_string(FreePort());
  const std::string town_children = "tcp://10.77.1.2:" + std::to_string(FreePort());
  std::string out;
  // `parent` lets `child`'s router in as `site` (once the parent's router answers).
  auto add = [&](System& parent, const std::string& site, System& child) {
    return WaitUntil(
        [&] {
          return parent.RunXl({"key", "add", "child", site, child.RouterKeyFile(), "--prefix", prefix}, &out) == 0;
        },
        std::chrono::seconds(30));
  };
  county_router = county.StartRouter({"--children", county_children, "--site-name", "县中心"});
  if (!add(county, "东街镇", town))
    return Error{"the county did not take the town's key: " + out + county_router->Output()};
  town_router = town.StartRouter({"--children", town_children, "--parent", county_children, "--parent-key",
                                  county.RouterKeyFile(), "--site-name", "东街镇"});
  if (!add(town, village_site, village)) {
    return Error{"the town did not take the village's key: " + out + town_router->Output()};
  }
  village_router = village.StartRouter({"--parent", town_children, "--parent-key", town.RouterKeyFile()});
  return Status();
}

}  // namespace xl::test
