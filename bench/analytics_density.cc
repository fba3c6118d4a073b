// Analytics density: how many cameras one core carries with our whole ingest path
// (RTSP receive → H.264 decode → scale/rate → motion → publish to the router), against the
// floor of FFmpeg decoding the same clip single-threaded, measured side by side in one run.
//
//   analytics_density [--cameras N] [--seconds S]
//
// The clip is vtest.avi re-encoded to 640×360 @ 15 fps H.264. Two floors, same clip:
//   flat-out: one `ffmpeg -threads 1` decoding the clip as fast as it can;
//             cameras/core = 1 / (CPU seconds per frame × 15 fps)
//   paced:    N `ffmpeg -re -threads 1` decoding it at its real 15 fps, as N live cameras
//             arrive; cameras/core = N / (their CPU seconds per second of wall time)
//   ours:     N RTSP cameras through one xl-ingest; cameras/core = N / (worker CPU per second)
// A live camera is paced, so the paced floor is the like-for-like one; both are printed.
#include <sys/resource.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"

using namespace xl::test;
using std::chrono::seconds;

namespace {

constexpr int kFps = 15;

// Runs a command to completion; returns its CPU seconds (user + system), -1 on failure.
double RunForCpu(const std::string& command) {
  struct rusage before {
  }, after{};
  getrusage(RUSAGE_CHILDREN, &before);
  if (std::system(command.c_str()) != 0) return -1;
  getrusage(RUSAGE_CHILDREN, &after);
  auto secs = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return secs(after.ru_utime) - secs(before.ru_utime) + secs(after.ru_stime) - secs(before.ru_stime);
}

int CountFrames(const std::string& clip) {
  std::string cmd =
      "ffprobe -v error -count_packets -select_streams v:0 -show_entries stream=nb_read_packets "
      "-of csv=p=0 '" +
      clip + "'";
  FILE* p = popen(cmd.c_str(), "r");
  int n = 0;
  if (p && std::fscanf(p, "%d", &n) != 1) n = 0;
  if (p) pclose(p);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  int cameras = 8, measure_s = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--cameras") cameras = std::atoi(argv[i + 1]);
    else if (a == "--seconds") measure_s = std::atoi(argv[i + 1]);
  }
  const std::string dir = TempDir("bench-density");
  const std::string clip = EncodeVtest640x360(dir, kFps);
  if (clip.empty()) return 1;
  const int frames = CountFrames(clip);

  // Floor: FFmpeg, one thread, decode only, the clip 4 times over.
  const int loops = 4;
  double floor_cpu = RunForCpu("ffmpeg -v error -threads 1 -stream_loop " + std::to_string(loops - 1) + " -i '" + clip +
                               "' -an -f null -");
  if (floor_cpu <= 0 || frames <= 0) {
    std::fprintf(stderr, "decode-only run failed\n");
    return 1;
  }
  const double floor_per_frame = floor_cpu / (frames * loops);
  const double floor_cams_per_core = 1.0 / (floor_per_frame * kFps);

  // Paced floor: N single-thread FFmpeg decoders at the clip's real rate, CPU over a window.
  double paced_cores = 0;
  {
    std::vector<std::unique_ptr<Process>> decoders;
    for (int i = 0; i < cameras; ++i) {
      decoders.push_back(std::make_unique<Process>(
          std::vector<std::string>{"/usr/bin/ffmpeg", "-v", "error", "-re", "-threads", "1", "-stream_loop", "-1", "-i",
                                   clip, "-an", "-f", "null", "-"},
          dir + "/ffmpeg-paced.log"));
    }
    std::this_thread::sleep_for(seconds(5));
    std::vector<double> start;
    for (auto& d : decoders) start.push_back(CpuSeconds(d->pid()));
    const auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(seconds(measure_s));
    double used = 0;
    for (size_t i = 0; i < decoders.size(); ++i) used += CpuSeconds(decoders[i]->pid()) - start[i];
    paced_cores = used / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  const double paced_cams_per_core = cameras / paced_cores;

  // Ours: N RTSP cameras of the same clip through one worker into a router.
  const int rtsp = FreePort(), wport = FreePort(), cport = FreePort(), ctl = FreePort(), http = FreePort(),
            media = FreePort(), relay = FreePort();
  std::vector<std::string> sim = {Binary("tools/xl-camsim"), "--port", std::to_string(rtsp), "--bind", "127.0.0.1"};
  std::ofstream cfg(dir + "/worker.yaml");
  cfg << "worker: {id: bench, " << WorkerKeysIn(dir, dir + "/bench.db", "bench")
      << ", router: \"tcp://127.0.0.1:" << wport << "\", control: \"tcp://127.0.0.1:" << ctl
      << "\", media: \"tcp://127.0.0.1:" << media << "\"}\ncameras:\n";
  for (int i = 0; i < cameras; ++i) {
    sim.push_back("--stream");
    sim.push_back(Numbered("c", i) + "=" + clip);
    char id[32];
    std::snprintf(id, sizeof id, "330102010013200%05d", i);
    cfg << "  - {id: \"" << id << "\", name: bench" << i << ", url: \"rtsp://127.0.0.1:" << rtsp << "/c" << i
        << "\"}\n";
  }
  cfg.close();
  Process camsim(sim, dir + "/camsim.log");
  Process router({Binary("router/xl-router"), "--workers", "tcp://127.0.0.1:" + std::to_string(wport), "--clients",
                  "tcp://127.0.0.1:" + std::to_string(cport), "--control", "tcp://127.0.0.1:" + std::to_string(ctl),
                  "--http", "127.0.0.1:" + std::to_string(http), "--media", "tcp://127.0.0.1:" + std::to_string(media),
                  "--video", "tcp://127.0.0.1:*", "--rtsp", "127.0.0.1:" + std::to_string(relay), "--db",
                  dir + "/bench.db", "--key", RouterKeyIn(dir)},
                 dir + "/router.log");
  WaitUntil([&] { return camsim.Output().find("camsim: ready") != std::string::npos; }, seconds(60));
  Process worker({Binary("ingest/xl-ingest"), "--config", dir + "/worker.yaml"}, dir + "/worker.log");
  auto online = [&] { return CountOf(worker.Output(), "-> online"); };
  if (!WaitUntil([&] { return online() >= cameras; }, seconds(60))) {
    std::fprintf(stderr, "only %d of %d cameras came online; see %s\n", online(), cameras, worker.log_path().c_str());
    return 1;
  }
  std::this_thread::sleep_for(seconds(5));  // warm-up: background models, first events
  const double cpu0 = CpuSeconds(worker.pid());
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(seconds(measure_s));
  const double cpu1 = CpuSeconds(worker.pid());
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const bool all_online = worker.Output().find("-> offline") == std::string::npos;
  const double cores = (cpu1 - cpu0) / wall;
  const double ours_cams_per_core = cameras / cores;
  const double ratio_flat = ours_cams_per_core / floor_cams_per_core;
  const double ratio = ours_cams_per_core / paced_cams_per_core;

  std::printf("clip: %s (%d frames, 640x360 @ %d fps H.264)\n", clip.c_str(), frames, kFps);
  std::printf("decode-only floor, flat-out (ffmpeg -threads 1): %.3f ms CPU/frame -> %.1f cameras/core\n",
              floor_per_frame * 1000, floor_cams_per_core);
  std::printf("decode-only floor, paced (%d x ffmpeg -re -threads 1, %d s): %.3f cores -> %.1f cameras/core\n", cameras,
              measure_s, paced_cores, paced_cams_per_core);
  std::printf("xueliang (RTSP+decode+motion+publish, %d cameras, %d s): %.3f cores -> %.1f cameras/core%s\n", cameras,
              measure_s, cores, ours_cams_per_core, all_online ? "" : " (a camera dropped!)");
  std::printf(
      "summary: %.1f cameras/core; vs paced decode-only %.1f: ratio %.2f (goal >= 0.85) %s; "
      "vs flat-out decode-only %.1f: ratio %.2f\n",
      ours_cams_per_core, paced_cams_per_core, ratio, ratio >= 0.85 ? "PASS" : "BELOW GOAL", floor_cams_per_core,
      ratio_flat);
  return 0;
}
