// xl-console: camera states and alerts, live, in a terminal.
//
//   xl-console [--router ENDPOINT] [--key FILE] [--router-key KEY] [--region PREFIX]... [--after SEQ]
//              [--json] [--snapshots DIR] [--exit-after SECONDS] [--watch CAMERA_ID [--out FILE]]
//   xl-console [--router ENDPOINT] [--key FILE] [--router-key KEY] --ptz CAMERA_ID ACTION [--speed N] [--preset N]
//
// --key is this client's CURVE key pair (`xl key gen`), registered at the router for a desk
// user (`xl key add --user NAME`): the console sees what that user sees. --router-key is the
// router's public key (or a file with it). Defaults: $XL_KEY and $XL_ROUTER_KEY.
//
// Resumes by sequence number after a reconnect, so nothing is missed; --after SEQ replays
// every logged alert after SEQ first. --json prints one JSON object per line (for scripts).
// --watch receives the camera's live video; --out writes it to FILE as a raw H.264/H.265
// stream (from the first keyframe on) that ffprobe/ffplay read. --ptz moves a GB28181
// camera (ACTION: up, down, left, right, zoom_in, zoom_out, stop, preset_goto, preset_set)
// and exits: 0 when the router passed the command on, 1 with the reason when it did not.
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include "common/cli.h"
#include "common/clock.h"
#include "common/json_text.h"
#include "proto/wire/wire.h"
#include "tools/console/console_client.h"

namespace {

std::atomic<bool> g_stop{false};  // set by the signal handler only

std::string Clock(int64_t ms) { return xl::LocalTime(ms, "%H:%M:%S"); }

const char* Colour(xl::wire::CameraState s) {
  switch (s) {
    case xl::wire::CAMERA_STATE_ONLINE:
      return "\033[32m";
    case xl::wire::CAMERA_STATE_OFFLINE:
      return "\033[31m";
    default:
      return "\033[33m";
  }
}

// One PTZ command through the router; prints the outcome. Returns the exit code.
int SendPtz(const std::string& endpoint, const xl::CurveClientKeys& keys, const xl::wire::PtzCommand& command) {
  zmq::context_t ctx(1);
  zmq::socket_t socket(ctx, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::rcvtimeo, 5000);
  xl::MakeCurveClient(socket, keys);
  socket.connect(endpoint);
  xl::wire::ClientRequest req;
  *req.mutable_ptz() = command;
  socket.send(xl::ToFrame(req), zmq::send_flags::none);
  zmq::message_t frame;
  xl::wire::ServerMessage answer;
  while (socket.recv(frame) && xl::FromFrame(frame, &answer)) {
    if (answer.body_case() == xl::wire::ServerMessage::kPtzSent) {
      std::cout << "PTZ " << command.action() << " sent to camera " << answer.ptz_sent() << std::endl;
      return 0;
    }
    if (answer.has_error()) {
      std::cerr << "router: " << answer.error() << std::endl;
      return 1;
    }
  }
  std::cerr << "xl-console: no answer from the router at " << endpoint << std::endl;
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  xl::console::ClientOptions options;
  std::string key_file = std::getenv("XL_KEY") ? std::getenv("XL_KEY") : "";
  std::string router_key = std::getenv("XL_ROUTER_KEY") ? std::getenv("XL_ROUTER_KEY") : "";
  bool json = false;
  std::string snapshots;
  int exit_after_s = 0;
  std::string out_path;
  std::optional<xl::wire::PtzCommand> ptz;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--ptz") {
      if (i + 2 >= argc) {
        std::cerr << "--ptz needs CAMERA_ID and ACTION\n";
        return 2;
      }
      ptz.emplace();
      ptz->set_camera_id(argv[++i]);
      ptz->set_action(argv[++i]);
      continue;
    }
    if ((arg == "--speed" || arg == "--preset") && i + 1 < argc) {
      auto n = xl::ParseIntArg(argv[++i], 1, 255);
      if (!n || !ptz) {
        std::cerr << arg << " must follow --ptz and be 1 to 255\n";
        return 2;
      }
      if (arg == "--speed") ptz->set_speed(uint32_t(*n));
      else ptz->set_preset(uint32_t(*n));
      continue;
    }
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (arg == "--json") json = true;
    else if (!v) {
      std::cerr << "usage: xl-console [--router EP] [--region P]... [--after SEQ] [--json] [--snapshots DIR] "
                   "[--exit-after S] [--watch ID [--out FILE]]\n";
      return 2;
    } else if (arg == "--router") options.endpoint = argv[++i];
    else if (arg == "--key") key_file = argv[++i];
    else if (arg == "--router-key") router_key = argv[++i];
    else if (arg == "--region") options.prefixes.push_back(argv[++i]);
    else if (arg == "--after") {
      auto seq = xl::ParseIntArg(argv[++i], 0, INT64_MAX);
      if (!seq) {
        std::cerr << "--after must be a sequence number\n";
        return 2;
      }
      options.after_seq = uint64_t(*seq);
    } else if (arg == "--snapshots") snapshots = argv[++i];
    else if (arg == "--watch") options.watch.push_back(argv[++i]);
    else if (arg == "--out") out_path = argv[++i];
    else if (arg == "--exit-after") {
      auto s = xl::ParseIntArg(argv[++i], 1, 1 << 30);
      if (!s) {
        std::cerr << "--exit-after must be a number of seconds\n";
        return 2;
      }
      exit_after_s = int(*s);
    } else {
      std::cerr << "unknown option " << arg << "\n";
      return 2;
    }
  }
  auto keys = xl::LoadCurveClientKeys(key_file, router_key);
  if (!keys.ok()) {
    std::cerr << "xl-console: --key/--router-key: " << keys.error().message << "\n";
    return 2;
  }
  options.keys = keys.value();
  if (ptz) return SendPtz(options.endpoint, options.keys, *ptz);
  std::signal(SIGINT, [](int) { g_stop = true; });
  std::signal(SIGTERM, [](int) { g_stop = true; });

  zmq::context_t ctx(1);
  xl::console::ConsoleClient client(ctx, options);
  std::map<std::string, std::string> names;
  const int64_t end = exit_after_s ? xl::MonotonicMs() + exit_after_s * 1000LL : 0;
  if (!json)
    std::cout << "xl-console: " << options.endpoint << ", region "
              << (options.prefixes.empty() ? "all" : options.prefixes.front()) << std::endl;
  int reconnects = 0;
  std::ofstream out;
  if (!out_path.empty()) {
    out.open(out_path, std::ios::binary | std::ios::trunc);
    if (!out) {
      std::cerr << "xl-console: cannot write " << out_path << "\n";
      return 1;
    }
  }
  uint64_t video_frames = 0;
  bool keyed = false;
  while (!g_stop && (!end || xl::MonotonicMs() < end)) {
    auto msg = client.Next(200);
    if (client.reconnects() != reconnects) {
      reconnects = client.reconnects();
      if (json) std::cout << xl::JsonText(nlohmann::json{{"type", "reconnect"}, {"count", reconnects}}) << std::endl;
      else
        std::cout << "-- router silent: reconnecting, resuming after seq "
                  << (client.resume_point() ? std::to_string(*client.resume_point()) : "live") << std::endl;
    }
    if (!msg) continue;
    if (msg->has_camera()) {
      const auto& c = msg->camera();
      names[c.id()] = c.name();
      if (json) {
        std::cout << xl::JsonText(nlohmann::json{{"type", "camera"},
                                                 {"id", c.id()},
                                                 {"name", c.name()},
                                                 {"region", c.region()},
                                                 {"state", xl::StateName(c.state())},
                                                 {"reason", c.reason()},
                                                 {"worker", c.worker()}})
                  << std::endl;
      } else {
        std::cout << Clock(c.since_ms() ? c.since_ms() : xl::NowMs()) << "  " << Colour(c.state()) << "● "
                  << xl::StateName(c.state()) << "\033[0m  " << c.id() << " " << c.name() << "  [" << c.region() << "]"
                  << (c.reason().empty() ? "" : "  " + c.reason()) << std::endl;
      }
    } else if (msg->has_alert()) {
      const auto& a = msg->alert().alert();
      const uint64_t seq = msg->alert().seq();
      std::string path;
      if (!snapshots.empty() && !a.snapshot_jpeg().empty()) {
        path = snapshots + "/" + std::to_string(seq) + ".jpg";
        std::ofstream(path, std::ios::binary) << a.snapshot_jpeg();
      }
      std::vector<std::string> zones(a.zones().begin(), a.zones().end());
      std::vector<std::string> labels(a.labels().begin(), a.labels().end());
      if (json) {
        // Object boxes in frame pixels, with what they are.
        nlohmann::json objects = nlohmann::json::array();
        for (const auto& b : a.boxes()) {
          if (b.label().empty()) continue;
          objects.push_back({{"label", b.label()},
                             {"score", b.score()},
                             {"x", int(b.x() * float(a.frame_width()))},
                             {"y", int(b.y() * float(a.frame_height()))},
                             {"w", int(b.w() * float(a.frame_width()))},
                             {"h", int(b.h() * float(a.frame_height()))}});
        }
        std::cout << xl::JsonText(nlohmann::json{{"type", "alert"},
                                                 {"seq", seq},
                                                 {"id", a.id()},
                                                 {"camera", a.camera_id()},
                                                 {"region", a.region()},
                                                 {"kind", xl::KindName(a.kind())},
                                                 {"phase", xl::PhaseName(a.phase())},
                                                 {"zones", zones},
                                                 {"boxes", a.boxes_size()},
                                                 {"labels", labels},
                                                 {"objects", objects},
                                                 {"score", a.score()},
                                                 {"time_ms", a.time_ms()},
                                                 {"received_ms", xl::NowMs()},
                                                 {"snapshot_bytes", a.snapshot_jpeg().size()},
                                                 {"snapshot", path},
                                                 {"crop_bytes", a.crop_jpeg().size()},
                                                 {"start_ms", a.start_ms()},
                                                 {"end_ms", a.end_ms()},
                                                 {"clip", a.clip_path()}})
                  << std::endl;
      } else {
        std::string zone_list, label_list;
        for (const auto& z : zones) zone_list += (zone_list.empty() ? "" : ",") + z;
        for (const auto& l : labels) label_list += (label_list.empty() ? "" : ",") + l;
        std::cout << Clock(a.time_ms()) << "  #" << seq << "  \033[1m" << xl::KindName(a.kind()) << " "
                  << xl::PhaseName(a.phase()) << "\033[0m  " << a.camera_id() << " " << a.camera_name()
                  << (label_list.empty() ? "" : "  " + label_list) << (zone_list.empty() ? "" : "  zone " + zone_list)
                  << "  boxes " << a.boxes_size() << (path.empty() ? "" : "  " + path)
                  << (a.clip_path().empty() ? "" : "  clip " + a.clip_path()) << std::endl;
      }
    } else if (msg->has_video()) {
      const auto& v = msg->video();
      keyed = keyed || v.keyframe();
      if (out.is_open() && keyed) out.write(v.data().data(), std::streamsize(v.data().size()));
      ++video_frames;
      if (json) {
        std::cout << xl::JsonText(nlohmann::json{{"type", "video"},
                                                 {"camera", v.camera_id()},
                                                 {"codec", v.codec()},
                                                 {"keyframe", v.keyframe()},
                                                 {"bytes", v.data().size()},
                                                 {"seq", v.seq()},
                                                 {"width", v.width()},
                                                 {"height", v.height()},
                                                 {"latency_ms", xl::NowMs() - v.sent_ms()}})
                  << std::endl;
      } else if (video_frames % 100 == 1) {
        std::cout << "-- video " << v.camera_id() << ": " << video_frames << " frames, " << v.codec() << " "
                  << v.width() << "x" << v.height() << std::endl;
      }
    } else if (msg->body_case() == xl::wire::ServerMessage::kLiveAtSeq) {
      if (json) std::cout << xl::JsonText(nlohmann::json{{"type", "live"}, {"seq", msg->live_at_seq()}}) << std::endl;
      else std::cout << "-- live (log at seq " << msg->live_at_seq() << ")" << std::endl;
    } else if (msg->has_error()) {
      std::cerr << "router: " << msg->error() << std::endl;
    }
  }
  return 0;
}
