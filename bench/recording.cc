// Recording: what continuous recording costs a worker, and how fast a recording starts playing.
//
//   recording [--cameras N] [--seconds S] [--players P] [--seeks K]
//
// N RTSP cameras (xl-camsim, vtest.avi as H.264 640×360 @ 10 fps) on one xl-ingest, motion and
// faults off (the smallest ingest cost, so recording's share is the largest it gets), run side
// by side in one program, alternating: recording off, on, off, on. Printed:
//   - the worker's CPU with recording off and on over S s, and their difference as a share of
//     the ingest CPU (goal ≤ 5 %); the recording writer thread's own CPU as a cross-check;
//   - bytes written to the recordings folder (segments and index) against the encoded bytes
//     the cameras sent in the same run (goal ≤ 1.05×);
//   - with P browsers' playback sockets open at once, each seeking K times to random moments of
//     random cameras: the time from the seek to the first chunk of video in the client, p50
//     and p99 (goal p99 ≤ 300 ms).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>

#include "common/clock.h"
#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"
#include "tests/support/web_socket.h"

using namespace xl::test;
using std::chrono::milliseconds;
using std::chrono::seconds;
using json = nlohmann::json;

namespace {

constexpr int kFps = 10;

// CPU seconds of the threads of `pid` named `name`.
double ThreadCpu(pid_t pid, const std::string& name) {
  double total = 0;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ec;
  for (const auto& t : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream comm(t.path() / "comm");
    std::string n;
    std::getline(comm, n);
    if (n != name) continue;
    std::ifstream stat(t.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const size_t close = line.rfind(')');
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; rest >> field; ++i) {
      if (i == 14) utime = std::atol(field.c_str());
      if (i == 15) {
        stime = std::atol(field.c_str());
        break;
      }
    }
    total += double(utime + stime) / double(sysconf(_SC_CLK_TCK));
  }
  return total;
}

uint64_t FolderBytes(const std::string& dir) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (f.is_regular_file(ec)) bytes += f.file_size(ec);
  }
  return bytes;
}

std::string CameraId(int i) {
  char id[32];
  std::snprintf(id, sizeof id, "330102010013200%05d", i + 1);
  return id;
}

struct Pass {
  double cores = 0;         // the worker's CPU over the window, in cores
  double writer_cores = 0;  // of its recording thread
  double stream_bytes = 0;  // the cameras' encoded bytes, whole run
  uint64_t disk_bytes = 0;  // in the recordings folder after the run
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5))];
}

}  // namespace

int main(int argc, char** argv) {
  int cameras = 100, measure_s = 30, players = 16, seeks = 15;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--cameras") cameras = std::atoi(argv[i + 1]);
    if (a == "--seconds") measure_s = std::atoi(argv[i + 1]);
    if (a == "--players") players = std::atoi(argv[i + 1]);
    if (a == "--seeks") seeks = std::atoi(argv[i + 1]);
  }
  System sys("bench-recording");
  const std::string clip = EncodeVtest640x360(sys.dir(), kFps);
  if (clip.empty()) return 1;
  std::vector<std::string> streams;
  for (int i = 0; i < cameras; ++i) streams.push_back(Numbered("c", i) + "=" + clip);
  // Each pass's cameras have IDs of their own: the router's registry keeps a camera's settings
  // as first offered, so a pass with recording on needs cameras it has not seen yet; a pass's
  // cameras leave the registry with their worker (else the router moves them to the next one).
  auto cameras_of_pass = [&](int round) {
    std::string yaml;
    for (int i = 0; i < cameras; ++i) {
      yaml += "  - {id: \"" + CameraId(round * cameras + i) + "\", name: " + Numbered("cam", i) + ", url: \"rtsp://" +
              kCamUser + ":" + kCamPassword + "@" + sys.RtspUrl(Numbered("c", i)).substr(7) + "\"}\n";
    }
    return yaml;
  };
  auto router = sys.StartRouter();
  auto camsim = sys.StartCamsim(streams);

  std::unique_ptr<Process> recording_worker;  // the last pass's, kept for the seeks
  int64_t recorded_from = 0;
  std::vector<Pass> off, on;
  for (int round = 0; round < 4; ++round) {
    const bool record = round % 2 == 1;
    const std::string folder = sys.dir() + "/recordings-" + std::to_string(round);
    const int metrics = FreePort();
    const std::string yaml =
        std::string("defaults: {motion: {enabled: false}, faults: {enabled: false}, record: {mode: ") +
        (record ? "continuous" : "off") + "}}\ncameras:\n" + cameras_of_pass(round);
    auto worker = sys.StartWorker("w" + std::to_string(round), yaml, metrics,
                                  "  recordings: {dir: " + folder + ", min_free_gb: 0.01}\n");
    if (!WaitUntil([&] { return CountOf(worker->Output(), "-> online") >= cameras; }, seconds(180))) {
      std::fprintf(stderr, "only %d of %d cameras came online; see %s\n", CountOf(worker->Output(), "-> online"),
                   cameras, worker->log_path().c_str());
      return 1;
    }
    if (record) recorded_from = xl::NowMs();
    std::this_thread::sleep_for(seconds(5));  // warm-up
    Pass p;
    const double cpu0 = CpuSeconds(worker->pid()), writer0 = ThreadCpu(worker->pid(), "xl-recording");
    const auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(seconds(measure_s));
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    p.cores = (CpuSeconds(worker->pid()) - cpu0) / wall;
    p.writer_cores = (ThreadCpu(worker->pid(), "xl-recording") - writer0) / wall;
    if (record && round == 3) {  // kept: the seeks play from it
      recording_worker = std::move(worker);
      on.push_back(p);
      break;
    }
    for (int i = 0; i < cameras; ++i)
      p.stream_bytes += std::max(0.0, CameraMetric(metrics, "xl_camera_bytes_total", CameraId(round * cameras + i)));
    worker->Stop();  // closes the open segments
    p.disk_bytes = FolderBytes(folder);
    // Out of the registry, or the router would hand them to the next pass's worker.
    for (int i = 0; i < cameras; ++i) sys.Api("DELETE", "/api/cameras/" + CameraId(round * cameras + i));
    (record ? on : off).push_back(p);
    std::printf("pass %d, recording %s: worker %.3f cores (writer thread %.4f)%s\n", round + 1, record ? "on " : "off",
                p.cores, p.writer_cores,
                record ? (", written " + std::to_string(p.disk_bytes) + " B for " +
                          std::to_string(uint64_t(p.stream_bytes)) + " B received")
                             .c_str()
                       : "");
    std::fflush(stdout);
  }
  std::printf("pass 4, recording on : worker %.3f cores (writer thread %.4f)\n", on.back().cores,
              on.back().writer_cores);

  // Seeks: P playback sockets at once, each seeking K times to random recorded moments.
  const std::string cookie = "Cookie: " + sys.AdminCookie() + "\r\n";
  std::mutex mu;
  std::vector<double> latencies;
  int failures = 0;
  const int64_t until = xl::NowMs() - 5000;
  std::vector<std::thread> threads;
  for (int i = 0; i < players; ++i) {
    threads.emplace_back([&, i] {
      std::mt19937 random(uint32_t(i) * 7919u + 1);
      for (int k = 0; k < seeks; ++k) {
        const std::string camera = CameraId(3 * cameras + int(random() % uint32_t(cameras)));  // the last pass's
        const int fd = OpenWebSocket(sys.HttpPort(), "/playback/" + camera, cookie);
        if (fd < 0) {
          std::lock_guard lock(mu);
          ++failures;
          continue;
        }
        WsReader ws(fd);
        const int64_t at =
            recorded_from + 3000 + int64_t(random() % uint64_t(std::max<int64_t>(1, until - recorded_from - 3000)));
        const auto t0 = std::chrono::steady_clock::now();
        ws.SendText(json{{"seek", at}, {"speed", 1}}.dump());
        bool got = false;
        bool chunk = false;
        while (auto m = ws.Next(seconds(10))) {
          if (m->text) {
            chunk = json::parse(m->data, nullptr, false).value("type", "") == "chunk";
            continue;
          }
          if (chunk) {
            got = true;
            break;
          }
        }
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        std::lock_guard lock(mu);
        if (got) latencies.push_back(ms);
        else ++failures;
        std::this_thread::sleep_for(milliseconds(200 + random() % 300));
      }
    });
  }
  for (auto& t : threads) t.join();

  double off_cores = 0, on_cores = 0, writer = 0, disk = 0, stream = 0;
  for (const Pass& p : off) off_cores += p.cores / double(off.size());
  for (const Pass& p : on) on_cores += p.cores / double(on.size()), writer += p.writer_cores / double(on.size());
  for (const Pass& p : on) {
    if (p.stream_bytes > 0) disk += double(p.disk_bytes), stream += p.stream_bytes;
  }
  const double share = (on_cores - off_cores) / off_cores;
  const double bytes_ratio = stream > 0 ? disk / stream : 0;
  const double p50 = Percentile(latencies, 0.5), p99 = Percentile(latencies, 0.99);
  std::printf(
      "\n%d cameras, %d s windows: ingest %.3f cores without recording, %.3f with: +%.1f %% "
      "(writer thread %.1f %% of ingest)\n",
      cameras, measure_s, off_cores, on_cores, share * 100, writer / off_cores * 100);
  std::printf("written %.0f B for %.0f B received: %.3f×\n", disk, stream, bytes_ratio);
  std::printf(
      "seek → first chunk in the client, %d sockets × %d seeks: p50 %.0f ms, p99 %.0f ms (%zu seeks, %d failed)\n",
      players, seeks, p50, p99, latencies.size(), failures);
  std::printf(
      "SUMMARY recording: CPU +%.1f %% of ingest (goal <= 5), bytes %.3fx (goal <= 1.05), seek p99 %.0f ms at %d "
      "playbacks (goal <= 300)\n",
      share * 100, bytes_ratio, p99, players);
  recording_worker->Stop();
  return 0;
}
