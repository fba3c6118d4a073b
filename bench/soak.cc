// Soak: the churn of months in minutes, watching what every process holds on to.
//
//   soak [--flaps N] [--viewers N] [--devices N] [--waves W] [--cameras C]
//
// Three kinds of churn, each spread over W waves after a warm-up wave:
//   camera flaps      the camera simulator (C streams of vtest.avi) is killed -9 and started
//                     again: every camera of the worker goes offline and comes back (N in all)
//   browser viewers   N WebSocket viewers of the router's live video (/live/<camera>), 50 at a
//                     time, each taking a few frames and leaving
//   GB28181 devices   N devices (one xl-camsim --gb28181) register with a second worker (which
//                     runs some of the RTSP cameras too: the router spreads them), report an
//                     empty catalog (channels would become thousands of cameras: the
//                     registration churn is what is soaked) and keep alive; then they all
//                     vanish and expire
// After the warm-up and after every wave (once things have settled), the RSS, threads and
// open file descriptors of the router, the RTSP worker and the GB28181 worker are sampled.
// The verdict: RSS growth from the warm-up to the end under 5 %; threads and descriptors
// back at the warm-up's count after each wave.
#include <dirent.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "common/http_client.h"
#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"
#include "tests/support/web_socket.h"

using namespace xl::test;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

struct Sample {
  double rss_mb = 0;
  double anon_mb = 0;  // of which the heap, stacks and other private memory (the rest: mapped files)
  int threads = 0, fds = 0;
};

Sample SampleOf(pid_t pid) {
  Sample s;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_mb = std::atof(line.c_str() + 6) / 1024;
    if (line.rfind("RssAnon:", 0) == 0) s.anon_mb = std::atof(line.c_str() + 8) / 1024;
    if (line.rfind("Threads:", 0) == 0) s.threads = std::atoi(line.c_str() + 8);
  }
  if (DIR* d = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
    while (readdir(d)) ++s.fds;
    closedir(d);
    s.fds -= 2;  // . and ..
  }
  return s;
}

// GB28181 devices online at a worker (its /gb28181/devices), -1 when it cannot be read.
int DevicesOnline(int port) {
  auto r =
      xl::HttpCall("GET", "http://127.0.0.1:" + std::to_string(port) + "/gb28181/devices", "", "", 30, AsScraper());
  if (!r.ok() || r->status != 200) return -1;
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (!j.is_object()) return -1;
  int online = 0;
  for (const auto& d : j["devices"]) online += d["online"] == true;
  return online;
}

double MetricOf(int port, const std::string& sample) {
  auto r = xl::HttpCall("GET", "http://127.0.0.1:" + std::to_string(port) + "/metrics", "", "", 10, AsScraper());
  if (!r.ok()) return -1;
  const size_t at = r->body.find("\n" + sample + " ");
  return at == std::string::npos ? -1 : std::atof(r->body.c_str() + at + sample.size() + 2);
}

}  // namespace

int main(int argc, char** argv) {
  int flaps = 1000, viewers = 1000, devices = 2000, waves = 5, cameras = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--flaps") flaps = std::atoi(argv[i + 1]);
    else if (a == "--viewers") viewers = std::atoi(argv[i + 1]);
    else if (a == "--devices") devices = std::atoi(argv[i + 1]);
    else if (a == "--waves") waves = std::atoi(argv[i + 1]);
    else if (a == "--cameras") cameras = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: soak [--flaps N] [--viewers N] [--devices N] [--waves W] [--cameras C]\n");
      return 2;
    }
  }
  System sys("bench-soak");
  std::vector<std::string> streams, ids;
  std::string yaml = "cameras:\n";
  for (int i = 0; i < cameras; ++i) {
    streams.push_back(Numbered("s", i) + "=" + Fixture("vtest.avi"));
    char id[32];
    std::snprintf(id, sizeof id, "330102010013200001%02d", i);
    ids.push_back(id);
    yaml += "  - {id: \"" + ids.back() + "\", name: " + Numbered("cam", i) + ", url: \"" +
            sys.RtspUrl(Numbered("s", i)) + "\", username: " + kCamUser + ", password: \"" + kCamPassword +
            "\", faults: {enabled: false}}\n";
  }
  auto camsim = sys.StartCamsim(streams);
  auto router = sys.StartRouter();
  const int rtsp_metrics = FreePort(), sip = FreePort(), gb_metrics = FreePort();
  auto worker = sys.StartWorker("w1", "defaults: {watchdog_s: 5}\n" + yaml, rtsp_metrics);
  auto gb_worker = sys.StartWorker("gb", "cameras: []\n", gb_metrics,
                                   "  gb28181: {enabled: true, bind: 127.0.0.1, port: " + std::to_string(sip) +
                                       ", password: soakpw, keepalive_s: 1, keepalive_misses: 3}\n");
  // The router spreads the cameras over both workers (the GB28181 one runs some too).
  auto online = [&] {
    return MetricOf(rtsp_metrics, "xl_worker_cameras{state=\"online\"}") +
           MetricOf(gb_metrics, "xl_worker_cameras{state=\"online\"}");
  };
  if (!WaitUntil([&] { return online() == cameras; }, seconds(120))) {
    std::fprintf(stderr, "soak: the cameras did not come online\n%s\n", worker->Output().c_str());
    return 1;
  }
  const std::string cookie = sys.AdminCookie();
  const int http_port = std::stoi(sys.HttpBase().substr(sys.HttpBase().rfind(':') + 1));

  int flapped = 0, viewed = 0, registered = 0;
  bool all_ok = true;
  auto flap = [&](int n) {
    for (int done = 0; done < n; done += cameras) {
      camsim->Kill();
      camsim = sys.StartCamsim(streams);
      // Offline first (the worker noticed), then every camera back.
      WaitUntil([&] { return online() < cameras; }, seconds(20));
      if (!WaitUntil([&] { return online() == cameras; }, seconds(60))) {
        std::fprintf(stderr, "soak: cameras did not come back after a flap\n");
        all_ok = false;
      }
      flapped += cameras;
    }
  };
  auto view = [&](int n) {
    for (int done = 0; done < n; done += 50) {
      std::vector<std::unique_ptr<WsReader>> batch;
      for (int i = 0; i < 50 && done + i < n; ++i) {
        const int fd = OpenWebSocket(http_port, "/live/" + ids[size_t(i) % ids.size()],
                                     "Cookie: " + cookie + "\r\nOrigin: " + sys.HttpBase() + "\r\n");
        if (fd >= 0) batch.push_back(std::make_unique<WsReader>(fd));
      }
      int fed = 0;
      for (auto& r : batch) {
        for (int t = 0; t < 50 && r->frames() < 3; ++t) r->WaitForClose(milliseconds(100));
        fed += r->frames() >= 3;
      }
      if (fed < int(batch.size()) || int(batch.size()) < std::min(50, n - done)) {
        std::fprintf(stderr, "soak: %d of %d viewers got video\n", fed, std::min(50, n - done));
        all_ok = false;
      }
      viewed += int(batch.size());
    }  // closed: they leave
  };
  auto devices_wave = [&] {
    Process sim({Binary("tools/xl-camsim"), "--gb28181", "127.0.0.1:" + std::to_string(sip), "--devices",
                 std::to_string(devices), "--channels", "0", "--keepalive-s", "1", "--password", "soakpw"},
                sys.dir() + "/gb-devices.log");
    // Polled every 2 s: a listing of thousands of devices is itself work for the worker.
    auto wait_online = [&](int want, int wait_s) {
      for (int t = 0; t < wait_s / 2; ++t) {
        if (DevicesOnline(gb_metrics) == want) return true;
        std::this_thread::sleep_for(seconds(2));
      }
      return false;
    };
    if (!wait_online(devices, 180)) {
      std::fprintf(stderr, "soak: not every device registered (%d online)\n", DevicesOnline(gb_metrics));
      all_ok = false;
    }
    registered += devices;
    sim.Kill();  // they all vanish at once: they expire after 3 missed keepalives
    if (!wait_online(0, 60)) {
      std::fprintf(stderr, "soak: devices did not expire\n");
      all_ok = false;
    }
  };

  struct Row {
    std::string label;
    Sample router, worker, gb;
  };
  std::vector<Row> rows;
  auto sample = [&](const std::string& label) {
    // Settle: viewers gone, lingers over, and GLib's shared thread pool has stopped its idle
    // threads (after 15 s).
    std::this_thread::sleep_for(seconds(20));
    rows.push_back({label, SampleOf(router->pid()), SampleOf(worker->pid()), SampleOf(gb_worker->pid())});
    const Row& r = rows.back();
    std::printf(
        "%-8s router %6.1f MB (%5.1f anon) %3d thr %4d fd | worker %6.1f MB (%5.1f anon) %3d thr %4d fd | gb "
        "worker %6.1f MB (%5.1f anon) %3d thr %4d fd\n",
        r.label.c_str(), r.router.rss_mb, r.router.anon_mb, r.router.threads, r.router.fds, r.worker.rss_mb,
        r.worker.anon_mb, r.worker.threads, r.worker.fds, r.gb.rss_mb, r.gb.anon_mb, r.gb.threads, r.gb.fds);
    std::fflush(stdout);
  };

  std::printf(
      "soak: %d camera flaps over %d cameras, %d viewers, %d GB28181 devices per wave; %d waves after a "
      "warm-up\n",
      flaps, cameras, viewers, devices, waves);
  flap(cameras);
  view(50);
  devices_wave();
  sample("warm-up");
  for (int w = 1; w <= waves; ++w) {
    flap(flaps / waves);
    view(viewers / waves);
    devices_wave();
    sample(Numbered("wave ", w));
  }

  const Row& base = rows.front();
  const Row& last = rows.back();
  auto growth = [](double a, double b) { return a > 0 ? (b - a) / a * 100 : 0; };
  bool back = true;
  for (const Row& r : rows) {
    back &= r.router.threads == base.router.threads && r.worker.threads == base.worker.threads &&
            r.gb.threads == base.gb.threads && r.router.fds == base.router.fds && r.worker.fds == base.worker.fds &&
            r.gb.fds == base.gb.fds;
  }
  const double g_router = growth(base.router.rss_mb, last.router.rss_mb),
               g_worker = growth(base.worker.rss_mb, last.worker.rss_mb), g_gb = growth(base.gb.rss_mb, last.gb.rss_mb);
  const bool ok = all_ok && back && g_router < 5 && g_worker < 5 && g_gb < 5;
  std::printf(
      "summary: soak %d flaps, %d viewers, %d device registrations: RSS growth after warm-up router %+.1f %%, "
      "worker %+.1f %%, gb worker %+.1f %%; threads and fds back to the warm-up's after every wave: %s — %s\n",
      flapped, viewed, registered, g_router, g_worker, g_gb, back ? "yes" : "NO", ok ? "ok" : "NOT OK");
  return ok ? 0 : 1;
}
