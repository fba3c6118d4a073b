// Two village cameras on one worker, for tests of region scope: village A (region
// 3301020101, vtest.avi: people walking) and village B (3301020201, tree.avi: a tree in the
// wind), served by the simulator as streams "a" and "b".
#pragma once

#include <memory>
#include <string>

#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"

namespace xl::test {

inline constexpr const char* kVillageA = "33010201011320000001";  // region 3301020101 (vtest: people walking)
inline constexpr const char* kVillageB = "33010202011320000002";  // region 3301020201 (tree in the wind)

// Starts worker e2e-worker with both cameras; start the simulator with {"a=" + vtest, "b=" + tree}.
// `metrics_port` and `worker_extra` (lines of the worker section) as System::StartWorker.
inline std::unique_ptr<Process> StartTwoVillages(System& sys, int metrics_port = 0,
                                                 const std::string& worker_extra = "") {
  const std::string creds = std::string(kCamUser) + ":" + kCamPassword + "@";
  return sys.StartWorker("e2e-worker",
                         std::string("defaults: {watchdog_s: 5}\ncameras:\n") + "  - {id: \"" + kVillageA +
                             "\", name: 东村, region: \"3301020101\", url: \"rtsp://" + creds +
                             sys.RtspUrl("a").substr(7) + "\"}\n  - {id: \"" + kVillageB +
                             "\", name: 西村, region: \"3301020201\", url: \"rtsp://" + creds +
                             sys.RtspUrl("b").substr(7) + "\"}\n",
                         metrics_port, worker_extra);
}

// True once the router reports camera `id` online.
inline bool CameraOnline(System& sys, const std::string& id) {
  auto r = sys.Api("GET", "/api/cameras/" + id);
  return r.ok() && r->body.find("\"online\"") != std::string::npos;
}

}  // namespace xl::test
