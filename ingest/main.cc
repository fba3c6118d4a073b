// xl-ingest: runs the cameras of a YAML config and reports states and alerts to the router.
//
//   xl-ingest --config FILE [--check]
//     --check   validate the file and exit (0 valid, 2 invalid)
#include <gst/gst.h>
#include <spdlog/cfg/env.h>
#include <spdlog/spdlog.h>
#include <opencv2/core.hpp>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <set>
#include <string>

#include "common/exit_deadline.h"
#include "common/loopback.h"
#include "ingest/worker.h"
#include "ingest/worker_config.h"

int main(int argc, char** argv) {
  std::string path;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--config") && i + 1 < argc) path = argv[++i];
    else if (!std::strcmp(argv[i], "--check")) check = true;
    else {
      std::cerr << "usage: xl-ingest --config FILE [--check]\n";
      return 2;
    }
  }
  if (path.empty()) {
    std::cerr << "usage: xl-ingest --config FILE [--check]\n";
    return 2;
  }
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  spdlog::cfg::load_env_levels();  // SPDLOG_LEVEL=debug shows more
  auto config = xl::ingest::LoadWorkerConfig(path);
  if (!config.ok()) {
    spdlog::error("config refused: {}", config.error().message);
    return 2;
  }
  // Face and object models are read now, so a bad file stops the worker at start, not
  // camera by camera; each distinct set of models once (cameras share them).
  std::set<std::string> checked;
  for (const auto& camera : config->cameras) {
    const auto& a = camera.analytics;
    const std::string models = std::to_string(a.motion_enabled) + std::to_string(a.faces.enabled) + a.faces.detector +
                               "\n" + a.faces.model + "\n" + std::to_string(a.objects.enabled) + a.objects.model;
    if (!checked.insert(models).second) continue;
    if (auto made = xl::analytics::LoadDetectors(camera.analytics); !made.ok()) {
      spdlog::error("config refused: {}:{}: camera {}: {}", path, camera.line, camera.id, made.error().message);
      return 2;
    }
  }
  if (const char* token = std::getenv("XL_METRICS_TOKEN")) config->metrics_token = token;
  // Keys are read now too: a worker without them could never reach the router.
  auto keys = xl::LoadCurveClientKeys(config->key_file, config->router_key);
  if (!keys.ok()) {
    spdlog::error("config refused: {}: worker.key_file/router_key: {}", path, keys.error().message);
    return 2;
  }
  if (!xl::IsLoopbackAddress(config->http_address) && config->metrics_port) {
    spdlog::warn("worker {}: HTTP port {} listens on {}: reachable from the network", config->id, config->metrics_port,
                 config->http_address);
  }
  if (check) {
    std::cout << path << ": ok, " << config->cameras.size() << " cameras\n";
    return 0;
  }
  auto outbox = xl::delivery::Outbox::Open(config->outbox);
  if (!outbox.ok()) {
    spdlog::error("worker {}: cannot open its outbox: {}", config->id, outbox.error().message);
    return 1;
  }
  if (const auto kept = (*outbox)->stats().kept) {
    spdlog::info("worker {}: {} messages from before wait in the outbox {}", config->id, kept, config->outbox.path);
  }
  gst_init(&argc, &argv);
  // Cameras run in parallel already; OpenCV's own thread pool would only add switching.
  cv::setNumThreads(1);
  zmq::context_t ctx(1);
  int rc;
  {
    xl::ingest::Worker worker(std::move(config.value()), keys.value(), std::move(outbox.value()), ctx);
    rc = worker.Run();
    xl::ExitIfStillRunningAfter(std::chrono::seconds(4), "worker");  // SIGTERM to exit: under 5 s
  }
  return rc;
}
