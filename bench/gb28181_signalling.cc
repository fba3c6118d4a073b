// GB/T 28181 signalling load on one worker: N simulated devices (one xl-camsim --gb28181
// process, each device its own UDP socket) register with digest authentication, report a
// 4-channel catalog in 2 messages and their device info, then keep alive every second.
//
//   gb28181_signalling [--devices N] [--seconds S]
//
// Measured: the time until every device is registered with its catalog complete; then over
// S seconds of keepalives, the SIP messages the worker handled per second, its CPU, and the
// CPU per message; and that no device was ever taken offline. Side by side in the same run:
// the simulator's CPU for the same traffic (it builds and parses the same messages).
#include <sys/resource.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "common/http_client.h"
#include "tests/support/process.h"
#include "tests/support/system.h"

using namespace xl::test;
using std::chrono::seconds;

int main(int argc, char** argv) {
  int devices = 2000, measure_s = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--devices") devices = std::atoi(argv[i + 1]);
    else if (a == "--seconds") measure_s = std::atoi(argv[i + 1]);
  }
  const std::string dir = TempDir("bench-gb28181");
  const int sip = FreePort(), http = FreePort();
  std::ofstream(dir + "/worker.yaml") << "worker: {id: gb, " << WorkerKeysIn(dir, dir + "/unused.db", "gb")
                                      << ", metrics_port: " << http
                                      << ", gb28181: {enabled: true, bind: 127.0.0.1, port: " << sip
                                      << ", password: benchpw, keepalive_s: 1, keepalive_misses: 3}}\ncameras: []\n";
  Process worker({"/usr/bin/env", std::string("XL_METRICS_TOKEN=") + kMetricsToken, Binary("ingest/xl-ingest"),
                  "--config", dir + "/worker.yaml"},
                 dir + "/worker.log");
  if (!WaitUntil([&] { return worker.Output().find("GB28181 platform") != std::string::npos; }, seconds(30))) {
    std::fprintf(stderr, "the worker did not start; see %s\n", worker.log_path().c_str());
    return 1;
  }
  const auto t0 = std::chrono::steady_clock::now();
  Process sim(
      {Binary("tools/xl-camsim"), "--gb28181", "127.0.0.1:" + std::to_string(sip), "--devices", std::to_string(devices),
       "--channels", "4", "--catalog-page", "2", "--keepalive-s", "1", "--password", "benchpw"},
      dir + "/camsim.log");
  struct Snapshot {
    int registered = 0, complete = 0, online = 0;
    double received = 0;
  };
  auto snapshot = [&] {
    Snapshot s;
    auto r =
        xl::HttpCall("GET", "http://127.0.0.1:" + std::to_string(http) + "/gb28181/devices", "", "", 30, AsScraper());
    if (!r.ok() || r.value().status != 200) return s;
    auto j = nlohmann::json::parse(r.value().body, nullptr, false);
    if (j.is_discarded()) return s;
    for (const auto& d : j["devices"]) {
      s.registered += d["registered"].get<bool>();
      s.complete += d["catalog_complete"].get<bool>();
      s.online += d["online"].get<bool>();
    }
    s.received = j["sip"]["received"].get<double>();
    return s;
  };
  // Polled once a second: a listing of thousands of devices is itself work for the worker.
  if (!WaitUntil(
          [&] {
            std::this_thread::sleep_for(seconds(1));
            return snapshot().complete >= devices;
          },
          seconds(300))) {
    const Snapshot s = snapshot();
    std::fprintf(stderr, "only %d of %d devices registered with their catalog; see %s and %s\n", s.complete, devices,
                 worker.log_path().c_str(), sim.log_path().c_str());
    return 1;
  }
  const double register_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::this_thread::sleep_for(seconds(3));  // keepalives settle into their rhythm

  const Snapshot before = snapshot();
  const double worker0 = CpuSeconds(worker.pid()), sim0 = CpuSeconds(sim.pid());
  const auto m0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(seconds(measure_s));
  const Snapshot after = snapshot();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - m0).count();
  const double worker_cores = (CpuSeconds(worker.pid()) - worker0) / wall;
  const double sim_cores = (CpuSeconds(sim.pid()) - sim0) / wall;
  const double rate = (after.received - before.received) / wall;
  const int offline = CountOf(worker.Output(), ": offline:");

  std::printf("%d devices (4 channels each) registered with catalogs in %.1f s\n", devices, register_s);
  std::printf(
      "keepalives, %d s: worker handled %.0f SIP messages/s with %.3f cores = %.1f us CPU per message; "
      "the simulator sending them used %.3f cores\n",
      measure_s, rate, worker_cores, rate > 0 ? worker_cores / rate * 1e6 : 0.0, sim_cores);
  std::printf("online at the end: %d of %d; offline events: %d\n", after.online, devices, offline);
  std::printf(
      "summary: %d devices registered in %.1f s; %.0f msg/s at %.3f cores (%.1f us/msg, %.0f msg/s per core); "
      "%d offline events\n",
      devices, register_s, rate, worker_cores, rate > 0 ? worker_cores / rate * 1e6 : 0.0,
      worker_cores > 0 ? rate / worker_cores : 0.0, offline);
  return 0;
}
