// A county, a town and a village, each a host of its own (a network namespace), with a
// router each, cascaded village → town → county over veth links shaped to a rate
// (tests/support/net_namespaces.h). For multi-host tests and benchmarks; root only.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "tests/support/net_namespaces.h"
#include "tests/support/process.h"
#include "tests/support/system.h"

namespace xl::test {

class ThreeHosts {
 public:
  // Makes the hosts and links (village 10.77.1.1 – town 10.77.1.2, town 10.77.2.1 – county
  // 10.77.2.2, each end's egress shaped to `kbit` kbit/s); `name` prefixes the systems'
  // folders. Error (why) where namespaces cannot be made.
  static Result<std::unique_ptr<ThreeHosts>> Create(const std::string& name, int kbit);
  // Starts the routers, county first: the county lets the town in as site 东街镇 and the town
  // the village as `village_site`, both for region `prefix`; the town's --site-name is 东街镇, the
  // county's 县中心. Error (with the routers' output) when a key cannot be registered.
  Status StartRouters(const std::string& prefix, const std::string& village_site);

  NetNamespace& village_ns() { return *village_ns_; }
  NetNamespace& county_ns() { return *county_ns_; }
  VethLink& village_town() { return *village_town_; }
  VethLink& town_county() { return *town_county_; }

 private:
  ThreeHosts(const std::string& name, std::unique_ptr<NetNamespace> village_ns, std::unique_ptr<NetNamespace> town_ns,
             std::unique_ptr<NetNamespace> county_ns);
  // Destroyed last to first: the processes, the systems, the links, then the namespaces.
  std::unique_ptr<NetNamespace> village_ns_, town_ns_, county_ns_;
  std::unique_ptr<VethLink> village_town_, town_county_;

 public:
  System village, town, county;
  std::unique_ptr<Process> county_router, town_router, village_router;
};

}  // namespace xl::test
