// xl-camsim --gb28181: simulated GB/T 28181 devices (see gb28181_device.h).
//
//   xl-camsim --gb28181 HOST:PORT --password P [--transport udp|tcp] [--device-id ID]
//             [--devices N] [--channels N] [--catalog-page N] [--record-page N] [--keepalive-s S]
//             [--platform-id ID] [--realm R] [--media FILE[,codec=h264|h265]]... [--cache DIR]
//             [--stall-media-after S] [--garbage] [--expires-s S] [--quirk Q[,Q]...]
//
// Devices get consecutive IDs from --device-id. Channel i of a device answers INVITE with
// the i-th --media clip (cycling), as MPEG-PS over RTP, and RecordInfo with that clip's loops
// as its recordings (gb28181_device.h). SIGUSR1/SIGUSR2 pause and resume
// keepalives; SIGHUP hangs up every live call with a BYE.
#include <glib-unix.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <iostream>
#include <vector>

#include "common/cli.h"
#include "tools/camsim/clip_cache.h"
#include "tools/camsim/gb28181_device.h"

namespace xl::camsim {

namespace {
constexpr const char* kGbUsage =
    "usage: xl-camsim --gb28181 HOST:PORT --password P [--transport udp|tcp] [--device-id ID] [--devices N]\n"
    "                 [--channels N] [--catalog-page N] [--record-page N] [--keepalive-s S] [--platform-id ID]\n"
    "                 [--realm R]\n"
    "                 [--media FILE[,codec=h264|h265]]... [--cache DIR] [--stall-media-after S] [--garbage]\n"
    "                 [--expires-s S] [--quirk Q[,Q]...]   (quirks: see --quirk help)\n";

struct Devices {
  std::vector<std::unique_ptr<GbDeviceSim>> list;
};
}  // namespace

int RunGbDevices(int argc, char** argv) {
  GbDeviceOptions o;
  int devices = 1;
  std::vector<std::pair<std::string, ClipOptions>> media;
  std::string cache_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--garbage") {
      o.garbage = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::cerr << kGbUsage;
      return 2;
    }
    const std::string v = argv[++i];
    auto number = [&](long max) {
      auto n = ParseIntArg(v, 0, max);
      if (!n) {
        std::cerr << arg << " must be a number from 0 to " << max << "\n";
        std::exit(2);
      }
      return int(*n);
    };
    if (arg == "--gb28181") {
      const size_t colon = v.rfind(':');
      if (colon == std::string::npos) {
        std::cerr << "--gb28181 must be HOST:PORT\n";
        return 2;
      }
      o.server_host = v.substr(0, colon);
      auto port = ParseIntArg(v.substr(colon + 1), 1, 65535);
      if (!port) {
        std::cerr << "--gb28181 must be HOST:PORT\n";
        return 2;
      }
      o.server_port = int(*port);
    } else if (arg == "--transport") {
      if (v != "udp" && v != "tcp") {
        std::cerr << "--transport must be udp or tcp\n";
        return 2;
      }
      o.transport = v;
    } else if (arg == "--device-id") {
      if (v.size() != 20 || v.find_first_not_of("0123456789") != std::string::npos) {
        std::cerr << "--device-id must be 20 digits\n";
        return 2;
      }
      o.device_id = v;
    } else if (arg == "--devices") devices = number(100000);
    else if (arg == "--password") o.password = v;
    else if (arg == "--channels") o.channels = number(10000);
    else if (arg == "--catalog-page") o.catalog_page = number(1000);
    else if (arg == "--record-page") o.record_page = std::max(1, number(1000));
    else if (arg == "--keepalive-s") o.keepalive_s = std::max(1, number(3600));
    else if (arg == "--platform-id") o.platform_id = v;
    else if (arg == "--realm") o.realm = v;
    else if (arg == "--cache") cache_dir = v;
    else if (arg == "--stall-media-after") o.stall_media_after_s = number(86400);
    else if (arg == "--expires-s") o.expires_s = std::max(2, number(86400));
    else if (arg == "--quirk") {
      for (size_t at = 0; at <= v.size();) {
        const size_t comma = std::min(v.find(',', at), v.size());
        const std::string quirk = v.substr(at, comma - at);
        if (!kGbQuirks.count(quirk)) {
          std::cerr << "--quirk: unknown quirk '" << quirk << "'; known:";
          for (const std::string& q : kGbQuirks) std::cerr << " " << q;
          std::cerr << " (tools/camsim/gb28181_device.h says what each does)\n";
          return 2;
        }
        o.quirks.insert(quirk);
        at = comma + 1;
      }
    } else if (arg == "--media") {
      ClipOptions clip;
      std::string file = v;
      if (size_t comma = file.find(",codec="); comma != std::string::npos) {
        clip.codec = file.substr(comma + 7);
        clip.transcode = true;
        file.resize(comma);
        if (clip.codec != "h264" && clip.codec != "h265") {
          std::cerr << "codec must be h264 or h265\n";
          return 2;
        }
      }
      media.emplace_back(file, clip);
    } else {
      std::cerr << kGbUsage;
      return 2;
    }
  }
  for (const auto& [file, options] : media) {
    auto clip = LoadClipCached(cache_dir, file, options);
    if (!clip.ok()) {
      spdlog::error("camsim: {}", clip.error().message);
      return 1;
    }
    o.media.push_back(std::make_shared<const EncodedClip>(std::move(clip.value())));
  }
  // One socket per device: lift the open-file limit to what the system allows.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  Devices all;
  const long long first = std::stoll(o.device_id.substr(10));
  for (int i = 0; i < devices; ++i) {
    GbDeviceOptions one = o;
    char tail[16];
    std::snprintf(tail, sizeof tail, "%010lld", (first + i) % 10000000000LL);
    one.device_id = o.device_id.substr(0, 10) + tail;
    auto d = GbDeviceSim::Start(one);
    if (!d.ok()) {
      spdlog::error("{}", d.error().message);
      return 1;
    }
    all.list.push_back(std::move(d.value()));
  }
  GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
  auto quit = +[](gpointer l) -> gboolean {
    g_main_loop_quit(static_cast<GMainLoop*>(l));
    return G_SOURCE_REMOVE;
  };
  g_unix_signal_add(SIGINT, quit, loop);
  g_unix_signal_add(SIGTERM, quit, loop);
  g_unix_signal_add(
      SIGUSR1,
      +[](gpointer p) -> gboolean {
        for (auto& d : static_cast<Devices*>(p)->list) d->PauseKeepalives(true);
        return G_SOURCE_CONTINUE;
      },
      &all);
  g_unix_signal_add(
      SIGUSR2,
      +[](gpointer p) -> gboolean {
        for (auto& d : static_cast<Devices*>(p)->list) d->PauseKeepalives(false);
        return G_SOURCE_CONTINUE;
      },
      &all);
  g_unix_signal_add(
      SIGHUP,
      +[](gpointer p) -> gboolean {
        for (auto& d : static_cast<Devices*>(p)->list) d->HangUpAll();
        return G_SOURCE_CONTINUE;
      },
      &all);
  spdlog::info("camsim: ready ({} GB28181 devices)", devices);
  g_main_loop_run(loop);
  all.list.clear();
  g_main_loop_unref(loop);
  return 0;
}

}  // namespace xl::camsim
