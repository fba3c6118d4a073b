// The desk with a full wall: page load and the router's CPU with 16 tiles playing, side by
// side with the same 16 streams to native viewers and with the router relaying nothing.
//
//   desk_load [--seconds S]
//
// 16 cameras (vtest.avi as H.264 640×360 @ 15 fps, served by xl-camsim; analytics off) run
// on one worker. Measured, S seconds each: the router's CPU with nobody watching; with 16
// native viewers (xl-console --watch: the ZeroMQ path of bench/live_fanout); with the desk
// page in headless Chromium (tests/browser/desk_load.mjs) showing all 16 on its wall. The
// page's wall is built once, then the page is reloaded: the times from the start of the
// reload to the load event, to the desk shown and to all 16 tiles playing again.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"

using namespace xl::test;
using std::chrono::seconds;

int main(int argc, char** argv) {
  int measure_s = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--seconds") measure_s = std::atoi(argv[i + 1]);
  }
  System sys("bench-desk-load");
  const std::string clip = EncodeVtest640x360(sys.dir(), 15);
  if (clip.empty()) return 1;
  std::vector<std::string> streams, ids;
  std::string yaml = "defaults: {motion: {enabled: false}, faults: {enabled: false}}\ncameras:\n", wall;
  for (int i = 0; i < 16; ++i) {
    streams.push_back(Numbered("c", i) + "=" + clip);
    char id[32];
    std::snprintf(id, sizeof id, "330102010113200%05d", i + 1);
    yaml += std::string("  - {id: \"") + id + "\", name: " + Numbered("cam", i) + ", url: \"rtsp://" + kCamUser + ":" +
            kCamPassword + "@" + sys.RtspUrl(Numbered("c", i)).substr(7) + "\"}\n";
    wall.append(wall.empty() ? "" : ",").append(id);
    ids.push_back(id);
  }
  auto router = sys.StartRouter();
  auto camsim = sys.StartCamsim(streams);
  auto worker = sys.StartWorker("w1", yaml);
  if (!WaitUntil([&] { return CountOf(worker->Output(), "-> online") >= 16; }, seconds(120))) {
    std::fprintf(stderr, "not all 16 cameras came online; see %s\n", worker->log_path().c_str());
    return 1;
  }
  std::this_thread::sleep_for(seconds(3));
  const double idle = CoresOver(router->pid(), seconds(measure_s));
  // The relay benchmark's path for comparison: the same 16 streams to 16 native (ZeroMQ) viewers.
  double native = 0;
  {
    std::vector<std::unique_ptr<Process>> viewers;
    for (const std::string& id : ids) viewers.push_back(sys.StartConsole("watch-" + id + ".log", {"--watch", id}));
    std::this_thread::sleep_for(seconds(5));
    native = CoresOver(router->pid(), seconds(measure_s));
  }
  std::this_thread::sleep_for(seconds(7));  // past the relay's linger: the worker stops sending
  Process page({"/usr/bin/env", "XL_URL=" + sys.HttpBase(), "XL_ADMIN=admin:" + std::string(kAdminPassword),
                "XL_WALL=" + wall, "XL_HOLD_S=" + std::to_string(measure_s + 10), "node",
                std::string(XL_SOURCE_DIR) + "/tests/browser/desk_load.mjs"},
               sys.dir() + "/page.log");
  if (!WaitUntil([&] { return page.Output().find("LOADED ") != std::string::npos || !page.running(); }, seconds(120)) ||
      page.Output().find("LOADED ") == std::string::npos) {
    std::fprintf(stderr, "the page did not play 16 tiles; see %s\n", page.log_path().c_str());
    return 1;
  }
  std::this_thread::sleep_for(seconds(3));
  const double watched = CoresOver(router->pid(), seconds(measure_s));
  page.Wait(std::chrono::milliseconds(60000));
  const std::string out = page.Output();
  auto field = [&](const char* tag) {
    const size_t at = out.find(tag);
    return nlohmann::json::parse(out.substr(at + std::strlen(tag), out.find('\n', at) - at - std::strlen(tag)));
  };
  if (out.find("DONE ") == std::string::npos) {
    std::fprintf(stderr, "the page did not finish; see %s\n", page.log_path().c_str());
    return 1;
  }
  const auto loaded = field("LOADED "), done = field("DONE ");
  const double mbit = done["mbit_s"].get<double>();
  std::printf(
      "page with a session, from the start of the reload: loaded at %d ms, desk shown at %d ms, all 16 tiles playing "
      "at %d ms\n",
      loaded["load_ms"].get<int>(), loaded["app_ms"].get<int>(), loaded["all_tiles_playing_ms"].get<int>());
  std::printf(
      "router CPU: %.3f cores relaying nothing, %.3f cores for 16 native (ZeroMQ) viewers, %.3f cores "
      "with 16 tiles open (%d live at the end), %.1f Mbit/s to the page -> %.2f Gbit/s per router core\n",
      idle, native, watched, done["tiles_live"].get<int>(), mbit, mbit / 1000 / std::max(watched, 1e-6));
  std::printf(
      "summary: desk page loaded at %d ms with a session, 16 tiles playing at %d ms; router %.3f cores for 16 "
      "tiles = %.2f x the same 16 streams to native viewers (%.3f cores)\n",
      loaded["load_ms"].get<int>(), loaded["all_tiles_playing_ms"].get<int>(), watched,
      watched / std::max(native, 1e-6), native);
  return 0;
}
