// GB28181 devices for end-to-end tests: a worker with its GB28181 endpoint, and xl-camsim
// playing devices (NVRs, cameras) that register with it.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"

namespace xl::test {

// Worker w1 with its GB28181 endpoint on `sip_port` (password "gbpass", keepalives every
// 1 s, offline after 3 missed), and `extra` worker keys, once the endpoint listens.
inline std::unique_ptr<Process> StartGbWorker(System& sys, int sip_port, int http_port, const std::string& extra = "") {
  auto worker = sys.StartWorker("w1", "cameras: []\n", http_port,
                                "  gb28181: {enabled: true, bind: 127.0.0.1, port: " + std::to_string(sip_port) +
                                    ", password: gbpass, keepalive_s: 1, keepalive_misses: 3}\n" + extra);
  EXPECT_TRUE(WaitUntil([&] { return worker->Output().find("GB28181 platform") != std::string::npos; },
                        std::chrono::seconds(30)))
      << worker->Output();
  return worker;
}

// Simulated devices with `channels` channels of H.264 vtest (and `extra` options) to `sip_port`.
inline std::unique_ptr<Process> StartGbSim(System& sys, int sip_port, const std::string& id, int channels,
                                           const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {Binary("tools/xl-camsim"),
                                   "--gb28181",
                                   "127.0.0.1:" + std::to_string(sip_port),
                                   "--device-id",
                                   id,
                                   "--password",
                                   "gbpass",
                                   "--channels",
                                   std::to_string(channels),
                                   "--keepalive-s",
                                   "1",
                                   "--cache",
                                   Fixture("camsim-cache"),
                                   "--media",
                                   Fixture("vtest.avi") + ",codec=h264"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return sys.Launch(argv, sys.dir() + "/gbsim-" + id + ".log");
}

// Channel i (from 0) of a simulated device, as xl-camsim numbers them.
inline std::string SimChannel(const std::string& device_id, int i) {
  char tail[8];
  std::snprintf(tail, sizeof tail, "%06ld", (std::atol(device_id.substr(14).c_str()) * 100 + i + 1) % 1000000);
  return device_id.substr(0, 10) + "1310" + tail;
}

}  // namespace xl::test
