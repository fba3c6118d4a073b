// xl-camsim: simulated RTSP cameras from real clips, looped, without per-client encoding.
//
//   xl-camsim [--port 8554] [--bind ADDR] [--user U --password P]
//             [--transcode] [--codec h264|h265] [--size WxH] [--fps N] [--bitrate KBPS]
//             --stream NAME=FILE [--stream NAME=FILE[,codec=h265][,split-keyframes][,mark=S]] ...
//
//   xl-camsim --gb28181 HOST:PORT ...   simulated GB/T 28181 devices instead (gb28181_main.cc)
//
// Each stream is served at rtsp://HOST:PORT/NAME. Files already in H.264/H.265 are sent as
// they are; other codecs (or all files, with --transcode) are encoded once at start.
#include <glib-unix.h>
#include <gst/gst.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>

#include "common/cli.h"
#include "tools/camsim/clip_cache.h"
#include "tools/camsim/encoded_clip.h"
#include "tools/camsim/gb28181_device.h"
#include "tools/camsim/rtsp_mounts.h"

namespace {

constexpr const char* kUsage =
    "usage: xl-camsim [--port N] [--bind ADDR] [--user U --password P] [--transcode]\n"
    "                 [--codec h264|h265] [--size WxH] [--fps N] [--bitrate KBPS] [--cache DIR]\n"
    "                 --stream NAME=FILE[,codec=h264|h265][,split-keyframes][,mark=S] ...\n";

struct StreamSpec {
  std::string name, file;
  xl::camsim::ClipOptions options;
  bool split_keyframes = false;  // ",split-keyframes": a flawed sender (RtspMounts::Add)
  double mark_s = -1;            // ",mark=S": log when second S of each loop is due (RtspMounts::Add)
};

}  // namespace

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--gb28181") == 0) return xl::camsim::RunGbDevices(argc, argv);
  }
  xl::camsim::ServerOptions server;
  xl::camsim::ClipOptions defaults;
  std::vector<StreamSpec> streams;
  std::string cache_dir;  // transcoded clips kept here between runs
  std::vector<std::pair<size_t, std::string>> codec_overrides;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    auto take = [&] {
      ++i;
      return std::string(v);
    };
    if (arg == "--transcode") defaults.transcode = true;
    else if (!v) {
      std::cerr << kUsage;
      return 2;
    } else if (arg == "--port" || arg == "--fps" || arg == "--bitrate") {
      auto n = xl::ParseIntArg(take(), 1, arg == "--port" ? 65535 : 100000);
      if (!n) {
        std::cerr << arg << " must be a positive number\n";
        return 2;
      }
      (arg == "--port" ? server.port : arg == "--fps" ? defaults.fps : defaults.bitrate_kbps) = int(*n);
    } else if (arg == "--bind") server.bind = take();
    else if (arg == "--cache") cache_dir = take();
    else if (arg == "--user") server.user = take();
    else if (arg == "--password") server.password = take();
    else if (arg == "--codec") defaults.codec = take();
    else if (arg == "--size") {
      if (std::sscanf(take().c_str(), "%dx%d", &defaults.width, &defaults.height) != 2) {
        std::cerr << "--size must be WxH\n";
        return 2;
      }
    } else if (arg == "--stream") {
      std::string spec = take();
      size_t eq = spec.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::cerr << "--stream must be NAME=FILE\n";
        return 2;
      }
      StreamSpec s{spec.substr(0, eq), spec.substr(eq + 1), {}};
      if (const size_t flag = s.file.find(",mark="); flag != std::string::npos) {
        const size_t end = s.file.find(',', flag + 1);
        const std::string value =
            s.file.substr(flag + 6, end == std::string::npos ? std::string::npos : end - flag - 6);
        char* rest = nullptr;
        s.mark_s = std::strtod(value.c_str(), &rest);
        if (value.empty() || *rest || s.mark_s < 0) {
          std::cerr << "--stream " << s.name << ": mark must be a number of seconds, not '" << value << "'\n";
          return 2;
        }
        s.file.erase(flag, end == std::string::npos ? std::string::npos : end - flag);
      }
      if (const size_t flag = s.file.find(",split-keyframes"); flag != std::string::npos) {
        s.split_keyframes = true;
        s.file.erase(flag, std::string(",split-keyframes").size());
      }
      size_t comma = s.file.find(",codec=");
      if (comma != std::string::npos) {
        codec_overrides.emplace_back(streams.size(), s.file.substr(comma + 7));
        s.file.resize(comma);
      }
      streams.push_back(std::move(s));
    } else {
      std::cerr << kUsage;
      return 2;
    }
  }
  if (streams.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  for (StreamSpec& s : streams) s.options = defaults;
  for (auto& [index, codec] : codec_overrides) {
    if (codec != "h264" && codec != "h265") {
      std::cerr << "codec must be h264 or h265\n";
      return 2;
    }
    streams[index].options.codec = codec;
    streams[index].options.transcode = true;
  }

  // Load each distinct (file, options) once; streams share clips.
  // Shared with the streams' feeders, which may outlive main's scope on the streaming threads.
  std::map<std::string, std::shared_ptr<const xl::camsim::EncodedClip>> clips;
  xl::camsim::RtspMounts mounts(server);
  for (const StreamSpec& s : streams) {
    const auto& o = s.options;
    std::string key = s.file + "|" + std::to_string(o.transcode) + o.codec + std::to_string(o.width) + "x" +
                      std::to_string(o.height) + "@" + std::to_string(o.fps);
    auto& clip = clips[key];
    if (!clip) {
      auto loaded = xl::camsim::LoadClipCached(cache_dir, s.file, o);
      if (!loaded.ok()) {
        spdlog::error("camsim: {}", loaded.error().message);
        return 1;
      }
      clip = std::make_shared<const xl::camsim::EncodedClip>(std::move(loaded.value()));
    }
    mounts.Add(s.name, clip, s.split_keyframes, s.mark_s);
    spdlog::info("camsim: serving rtsp://{}:{}/{}", server.bind, server.port, s.name);
  }
  if (!mounts.Attach()) {
    spdlog::error("camsim: cannot listen on {}:{}", server.bind, server.port);
    return 1;
  }
  GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
  auto quit = +[](gpointer l) -> gboolean {
    g_main_loop_quit(static_cast<GMainLoop*>(l));
    return G_SOURCE_REMOVE;
  };
  g_unix_signal_add(SIGINT, quit, loop);
  g_unix_signal_add(SIGTERM, quit, loop);
  spdlog::info("camsim: ready");
  g_main_loop_run(loop);
  g_main_loop_unref(loop);
  return 0;
}
