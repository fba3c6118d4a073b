// xl-router: alert log, camera states and client fan-out.
//
//   xl-router [--workers ENDPOINT] [--clients ENDPOINT] [--control ENDPOINT] [--media ENDPOINT] [--video ENDPOINT]
//   [--http ADDR:PORT]
//             [--rtsp ADDR:PORT] [--rtsp-threads N] [--rtsp-merge-ms N] [--rtsp-session-timeout-s N]
//             [--rtsp-max-players N] [--db FILE] [--exports DIR] [--regions FILE] [--worker-timeout-s N]
//             [--overdue-s N] [--key FILE] [--insecure-no-curve] [--worker-http ID=URL]...
//             [--session-max-s N] [--tls-cert FILE --tls-key FILE] [--gb-upper FILE]
//   --exports: where evidence exports are kept (default: exports/ beside the database).
//   --gb-upper: report to a GB/T 28181 upper platform as its lower platform (router/gb_upward/).
//   Every ZeroMQ endpoint binds loopback unless given, and speaks CURVE with the key pair in
//   --key (default: router.key beside the database; created on first start).
//   RTSP players log in as desk users (digest) and see their user's region only.
#include <spdlog/cfg/env.h>
#include <spdlog/spdlog.h>

#include <gst/gst.h>

#include <sys/resource.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <yaml-cpp/yaml.h>

#include "common/cli.h"
#include "common/exit_deadline.h"
#include "router/router.h"

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
    else if (!std::strcmp(arg, "--media") && (value = next())) config.media_endpoint = value;
    else if (!std::strcmp(arg, "--video") && (value = next())) config.video_endpoint = value;
    else if (!std::strcmp(arg, "--children") && (value = next())) config.children_endpoint = value;
    else if (!std::strcmp(arg, "--site-name") && (value = next())) config.site_name = value;
    else if (!std::strcmp(arg, "--parent") && (value = next())) config.parent.endpoint = value;
    else if (!std::strcmp(arg, "--parent-key") && (value = next())) config.parent.parent_key = value;
    else if (!std::strcmp(arg, "--gb-upper") && (value = next())) {
      auto gb = xl::router::LoadGbUpperConfig(value);
      if (!gb.ok()) {
        std::cerr << "xl-router: --gb-upper " << gb.error().message << "\n";
        return 2;
      }
      config.gb_upper = gb.value();
    } else if (!std::strcmp(arg, "--http") && (value = next()) && std::strchr(value, ':') &&
               xl::ParseIntArg(std::strrchr(value, ':') + 1, 0, 65535)) {
      config.http_address.assign(value, std::strrchr(value, ':'));
      config.http_port = int(*xl::ParseIntArg(std::strrchr(value, ':') + 1, 0, 65535));
    } else if (!std::strcmp(arg, "--rtsp") && (value = next()) && std::strchr(value, ':') &&
               xl::ParseIntArg(std::strrchr(value, ':') + 1, 0, 65535)) {
      config.rtsp.address.assign(value, std::strrchr(value, ':'));
      config.rtsp.port = int(*xl::ParseIntArg(std::strrchr(value, ':') + 1, 0, 65535));
    } else if (!std::strcmp(arg, "--rtsp-threads") && (value = next()) && xl::ParseIntArg(value, 0, 256)) {
      config.rtsp.threads = int(*xl::ParseIntArg(value, 0, 256));
    } else if (!std::strcmp(arg, "--rtsp-merge-ms") && (value = next()) && xl::ParseIntArg(value, 0, 1000)) {
      config.rtsp.merge_ms = int(*xl::ParseIntArg(value, 0, 1000));
    } else if (!std::strcmp(arg, "--rtsp-session-timeout-s") && (value = next()) && xl::ParseIntArg(value, 1, 3600)) {
      config.rtsp.session_timeout_s = int(*xl::ParseIntArg(value, 1, 3600));
    } else if (!std::strcmp(arg, "--rtsp-max-players") && (value = next()) && xl::ParseIntArg(value, 1, 100000)) {
      config.rtsp.max_players = size_t(*xl::ParseIntArg(value, 1, 100000));
    } else if (!std::strcmp(arg, "--rtsp-user")) {
      std::cerr << "xl-router: --rtsp-user is gone: RTSP players log in as desk users (digest), each seeing "
                   "their own region; create users in the desk or with `xl user add`\n";
      return 2;
    } else if (!std::strcmp(arg, "--db") && (value = next())) config.database = value;
    else if (!std::strcmp(arg, "--exports") && (value = next())) config.exports_dir = value;
    else if (!std::strcmp(arg, "--key") && (value = next())) config.key_file = value;
    else if (!std::strcmp(arg, "--tls-cert") && (value = next())) config.http_tls.cert_file = value;
    else if (!std::strcmp(arg, "--tls-key") && (value = next())) config.http_tls.key_file = value;
    else if (!std::strcmp(arg, "--worker-http") && (value = next()) && std::strchr(value, '=')) {
      config.worker_http[std::string(value, std::strchr(value, '='))] = std::strchr(value, '=') + 1;
    } else if (!std::strcmp(arg, "--insecure-no-curve")) config.curve = false;
    else if (!std::strcmp(arg, "--regions") && (value = next())) {
      // YAML mapping of region code → name: the desk's tree shows the names.
      try {
        for (const auto& kv : YAML::LoadFile(value)) {
          config.region_names[kv.first.as<std::string>()] = kv.second.as<std::string>();
        }
      } catch (const YAML::Exception& e) {
        std::cerr << "xl-router: --regions " << value << ": line " << e.mark.line + 1 << ": " << e.msg << "\n";
        return 2;
      }
    } else if (!std::strcmp(arg, "--worker-timeout-s") && (value = next()) && xl::ParseIntArg(value, 1, 86400))
      config.worker_timeout_ms = *xl::ParseIntArg(value, 1, 86400) * 1000;
    else if (!std::strcmp(arg, "--session-max-s") && (value = next()) && xl::ParseIntArg(value, 1, 7 * 86400))
      config.session_max_ms = *xl::ParseIntArg(value, 1, 7 * 86400) * 1000;
    else if (!std::strcmp(arg, "--overdue-s") && (value = next()) && xl::ParseIntArg(value, 1, 86400))
      config.overdue_ms = *xl::ParseIntArg(value, 1, 86400) * 1000;
    else if (!std::strcmp(arg, "--retain-days") && (value = next()) && xl::ParseIntArg(value, 1, 36500))
      config.retention.max_age_days = int(*xl::ParseIntArg(value, 1, 36500));
    else if (!std::strcmp(arg, "--retain-mb") && (value = next()) && xl::ParseIntArg(value, 0, 100000000))
      config.retention.max_size_mb = *xl::ParseIntArg(value, 0, 100000000);
    else {
      std::cerr << "usage: xl-router [--workers ENDPOINT] [--clients ENDPOINT] [--control ENDPOINT] "
                   "[--media ENDPOINT] [--video ENDPOINT] [--children ENDPOINT [--site-name NAME]] [--parent ENDPOINT "
                   "--parent-key "
                   "KEY|FILE] [--gb-upper FILE] [--http ADDR:PORT] [--rtsp ADDR:PORT] [--rtsp-threads N] "
                   "[--rtsp-merge-ms N] "
                   "[--rtsp-session-timeout-s N] [--rtsp-max-players N] [--db FILE] [--exports DIR] [--regions "
                   "FILE] [--worker-timeout-s N] [--overdue-s N] [--key FILE] [--insecure-no-curve] [--worker-http "
                   "ID=URL] [--session-max-s N] [--tls-cert FILE --tls-key FILE] [--retain-days N] [--retain-mb N]\n";
      return 2;
    }
  }
  // The desk's first admin password comes from the environment, never the command line (ps
  // shows that); used only while there are no desk users.
  if (const char* pw = std::getenv("XL_ADMIN_PASSWORD")) config.admin_password = pw;
  // And the token Prometheus shows to scrape /metrics.
  if (const char* token = std::getenv("XL_METRICS_TOKEN")) config.metrics_token = token;
  if (config.parent.endpoint.empty() != config.parent.parent_key.empty()) {
    std::cerr << "xl-router: --parent and --parent-key go together (the parent's children endpoint and its public "
                 "key, which it logs at start)\n";
    return 2;
  }
  if (config.http_tls.cert_file.empty() != config.http_tls.key_file.empty()) {
    std::cerr << "xl-router: --tls-cert and --tls-key go together (the certificate chain and its private key, PEM)\n";
    return 2;
  }
  // Players, browsers and clients each hold a socket: a thousand RTSP players alone pass
  // the usual soft limit of 1,024 open files. Raised to what the system allows.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  gst_init(&argc, &argv);
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  spdlog::cfg::load_env_levels();  // SPDLOG_LEVEL=debug shows more
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  zmq::context_t ctx(1);
  auto router = xl::router::Router::Create(config, ctx);
  if (!router.ok()) {
    spdlog::error("{}", router.error().message);
    return 1;
  }
  (*router)->Run(g_stop);
  xl::ExitIfStillRunningAfter(std::chrono::seconds(4), "router");  // SIGTERM to exit: under 5 s
  spdlog::info("router: stopped");
  return 0;
}
