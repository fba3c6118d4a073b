// xl-router: alert log, camera states and client fan-out.
//
//   xl-router [--workers ENDPOINT] [--clients ENDPOINT] [--control ENDPOINT] [--http ADDR:PORT]
//             [--db FILE] [--worker-timeout-s N]
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstring>
#include <iostream>

#include "router/router.h"
#include "xl/cli.h"

namespace {
std::atomic<bool> g_stop{false};  // set by the signal handler only
void OnSignal(int) { g_stop = true; }
}  // namespace

int main(int argc, char** argv) {
  xl::router::RouterConfig config;
  for (int i = 1; i < argc; ++i) {
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* arg = argv[i];
    const char* value = nullptr;
    if (!std::strcmp(arg, "--workers") && (value = next())) config.worker_endpoint = value;
    else if (!std::strcmp(arg, "--clients") && (value = next())) config.client_endpoint = value;
    else if (!std::strcmp(arg, "--control") && (value = next())) config.control_endpoint = value;
    else if (!std::strcmp(arg, "--http") && (value = next()) && std::strchr(value, ':') &&
             xl::ParseIntArg(std::strrchr(value, ':') + 1, 0, 65535)) {
      config.http_address.assign(value, std::strrchr(value, ':'));
      config.http_port = int(*xl::ParseIntArg(std::strrchr(value, ':') + 1, 0, 65535));
    }
    else if (!std::strcmp(arg, "--db") && (value = next())) config.database = value;
    else if (!std::strcmp(arg, "--worker-timeout-s") && (value = next()) && xl::ParseIntArg(value, 1, 86400))
      config.worker_timeout_ms = *xl::ParseIntArg(value, 1, 86400) * 1000;
    else {
      std::cerr << "usage: xl-router [--workers ENDPOINT] [--clients ENDPOINT] [--control ENDPOINT] "
                   "[--http ADDR:PORT] [--db FILE] [--worker-timeout-s N]\n";
      return 2;
    }
  }
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  zmq::context_t ctx(1);
  auto router = xl::router::Router::Create(config, ctx);
  if (!router.ok()) {
    spdlog::error("{}", router.error().message);
    return 1;
  }
  (*router)->Run(g_stop);
  spdlog::info("router: stopped");
  return 0;
}
