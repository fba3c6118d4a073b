// Alert latency: from the onset of motion in the source to the alert at a client, with many
// cameras running, measured on the real processes (xl-camsim → xl-ingest → xl-router →
// xl-console) on loopback.
//
//   alert_latency [--cameras 64] [--loops 3] [--fps 5] [--min-frames 1]
//
// The clip is a street that stays still for 15 s, has pedestrians for 10 s, then is still
// for 40 s (tests/support/media.h, StreetWithPassersBy), looped. xl-camsim serves it on 4
// mounts and logs, each loop, when the first frame with motion (15.1 s) is due to go out
// (`,mark=`); the cameras are spread over the mounts. Each camera's motion event start that
// reaches the console is one sample: the console's receive time minus that mount's last
// mark. Prints p50/p99/max, the cameras that missed an onset, and a summary line.
#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"

using namespace xl::test;
using json = nlohmann::json;
using std::chrono::seconds;

namespace {

constexpr int kMounts = 4;
constexpr double kOnsetS = 15.1;  // the first pedestrian frame that differs from the still
constexpr double kLoopS = 65;

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(p * double(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  int cameras = 64, loops = 3, min_frames = 1;
  double fps = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--cameras") cameras = std::atoi(argv[i + 1]);
    else if (a == "--loops") loops = std::atoi(argv[i + 1]);
    else if (a == "--fps") fps = std::atof(argv[i + 1]);
    else if (a == "--min-frames") min_frames = std::atoi(argv[i + 1]);
  }
  System sys("bench-latency");
  const std::string clip = StreetWithPassersBy(sys.dir());
  if (clip.empty()) return 1;
  std::vector<std::string> streams;
  for (int m = 0; m < kMounts; ++m) {
    streams.push_back("street" + std::to_string(m) + "=" + clip + ",mark=" + std::to_string(kOnsetS));
  }
  auto camsim = sys.StartCamsim(streams);
  auto router = sys.StartRouter();
  auto console = sys.StartConsole("console.log");
  std::string cams = "defaults:\n  analysis: {fps: " + std::to_string(fps) +
                     "}\n  faults: {enabled: false}\n  events: {min_frames: " + std::to_string(min_frames) +
                     "}\ncameras:\n";
  std::map<std::string, int> mount_of;
  for (int i = 0; i < cameras; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "330102010013200%05d", 100 + i);
    mount_of[id] = i % kMounts;
    cams += "  - id: \"" + std::string(id) + "\"\n    name: cam" + std::to_string(i) +
            "\n    url: " + sys.RtspUrl("street" + std::to_string(i % kMounts)) + "\n    username: " + kCamUser +
            "\n    password: " + kCamPassword + "\n";
  }
  auto worker = sys.StartWorker("w1", cams);

  // Marks per mount, from the simulator's log.
  auto marks = [&] {
    std::map<int, std::vector<int64_t>> out;
    for (const std::string& line : camsim->Lines()) {
      const size_t at = line.find("camsim: /street");
      if (at == std::string::npos || line.find(" mark at ") == std::string::npos) continue;
      const int mount = line[at + 15] - '0';
      out[mount].push_back(std::stoll(line.substr(line.find(" mark at ") + 9)));
    }
    return out;
  };
  // Wait for `loops` onsets after the first (the first may find cameras still connecting).
  const bool done = WaitUntil(
      [&] {
        auto m = marks();
        return m.size() == size_t(kMounts) &&
               std::all_of(m.begin(), m.end(), [&](const auto& kv) { return int(kv.second.size()) >= loops + 1; });
      },
      seconds(int((loops + 1) * kLoopS + 60)));
  std::this_thread::sleep_for(seconds(5));  // the last onset's alerts arrive
  if (!done) {
    std::fprintf(stderr, "the simulator logged too few marks\n");
    return 1;
  }
  const auto all_marks = marks();
  std::vector<double> latencies;
  int missed = 0, expected = 0;
  std::map<std::pair<std::string, int64_t>, double> seen;  // (camera, mark) → latency ms
  for (const std::string& line : console->Lines()) {
    const json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || j.value("type", "") != "alert" || j["kind"] != "motion" || j["phase"] != "start") continue;
    const std::string camera = j["camera"];
    const int64_t received = j["received_ms"];
    const auto& ms = all_marks.at(mount_of.at(camera));
    // The mark this start answers: the last one before it, if it came within 10 s.
    const auto after = std::upper_bound(ms.begin(), ms.end(), received);
    if (after == ms.begin()) continue;
    const int64_t mark = *(after - 1);
    if (received - mark > 10000 || mark == ms.front()) continue;  // not an onset's, or the first loop
    seen.emplace(std::pair{camera, mark}, double(received - mark));
  }
  for (const auto& [camera, mount] : mount_of) {
    const auto& ms = all_marks.at(mount);
    for (size_t k = 1; k < ms.size() && k <= size_t(loops); ++k) {
      ++expected;
      const auto it = seen.find({camera, ms[k]});
      if (it == seen.end()) ++missed;
      else latencies.push_back(it->second);
    }
  }
  const double p50 = Percentile(latencies, 0.5), p99 = Percentile(latencies, 0.99),
               max = latencies.empty() ? 0 : *std::max_element(latencies.begin(), latencies.end());
  std::printf("cameras %d, analysis %.0f fps, events.min_frames %d, %d onsets each (%d expected)\n", cameras, fps,
              min_frames, loops, expected);
  std::printf("onset → alert at the console: p50 %.0f ms, p99 %.0f ms, max %.0f ms over %zu alerts; missed %d\n", p50,
              p99, max, latencies.size(), missed);
  std::printf("summary: alert latency p99 %.0f ms with %d cameras (goal ≤ 300 ms): %s\n", p99, cameras,
              p99 <= 300 && missed == 0 ? "met" : "NOT met");
  return 0;
}
