// Live relay, end to end with the real processes on loopback: the camera is pulled once by
// its worker and re-served to many viewers over RTSP, fMP4 over WebSocket and ZeroMQ, only
// while someone watches.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/rtsp_player.h"
#include "tests/support/system.h"

namespace xl::test {
namespace {

using json = nlohmann::json;
using std::chrono::seconds;

constexpr const char* kH264Camera = "33010201001320000031";  // vtest.avi, 768×576 H.264
constexpr const char* kH265Camera = "33010201001320000032";  // tree.avi, 320×240 H.265

struct LiveSystem {
  System sys;
  std::unique_ptr<Process> camsim, router, worker;
  int metrics_port = FreePort();
  int probes = 0;

  explicit LiveSystem(const std::string& name, const std::vector<std::string>& router_args = {}) : sys(name) {
    camsim = sys.StartCamsim({"v=" + Fixture("vtest.avi"), "t=" + Fixture("tree.avi") + ",codec=h265"});
    router = sys.StartRouter(router_args);
    std::string cams = "cameras:\n";
    for (auto [id, stream] : {std::pair{kH264Camera, "v"}, std::pair{kH265Camera, "t"}}) {
      cams += std::string("  - id: \"") + id + "\"\n    name: 直播" + stream + "\n    url: " + sys.RtspUrl(stream) +
              "\n    username: " + kCamUser + "\n    password: " + kCamPassword + "\n";
    }
    worker = sys.StartWorker("w1", cams, metrics_port);
  }

  // Waits until both cameras are online and their codec is known to the router.
  bool Ready() {
    return WaitUntil(
        [&] {
          for (const char* id : {kH264Camera, kH265Camera}) {
            auto r = sys.Api("GET", "/api/cameras/" + std::string(id));
            if (!r.ok() || r->status != 200 || json::parse(r->body).value("state", "") != "online") return false;
          }
          return RtspProbe(kH264Camera).find("codec_name=h264") != std::string::npos;
        },
        seconds(120));
  }

  // ffprobe of the router's RTSP re-serve: "codec_name=…\nwidth=…\nheight=…".
  std::string RtspProbe(const std::string& camera) {
    Process p({"/usr/bin/ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-show_entries",
               "stream=codec_name,width,height", "-of", "default=nw=1", sys.RelayUrl(camera)},
              sys.dir() + "/ffprobe-" + camera + "-" + std::to_string(++probes) + ".log");
    p.Wait(seconds(30));
    return p.Output();
  }

  double VideoSent() {
    auto r = HttpCall("GET", "http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics", "", "", 30, AsScraper());
    if (!r.ok()) return -1;
    std::smatch m;
    static const std::regex re(R"(\nxl_video_frames_sent_total ([0-9.e+]+))");
    return std::regex_search(r->body, m, re) ? std::stod(m[1]) : -1;
  }

  size_t CamsimClients() const {
    size_t n = 0;
    for (const std::string& line : camsim->Lines()) n += line.find("camsim: client connected") != std::string::npos;
    return n;
  }
};

// Connects to 127.0.0.1:`port`, writes `bytes`, reads for a moment, closes.
void SendRaw(int port, const std::string& bytes) {
  int fd = ConnectLoopback(port);
  if (fd >= 0) {
    send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    timeval tv{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    while (recv(fd, buf, sizeof buf, 0) > 0) {}
  }
  if (fd >= 0) close(fd);
}

std::vector<json> VideoLines(const Process& console) {
  std::vector<json> out;
  for (const std::string& line : console.Lines()) {
    json j = json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("type", "") == "video") out.push_back(j);
  }
  return out;
}

TEST(Live, RtspReServesManyReadersFromOnePull) {
  LiveSystem live("live-rtsp");
  ASSERT_TRUE(live.Ready()) << live.worker->Output();
  EXPECT_EQ(live.RtspProbe(kH264Camera), "codec_name=h264\nwidth=768\nheight=576\n");
  EXPECT_EQ(live.RtspProbe(kH265Camera), "codec_name=hevc\nwidth=320\nheight=240\n");

  // Two players at once: both decode frames; the simulator still sees only the worker.
  const size_t pulls = live.CamsimClients();
  std::vector<std::unique_ptr<Process>> players;
  for (int i = 0; i < 2; ++i) {
    players.push_back(std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/ffmpeg", "-hide_banner", "-rtsp_transport", "tcp", "-i",
                                 live.sys.RelayUrl(kH264Camera), "-t", "4", "-f", "framemd5", "-"},
        live.sys.dir() + "/player" + std::to_string(i) + ".log"));
  }
  for (auto& p : players) {
    EXPECT_EQ(p->Wait(seconds(60)), 0) << p->Output();
    size_t frames = 0;
    for (const std::string& line : p->Lines())
      frames += !line.empty() && line[0] == '0' && line.find(',') != std::string::npos;
    EXPECT_GT(frames, 20u) << p->Output();
  }
  EXPECT_EQ(live.CamsimClients(), pulls) << "the camera was pulled again";
  // A player that asks for UDP unicast gets the same video as datagrams.
  Process udp({"/usr/bin/ffmpeg", "-hide_banner", "-rtsp_transport", "udp", "-i", live.sys.RelayUrl(kH264Camera), "-t",
               "4", "-f", "framemd5", "-"},
              live.sys.dir() + "/player-udp.log");
  EXPECT_EQ(udp.Wait(seconds(60)), 0) << udp.Output();
  size_t udp_frames = 0;
  for (const std::string& line : udp.Lines())
    udp_frames += !line.empty() && line[0] == '0' && line.find(',') != std::string::npos;
  EXPECT_GT(udp_frames, 20u) << udp.Output();
  EXPECT_NE(live.router->Output().find("plays camera " + std::string(kH264Camera) + " over UDP"), std::string::npos);

  // Unknown camera: 404. No or wrong credentials: 401 (players log in as desk users).
  Process unknown(
      {"/usr/bin/ffprobe", "-v", "error", "-rtsp_transport", "tcp", live.sys.RelayUrl("33010201001320009999")},
      live.sys.dir() + "/ffprobe-unknown.log");
  EXPECT_NE(unknown.Wait(seconds(30)), 0);
  EXPECT_NE(unknown.Output().find("404"), std::string::npos) << unknown.Output();
  for (const std::string& url :
       {live.sys.RelayUrl(kH264Camera, ""), live.sys.RelayUrl(kH264Camera, "admin:guess-guess")}) {
    Process refused({"/usr/bin/ffprobe", "-v", "error", "-rtsp_transport", "tcp", url},
                    live.sys.dir() + "/ffprobe-refused-" + std::to_string(url.size()) + ".log");
    EXPECT_NE(refused.Wait(seconds(30)), 0);
    EXPECT_NE(refused.Output().find("401"), std::string::npos) << refused.Output();
  }
  EXPECT_EQ(live.router->Output().find(kAdminPassword), std::string::npos);
}

// Strict players, as hardware decoders are: 50 at once each get the reply to PLAY before any
// video (StrictRtspPlayer fails otherwise), then pictures from a keyframe on. With a 4 s
// session timeout, the players that keep alive with GET_PARAMETER (as VLC and ffmpeg do) play
// on past it, one that sends nothing is closed; one that stops reading is skipped to a
// keyframe while the others go on, and reads a whole picture again when it resumes.
TEST(Live, StrictPlayersGetThePlayReplyFirstKeepAliveAndASlowOneHoldsNoOneBack) {
  LiveSystem live("live-strict", {"--rtsp-session-timeout-s", "4"});
  ASSERT_TRUE(live.Ready()) << live.worker->Output();
  const std::string url = live.sys.RelayUrl(kH264Camera, "");
  const int port = std::stoi(url.substr(17, url.find('/', 17) - 17));  // rtsp://127.0.0.1:PORT/
  std::vector<std::unique_ptr<StrictRtspPlayer>> players;
  for (int i = 0; i < 50; ++i) {
    players.push_back(std::make_unique<StrictRtspPlayer>());
    // Player 7 asks for channels 2-3, as some players do: it gets its video there.
    ASSERT_TRUE(players.back()->Open(port, url, "admin", kAdminPassword, 0, i == 7 ? 2 : 0))
        << i << ": " << players.back()->error();
  }
  StrictRtspPlayer& silent = *players[1];
  StrictRtspPlayer slow;
  ASSERT_TRUE(slow.Open(port, url, "admin", kAdminPassword, 4096)) << slow.error();

  // Everyone but `silent` keeps alive every second; everyone but `slow` reads. On until the
  // timeout has closed `silent` and `slow` has been skipped (at least 12 s, at most 90 s).
  auto skipped = [&] { return live.router->Output().find("does not keep up") != std::string::npos; };
  const auto start = std::chrono::steady_clock::now();
  auto last_keepalive = start;
  while (std::chrono::steady_clock::now() < start + seconds(12) ||
         ((!silent.closed() || !skipped()) && std::chrono::steady_clock::now() < start + seconds(90))) {
    for (size_t i = 0; i < players.size(); ++i) {
      if (i != 1) {
        ASSERT_TRUE(players[i]->Read(2)) << i << ": " << players[i]->error();
      }
    }
    silent.Read(0);
    if (std::chrono::steady_clock::now() - last_keepalive >= seconds(1)) {
      last_keepalive = std::chrono::steady_clock::now();
      for (size_t i = 0; i < players.size(); ++i) {
        if (i != 1) players[i]->KeepAlive();
      }
      slow.KeepAlive();
    }
  }
  EXPECT_TRUE(silent.closed()) << "a session without keep-alive outlived its timeout";
  ASSERT_TRUE(skipped()) << "the player that does not read was never skipped";
  for (size_t i = 0; i < players.size(); ++i) {
    if (i == 1) continue;
    EXPECT_FALSE(players[i]->closed()) << i << ": " << players[i]->error();
    EXPECT_GE(players[i]->keyframes(), 2u) << i;
    EXPECT_GT(players[i]->pictures(), 100u) << i;
  }
  // The slow one reads again: whole interleaved frames, and a keyframe to start from.
  const uint64_t keyframes = slow.keyframes(), pictures = slow.pictures();
  const auto resume = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < resume + seconds(60) && slow.keyframes() <= keyframes + 1) {
    ASSERT_TRUE(slow.Read(50)) << slow.error();
  }
  EXPECT_GT(slow.keyframes(), keyframes + 1);
  EXPECT_GT(slow.pictures(), pictures);
}

TEST(Live, VideoFlowsOnlyWhileSomeoneWatches) {
  LiveSystem live("live-on-demand");
  ASSERT_TRUE(WaitUntil([&] { return live.worker->Output().find("-> online") != std::string::npos; }, seconds(120)));
  std::this_thread::sleep_for(seconds(3));
  EXPECT_EQ(live.VideoSent(), 0) << "video was sent with nobody watching";

  // The first viewer starts it; it gets a keyframe first and a stream ffprobe reads.
  const std::string dump = live.sys.dir() + "/watch.h264";
  auto viewer = live.sys.StartConsole("watch.log", {"--watch", kH264Camera, "--out", dump});
  ASSERT_TRUE(WaitUntil([&] { return VideoLines(*viewer).size() >= 40; }, seconds(30))) << viewer->Output();
  auto frames = VideoLines(*viewer);
  EXPECT_TRUE(frames.front()["keyframe"].get<bool>());
  for (size_t i = 1; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i]["seq"].get<uint64_t>(), frames[i - 1]["seq"].get<uint64_t>() + 1) << "frame lost at " << i;
  }
  EXPECT_GT(live.VideoSent(), 0);

  // A second viewer joining a live camera starts at once from the GOP cache, at a keyframe.
  auto second = live.sys.StartConsole("second.log", {"--watch", kH264Camera});
  ASSERT_TRUE(WaitUntil([&] { return !VideoLines(*second).empty(); }, seconds(10)));
  EXPECT_TRUE(VideoLines(*second).front()["keyframe"].get<bool>());

  viewer->Stop();
  second->Stop();
  Process probe({"/usr/bin/ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of",
                 "default=nw=1", dump},
                live.sys.dir() + "/ffprobe-dump.log");
  probe.Wait(seconds(30));
  EXPECT_EQ(probe.Output(), "codec_name=h264\nwidth=768\nheight=576\n");

  // The last viewer gone, the worker stops sending within 10 s.
  EXPECT_TRUE(WaitUntil([&] { return live.worker->Output().find("live video off") != std::string::npos; }, seconds(10)))
      << live.worker->Output();
  const double sent = live.VideoSent();
  std::this_thread::sleep_for(seconds(2));
  EXPECT_EQ(live.VideoSent(), sent);

  // Watching an unknown camera is a clear error.
  auto bad = live.sys.StartConsole("bad.log", {"--watch", "33010201001320009999", "--exit-after", "3"});
  bad->Wait(seconds(10));
  EXPECT_NE(bad->Output().find("no camera 33010201001320009999"), std::string::npos) << bad->Output();
}

TEST(Live, BrowsersGetFragmentedMp4OverWebSocket) {
  LiveSystem live("live-websocket");
  ASSERT_TRUE(live.Ready());
  for (auto [camera, expect] : {std::pair{kH264Camera, "codec_name=h264\nwidth=768\nheight=576\n"},
                                std::pair{kH265Camera, "codec_name=hevc\nwidth=320\nheight=240\n"}}) {
    const std::string file = live.sys.dir() + "/" + camera + ".mp4";
    std::string out;
    ASSERT_EQ(live.sys.RunXl({"live", camera, "--out", file, "--seconds", "4"}, &out), 0) << out;
    EXPECT_NE(out.find("video/mp4; codecs=\""), std::string::npos) << out;
    Process probe({"/usr/bin/ffprobe", "-v", "error", "-count_frames", "-show_entries",
                   "stream=codec_name,width,height,nb_read_frames", "-of", "default=nw=1", file},
                  live.sys.dir() + "/ffprobe-" + camera + "-mp4.log");
    ASSERT_EQ(probe.Wait(seconds(30)), 0);
    const std::string got = probe.Output();
    EXPECT_EQ(got.substr(0, got.find("nb_read_frames")), expect) << got;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(got, m, std::regex(R"(nb_read_frames=(\d+))"))) << got;
    EXPECT_GT(std::stoi(m[1]), 20);
  }
  std::string out;
  EXPECT_EQ(
      live.sys.RunXl({"live", "33010201001320009999", "--out", live.sys.dir() + "/none.mp4", "--seconds", "2"}, &out),
      1);
  EXPECT_NE(out.find("no live camera"), std::string::npos) << out;
  // A browser vanishing mid-stream leaves the router serving.
  auto cut = std::make_unique<Process>(
      std::vector<std::string>{"/usr/bin/env", std::string("XL_PASSWORD=") + kAdminPassword, Binary("tools/xl"),
                               "--api", live.sys.HttpBase(), "live", kH264Camera, "--out", live.sys.dir() + "/cut.mp4",
                               "--seconds", "30"},
      live.sys.dir() + "/cut.log");
  std::this_thread::sleep_for(seconds(2));
  cut->Kill();
  // Garbage on the HTTP/WebSocket and RTSP ports, and a WebSocket frame claiming an absurd
  // length, leave it serving too.
  std::string noise(200000, '\0');
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = char((i * 2654435761u) >> 13);
  const std::string bad_frame = "GET /live/" + std::string(kH264Camera) +
                                " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Cookie: " +
                                live.sys.AdminCookie() +
                                "\r\n"
                                "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n\r\n"
                                "\x82\xff\x7f\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00junk";
  for (const std::string& url :
       {live.sys.HttpBase(), live.sys.RelayUrl("", "").substr(0, live.sys.RelayUrl("", "").size() - 1)}) {
    const int port = std::stoi(url.substr(url.rfind(':') + 1));
    SendRaw(port, noise);
    SendRaw(port, bad_frame);
  }
  EXPECT_EQ(live.sys.RunXl({"live", kH264Camera, "--out", live.sys.dir() + "/after.mp4", "--seconds", "2"}, &out), 0)
      << out;
  EXPECT_TRUE(live.router->running());
}

TEST(Live, AStalledViewerSlowsNobodyAndResumesAtAKeyframe) {
  LiveSystem live("live-stall");
  ASSERT_TRUE(WaitUntil([&] { return live.worker->Output().find("-> online") != std::string::npos; }, seconds(120)));
  auto steady = live.sys.StartConsole("steady.log", {"--watch", kH264Camera});
  auto stalled = live.sys.StartConsole("stalled.log", {"--watch", kH264Camera});
  ASSERT_TRUE(
      WaitUntil([&] { return VideoLines(*stalled).size() >= 30 && VideoLines(*steady).size() >= 30; }, seconds(30)));
  kill(stalled->pid(), SIGSTOP);
  std::this_thread::sleep_for(seconds(10));
  kill(stalled->pid(), SIGCONT);
  const size_t steady_before = VideoLines(*steady).size();
  ASSERT_TRUE(WaitUntil([&] { return VideoLines(*steady).size() >= steady_before + 60; }, seconds(30)));
  std::this_thread::sleep_for(seconds(3));

  // The steady viewer got every frame, in order, through the other's stall.
  auto steady_frames = VideoLines(*steady);
  for (size_t i = 1; i < steady_frames.size(); ++i) {
    ASSERT_EQ(steady_frames[i]["seq"].get<uint64_t>(), steady_frames[i - 1]["seq"].get<uint64_t>() + 1) << i;
  }
  // The stalled one was skipped ahead, and resumed at a keyframe.
  auto frames = VideoLines(*stalled);
  size_t gaps = 0;
  for (size_t i = 1; i < frames.size(); ++i) {
    if (frames[i]["seq"].get<uint64_t>() != frames[i - 1]["seq"].get<uint64_t>() + 1) {
      ++gaps;
      EXPECT_TRUE(frames[i]["keyframe"].get<bool>()) << "resumed on a non-keyframe at " << i;
    }
  }
  EXPECT_GE(gaps, 1u) << "the stalled viewer was never skipped ahead";
}

// Cameras often code a picture as several slices. Each path keeps a picture whole: the
// simulator's RTSP, the worker's tap to a native viewer, the router's RTSP re-serve and the
// browsers' fMP4 (a split picture shows as a grey or green lower part on every player). A
// flawed sender that splits its keyframes with parameter sets (the simulator's
// ",split-keyframes") has them joined again by the worker.
TEST(Live, MultiSlicePicturesStayWholeOnEveryPath) {
  System sys("live-slices");
  const std::string clip = sys.dir() + "/slices.mp4";
  const std::string cmd = "ffmpeg -v error -y -i '" + Fixture("vtest.avi") +
                          "' -t 40 -vf scale=640:360 -r 10 -c:v libx264 -preset veryfast -x264-params slices=2 "
                          "-g 20 -bf 0 -an '" +
                          clip + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto camsim = sys.StartCamsim({"s=" + clip, "f=" + clip + ",split-keyframes"});
  auto router = sys.StartRouter();
  const std::string whole = "33010201001320000035", flawed = "33010201001320000036";
  std::string cams = "cameras:\n";
  for (auto [id, stream] : {std::pair{whole, "s"}, std::pair{flawed, "f"}}) {
    cams += "  - id: \"" + id + "\"\n    name: 多片" + stream + "\n    url: " + sys.RtspUrl(stream) +
            "\n    username: " + kCamUser + "\n    password: " + kCamPassword + "\n";
  }
  auto worker = sys.StartWorker("w1", cams);
  // ffmpeg copying an RTSP stream into a byte-stream file.
  auto copy_rtsp = [&](const std::string& url, const std::string& out) {
    Process p({"/usr/bin/ffmpeg", "-v", "error", "-y", "-rtsp_transport", "tcp", "-i", url, "-t", "6", "-c", "copy",
               "-f", "h264", out},
              out + ".log");
    return p.Wait(seconds(40)) == 0;
  };
  auto check = [&](const std::string& path, const std::string& what) {
    int later = 0;
    EXPECT_EQ(SplitPictures(path, &later), "") << what;
    EXPECT_GT(later, 30) << what << ": the stream should carry two slices a picture";
  };
  for (auto [id, stream] : {std::pair{whole, "s"}, std::pair{flawed, "f"}}) {
    const std::string at = sys.dir() + "/" + stream + "-";
    ASSERT_TRUE(copy_rtsp("rtsp://" + std::string(kCamUser) + ":" + kCamPassword + "@" + sys.RtspUrl(stream).substr(7),
                          at + "camsim.h264"));
    int later = 0;
    if (id == whole) {
      check(at + "camsim.h264", "the simulator's RTSP");
    } else {
      EXPECT_NE(SplitPictures(at + "camsim.h264", &later), "") << "the flawed sender splits its keyframes";
    }
    const std::string as = id == whole ? "" : " (flawed sender)";

    // Native viewer: the worker's encoded tap, through the router over ZeroMQ.
    auto viewer = sys.StartConsole(std::string(stream) + "-watch.log", {"--watch", id, "--out", at + "native.h264"});
    std::this_thread::sleep_for(seconds(8));
    viewer->Stop();
    check(at + "native.h264", "the native viewer's stream" + as);

    // The router's RTSP re-serve (mounted once the router knows the codec).
    ASSERT_TRUE(WaitUntil([&] { return copy_rtsp(sys.RelayUrl(id), at + "relay.h264"); }, seconds(60)));
    check(at + "relay.h264", "the router's RTSP re-serve" + as);

    // Browsers: fMP4 over WebSocket, each sample turned back into a byte-stream access unit.
    std::string out;
    ASSERT_EQ(sys.RunXl({"live", id, "--out", at + "browser.mp4", "--seconds", "6"}, &out), 0) << out;
    Process annexb({"/usr/bin/ffmpeg", "-v", "error", "-y", "-i", at + "browser.mp4", "-c", "copy", "-bsf:v",
                    "h264_mp4toannexb", "-f", "h264", at + "browser.h264"},
                   at + "annexb.log");
    ASSERT_EQ(annexb.Wait(seconds(30)), 0) << annexb.Output();
    check(at + "browser.h264", "the browsers' fMP4" + as);
  }
}

}  // namespace
}  // namespace xl::test
