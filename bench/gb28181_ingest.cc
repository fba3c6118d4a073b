// What a GB/T 28181 camera costs the worker against an RTSP camera with the same video,
// measured side by side in one run.
//
//   gb28181_ingest [--cameras N] [--seconds S] [--rounds R]
//
// One clip (vtest.avi as H.264 640×360 @ 15 fps, made once with ffmpeg) is served N times
// by xl-camsim: as RTSP streams, and as the N channels of one simulated GB28181 NVR (MPEG-PS
// over RTP, the same access units, not re-encoded). One xl-ingest runs the N cameras with
// analytics off (decode and scale to 5 fps only: the ingest path itself), once per setting:
//     rtsp      rtspsrc → depayloader → decode
//     ps-udp    RTP over UDP → jitter buffer → PS demux → decode
//     ps-tcp    RTP over TCP (RFC 4571) → the same
// CPU per camera = worker CPU seconds / wall seconds / N; ratios against rtsp. Settings run
// in turn for --rounds rounds; each setting's lowest figure is kept.
#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>

#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"

using namespace xl::test;
using std::chrono::seconds;

int main(int argc, char** argv) {
  int cameras = 6, measure_s = 20, rounds = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--cameras") cameras = std::clamp(std::atoi(argv[i + 1]), 1, 99);
    else if (a == "--seconds") measure_s = std::atoi(argv[i + 1]);
    else if (a == "--rounds") rounds = std::atoi(argv[i + 1]);
  }
  const std::string dir = TempDir("bench-gb28181-ingest");
  const std::string clip = EncodeVtest640x360(dir, 15);
  if (clip.empty()) return 1;
  const std::string device = "34020000001110000001";
  const int rtsp_port = FreePort();
  auto channel = [](int i) {  // as xl-camsim numbers the NVR's channels
    char id[32];
    std::snprintf(id, sizeof id, "340200000013100%05d", 100 + i + 1);
    return std::string(id);
  };
  const char* settings[] = {"rtsp", "ps-udp", "ps-tcp"};
  double per_camera[3] = {1e9, 1e9, 1e9};
  for (int run = 0; run < 3 * rounds; ++run) {
    const int s = run % 3;
    const std::string name = settings[s];
    System sys("bench-gb28181-ingest-" + name);  // fresh folder, database and ports
    const int sip = FreePort();
    auto router = sys.StartRouter();
    std::vector<std::string> sim = {Binary("tools/xl-camsim")};
    std::string gb;
    if (s == 0) {
      sim.insert(sim.end(), {"--port", std::to_string(rtsp_port), "--bind", "127.0.0.1"});
      for (int i = 0; i < cameras; ++i) sim.insert(sim.end(), {"--stream", Numbered("c", i) + "=" + clip});
    } else {
      sim.insert(sim.end(), {"--gb28181", "127.0.0.1:" + std::to_string(sip), "--password", "bench", "--device-id",
                             device, "--channels", std::to_string(cameras), "--media", clip});
      gb = "  gb28181: {enabled: true, bind: 127.0.0.1, port: " + std::to_string(sip) + ", password: bench}\n";
    }
    std::string yaml = "defaults: {motion: {enabled: false}, faults: {enabled: false}}\ncameras:\n";
    for (int i = 0; i < cameras; ++i) {
      const std::string url = s == 0 ? "rtsp://127.0.0.1:" + std::to_string(rtsp_port) + "/c" + std::to_string(i)
                                     : "gb28181://" + device + "/" + channel(i) + (s == 2 ? "?transport=tcp" : "");
      yaml += "  - {id: \"" + channel(i) + "\", name: bench" + std::to_string(i) + ", url: \"" + url + "\"}\n";
    }
    auto worker = sys.StartWorker("bench", yaml, 0, gb);
    Process camsim(sim, sys.dir() + "/camsim.log");
    auto online = [&] { return CountOf(worker->Output(), "-> online"); };
    if (!WaitUntil([&] { return online() >= cameras; }, seconds(90))) {
      std::fprintf(stderr, "%s: only %d of %d cameras came online; see %s\n", name.c_str(), online(), cameras,
                   worker->log_path().c_str());
      return 1;
    }
    std::this_thread::sleep_for(seconds(5));
    const double cores = CoresOver(worker->pid(), seconds(measure_s));
    per_camera[s] = std::min(per_camera[s], cores / cameras);
    std::printf("round %d %-7s %d cameras, %d s: %.3f cores -> %.1f ms CPU per camera-second\n", run / 3 + 1,
                name.c_str(), cameras, measure_s, cores, cores / cameras * 1000);
    std::fflush(stdout);
  }
  for (int k = 0; k < 3; ++k) {
    std::printf("%-7s lowest of %d rounds: %.1f ms CPU per camera-second (%.2fx rtsp)\n", settings[k], rounds,
                per_camera[k] * 1000, per_camera[k] / per_camera[0]);
  }
  std::printf(
      "summary: GB28181 ingest per camera vs RTSP of the same clip: PS/RTP over UDP %.2fx, over TCP %.2fx "
      "(rtsp %.1f ms CPU per camera-second)\n",
      per_camera[1] / per_camera[0], per_camera[2] / per_camera[0], per_camera[0] * 1000);
  return 0;
}
