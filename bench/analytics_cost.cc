// What analytics costs: the face detectors' time per 640×360 frame, and one camera's CPU
// with each analytics feature on, against decode alone, measured side by side in one run.
//
//   analytics_cost [--cameras N] [--seconds S] [--rounds R]
//
// Part 1 (in process, thread CPU time): BlazeFace (cv::dnn) and the Haar cascade on 300
//   frames of vtest.avi scaled to 640×360, each detector on the whole frame. (In the worker
//   faces are searched only around motion, at `faces.fps`; this is the per-frame price.)
// Part 2 (real processes): N RTSP cameras of vtest 640×360 @ 15 fps (xl-camsim) through one
//   xl-ingest into an xl-router, once per setting, each with a fresh router and database:
//     decode     motion, faults and faces off: RTSP + decode + scale/rate to 5 fps only
//     motion     + motion detection and events
//     full       + video-fault diagnosis + faces (dnn, 2 checks/s around motion)
//     full+clips + event clips (pre-capture buffer, MP4 writing)
//   CPU per camera = worker CPU seconds / wall seconds / N; ratios against `decode`. The
//   settings run in turn, for --rounds rounds; each setting's lowest figure is kept (the
//   machine's other load only ever adds).
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <thread>

#include "analytics/face_detector.h"
#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"

using namespace xl::test;
using std::chrono::seconds;

namespace {

double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
}

// Mean CPU ms per frame of `detector` over `frames`; -1 when it cannot be built.
double DetectorMs(const xl::analytics::FaceConfig& config, const std::vector<cv::Mat>& frames, size_t* faces) {
  auto made = xl::analytics::MakeFaceDetector(config);
  if (!made.ok()) {
    std::fprintf(stderr, "%s\n", made.error().message.c_str());
    return -1;
  }
  (*made)->Detect(frames.front());  // first call allocates
  *faces = 0;
  const double t0 = ThreadCpuSeconds();
  for (const cv::Mat& f : frames) *faces += (*made)->Detect(f).size();
  return (ThreadCpuSeconds() - t0) * 1000 / double(frames.size());
}

struct Setting {
  const char* name;
  const char* defaults;  // YAML for `defaults:`
  bool clips;
};

}  // namespace

int main(int argc, char** argv) {
  int cameras = 6, measure_s = 20, rounds = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--cameras") cameras = std::atoi(argv[i + 1]);
    else if (a == "--seconds") measure_s = std::atoi(argv[i + 1]);
    else if (a == "--rounds") rounds = std::atoi(argv[i + 1]);
  }
  cv::setNumThreads(1);  // one camera's analytics runs on one streaming thread

  // Part 1: the detectors.
  std::vector<cv::Mat> frames;
  {
    cv::VideoCapture cap(Fixture("vtest.avi"));
    cv::Mat f, scaled;
    while (frames.size() < 300 && cap.read(f)) {
      cv::resize(f, scaled, cv::Size(640, 360));
      frames.push_back(scaled.clone());
    }
  }
  if (frames.empty()) {
    std::fprintf(stderr, "cannot read %s\n", Fixture("vtest.avi").c_str());
    return 1;
  }
  xl::analytics::FaceConfig dnn{true, "dnn", Fixture("blazeface_front_128.onnx")};
  xl::analytics::FaceConfig cascade{true, "cascade",
                                    "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"};
  size_t dnn_faces = 0, cascade_faces = 0;
  const double dnn_ms = DetectorMs(dnn, frames, &dnn_faces);
  const double cascade_ms = DetectorMs(cascade, frames, &cascade_faces);
  if (dnn_ms < 0 || cascade_ms < 0) return 1;
  std::printf("face detector, whole 640x360 frame, one thread, %zu frames of vtest.avi:\n", frames.size());
  std::printf("  dnn (BlazeFace front 128, cv::dnn): %.2f ms/frame (%zu detections)\n", dnn_ms, dnn_faces);
  std::printf("  cascade (haarcascade_frontalface_default): %.2f ms/frame (%zu detections)\n", cascade_ms,
              cascade_faces);

  // Part 2: a camera's CPU per setting.
  const std::string dir = TempDir("bench-cost");
  const std::string clip = EncodeVtest640x360(dir, 15);
  if (clip.empty()) return 1;
  const int rtsp = FreePort();
  std::vector<std::string> sim = {Binary("tools/xl-camsim"), "--port", std::to_string(rtsp), "--bind", "127.0.0.1"};
  for (int i = 0; i < cameras; ++i) {
    sim.push_back("--stream");
    sim.push_back("c" + std::to_string(i) + "=" + clip);
  }
  Process camsim(sim, dir + "/camsim.log");
  if (!WaitUntil([&] { return camsim.Output().find("camsim: ready") != std::string::npos; }, seconds(60))) {
    std::fprintf(stderr, "xl-camsim did not start; see %s\n", camsim.log_path().c_str());
    return 1;
  }
  const std::string faces =
      "faces: {enabled: true, detector: dnn, model: \"" + Fixture("blazeface_front_128.onnx") + "\"}";
  const std::string settings[][2] = {
      {"decode", "{motion: {enabled: false}, faults: {enabled: false}}"},
      {"motion", "{faults: {enabled: false}}"},
      {"full", "{faults: {enabled: true}, " + faces + "}"},
      {"full+clips", "{faults: {enabled: true}, " + faces + "}"},
  };
  double per_camera[4] = {1e9, 1e9, 1e9, 1e9};
  for (int run = 0; run < 4 * rounds; ++run) {
    const int s = run % 4;
    const std::string name = settings[s][0];
    const int wport = FreePort(), cport = FreePort(), ctl = FreePort(), http = FreePort(), media = FreePort();
    Process router(
        {Binary("router/xl-router"), "--workers", "tcp://127.0.0.1:" + std::to_string(wport), "--clients",
         "tcp://127.0.0.1:" + std::to_string(cport), "--control", "tcp://127.0.0.1:" + std::to_string(ctl), "--http",
         "127.0.0.1:" + std::to_string(http), "--media", "tcp://127.0.0.1:" + std::to_string(media), "--video",
         "tcp://127.0.0.1:*", "--rtsp", "127.0.0.1:0", "--db", dir + "/" + name + ".db", "--key", RouterKeyIn(dir)},
        dir + "/router-" + name + ".log");
    const std::string yaml = dir + "/" + name + ".yaml";
    std::filesystem::remove(dir + "/" + name + ".db");
    std::ofstream cfg(yaml);
    cfg << "worker: {id: bench, " << WorkerKeysIn(dir, dir + "/" + name + ".db", "bench")
        << ", router: \"tcp://127.0.0.1:" << wport << "\", control: \"tcp://127.0.0.1:" << ctl
        << "\", media: \"tcp://127.0.0.1:" << media << "\""
        << (s == 3 ? ", clips: {dir: \"" + dir + "/clips\"}" : std::string()) << "}\n"
        << "defaults: " << settings[s][1] << "\ncameras:\n";
    for (int i = 0; i < cameras; ++i) {
      char id[32];
      std::snprintf(id, sizeof id, "330102010013200%05d", i);
      cfg << "  - {id: \"" << id << "\", name: bench" << i << ", url: \"rtsp://127.0.0.1:" << rtsp << "/c" << i
          << "\"}\n";
    }
    cfg.close();
    Process worker({Binary("ingest/xl-ingest"), "--config", yaml}, dir + "/worker-" + name + ".log");
    auto online = [&] { return CountOf(worker.Output(), "-> online"); };
    if (!WaitUntil([&] { return online() >= cameras; }, seconds(60))) {
      std::fprintf(stderr, "%s: only %d of %d cameras came online; see %s\n", name.c_str(), online(), cameras,
                   worker.log_path().c_str());
      return 1;
    }
    std::this_thread::sleep_for(seconds(12));  // past fault learning (10 s) and the first events
    const double cores = CoresOver(worker.pid(), seconds(measure_s));
    per_camera[s] = std::min(per_camera[s], cores / cameras);
    std::printf("round %d %-10s %d cameras, %d s: %.3f cores -> %.1f ms CPU per camera-second\n", run / 4 + 1,
                name.c_str(), cameras, measure_s, cores, cores / cameras * 1000);
    std::fflush(stdout);
    worker.Stop();
    router.Stop();
  }
  for (int k = 0; k < 4; ++k) {
    std::printf("%-10s lowest of %d rounds: %.1f ms CPU per camera-second (%.2fx decode)\n", settings[k][0].c_str(),
                rounds, per_camera[k] * 1000, per_camera[k] / per_camera[0]);
  }
  std::printf(
      "summary: face dnn %.1f ms, cascade %.1f ms per 640x360 frame; per camera vs decode alone: "
      "motion %.2fx, motion+faults+faces %.2fx, +clips %.2fx\n",
      dnn_ms, cascade_ms, per_camera[1] / per_camera[0], per_camera[2] / per_camera[0], per_camera[3] / per_camera[0]);
  return 0;
}
