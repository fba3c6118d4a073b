// Continuous recording end to end: xl-camsim serves vtest.avi (H.264, 10 fps), xl-ingest
// records it in 10 s segments, the router shows the timeline, plays ranges back and exports
// evidence. What an operator relies on:
// - the timeline is one range while the camera streamed, a gap with its reason while the
//   camera was gone, and a gap "worker stopped unexpectedly" where the worker was killed -9
//   (at most the last 2 s before the kill missing, the rest of that segment playable);
// - a range played back shows the source's pictures at that time (PSNR against the clip);
// - an export is one MP4 of the asked length (± one GOP) whose SHA-256 is the manifest's, and
//   it is in the audit log; `xl rec ls` and `xl rec export` do the same from the command line;
// - an operator of another village sees none of it;
// - a disk budget removes the oldest segments first; a full disk stops recording with a
//   problem on the desk, and recording resumes by itself once there is room.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/clock.h"
#include "common/http_client.h"
#include "common/sha256_hex.h"
#include "tests/support/media.h"
#include "tests/support/playback_player.h"
#include "tests/support/process.h"
#include "tests/support/rtsp_player.h"
#include "tests/support/small_disk.h"
#include "tests/support/system.h"
#include "tests/support/web_socket.h"

namespace xl::test {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kCamera = "33010201001320000071";  // village 3301020100
constexpr int kFps = 10;
constexpr int64_t kGopMs = 3000;  // -g 30 at 10 fps

std::string CameraYaml(const System& sys, const std::string& stream, const std::string& record) {
  return "cameras:\n  - id: \"" + std::string(kCamera) +
         "\"\n    name: 村口\n    region: \"3301020100\"\n    url: " + sys.RtspUrl(stream) +
         "\n    username: " + kCamUser + "\n    password: " + kCamPassword +
         "\n    motion: {enabled: false}\n    faults: {enabled: false}\n    record: " + record + "\n";
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The router's timeline of the camera over [from, to).
json Timeline(System& sys, int64_t from, int64_t to, const std::string& cookie = "") {
  const std::string path =
      "/api/desk/recordings/" + std::string(kCamera) + "?from=" + std::to_string(from) + "&to=" + std::to_string(to);
  auto r =
      cookie.empty() ? sys.Api("GET", path) : HttpCall("GET", sys.HttpBase() + path, "", "", 60, {{"Cookie", cookie}});
  if (!r.ok() || r->status != 200) return json();
  return json::parse(r->body, nullptr, false);
}

// The router's RTSP URL of `path` ("<camera>?start=…"), without credentials (the strict
// player logs in itself).
std::string RelayPath(const System& sys, const std::string& path) {
  return "rtsp://127.0.0.1:" + std::to_string(sys.RelayPort()) + "/" + path;
}

// `wall_ms` as RTSP's clock time, UTC ("20261203T031000Z").
std::string ClockText(int64_t wall_ms) {
  const std::time_t t = std::time_t(wall_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y%m%dT%H%M%SZ", &tm);
  return out;
}

Probe ProbeMp4(const std::string& dir, const std::string& mp4) {
  const std::string path = dir + "/probe.mp4";
  std::ofstream(path, std::ios::binary) << mp4;
  return ProbeFile(path);
}

std::string Describe(const json& timeline) {
  std::string out;
  for (const json& r : timeline["ranges"]) {
    out += "range " + LocalTime(r["from_ms"], "%T") + "–" + LocalTime(r["to_ms"], "%T") + "; ";
  }
  for (const json& g : timeline["gaps"]) {
    out += "gap " + LocalTime(g["from_ms"], "%T") + "–" + LocalTime(g["to_ms"], "%T") + " (" +
           g["reason"].get<std::string>() + "); ";
  }
  return out;
}

TEST(Recording, TimelineShowsGapsPlaysTheSourceExportsWithProofAndSurvivesAKill) {
  System sys("recording");
  const std::string clip = EncodeVtest640x360(sys.dir(), kFps);
  ASSERT_FALSE(clip.empty());
  const std::vector<std::string> source = GreyFrames(clip, 160, 90);
  ASSERT_GT(source.size(), 500u);
  auto router = sys.StartRouter();
  auto camsim = sys.StartCamsim({"gate=" + clip});
  const std::string recordings = sys.dir() + "/recordings";
  const int http_port = FreePort();
  const std::string worker_yaml = CameraYaml(sys, "gate", "{mode: continuous, segment_s: 10}");
  const std::string worker_keys = "  recordings: {dir: " + recordings + ", min_free_gb: 0.01}\n";
  auto worker = sys.StartWorker("w1", worker_yaml, http_port, worker_keys);
  ASSERT_TRUE(WaitUntil([&] { return CountOf(worker->Output(), "recording to") >= 1; }, seconds(60)))
      << worker->Output();

  // 65 s of recording, then the camera is gone for 20 s.
  std::this_thread::sleep_for(seconds(65));
  const int64_t camera_gone_ms = NowMs();
  camsim->Kill();
  std::this_thread::sleep_for(seconds(20));
  const int64_t camera_back_ms = NowMs();
  camsim = sys.StartCamsim({"gate=" + clip});
  ASSERT_TRUE(WaitUntil([&] { return CountOf(worker->Output(), "recording to") >= 2; }, seconds(60)))
      << worker->Output();
  // 45 s more, then the worker is killed mid-segment and started again.
  std::this_thread::sleep_for(seconds(45));
  const int64_t killed_ms = NowMs();
  worker->Kill();
  const int recordings_before = CountOf(worker->Output(), "recording to");  // (the log goes on in the same file)
  worker = sys.StartWorker("w1", worker_yaml, http_port, worker_keys);
  ASSERT_TRUE(WaitUntil([&] { return CountOf(worker->Output(), "recording to") > recordings_before; }, seconds(60)))
      << worker->Output();
  EXPECT_NE(worker->Output().find("left open by the last run closed"), std::string::npos) << worker->Output();
  std::this_thread::sleep_for(seconds(10));

  const int64_t from = camera_gone_ms - 90000, to = NowMs();
  json t;
  ASSERT_TRUE(WaitUntil(
      [&] {
        t = Timeline(sys, from, to);
        return t.is_object() && t["ranges"].size() >= 3;
      },
      seconds(30)))
      << t.dump();
  SCOPED_TRACE(Describe(t));
  ASSERT_EQ(t["ranges"].size(), 3u);
  const json first = t["ranges"][0], second = t["ranges"][1], third = t["ranges"][2];
  // One continuous range while the camera streamed (10 s segments joined), ending when it went.
  EXPECT_GE(first["to_ms"].get<int64_t>() - first["from_ms"].get<int64_t>(), 60000);
  EXPECT_NEAR(double(first["to_ms"].get<int64_t>()), double(camera_gone_ms), 1000);
  // The gap while it was gone, with the reason; recording again once it was back.
  json camera_gap, crash_gap;
  for (const json& g : t["gaps"]) {
    if (g["from_ms"] == first["to_ms"]) camera_gap = g;
    if (g["from_ms"] == second["to_ms"]) crash_gap = g;
  }
  ASSERT_TRUE(camera_gap.is_object());
  EXPECT_NE(camera_gap["reason"].get<std::string>().find("camera offline"), std::string::npos);
  EXPECT_GE(camera_gap["to_ms"].get<int64_t>(), camera_back_ms);
  EXPECT_LE(camera_gap["to_ms"].get<int64_t>(), camera_back_ms + 15000);
  // The kill: at most the last 2 s before it missing, marked as such.
  ASSERT_TRUE(crash_gap.is_object());
  EXPECT_EQ(crash_gap["reason"], "worker stopped unexpectedly");
  EXPECT_GE(second["to_ms"].get<int64_t>(), killed_ms - 2000);
  EXPECT_LE(second["to_ms"].get<int64_t>(), killed_ms + 500);
  EXPECT_GT(third["to_ms"].get<int64_t>(), third["from_ms"].get<int64_t>() + 5000);

  // The part of the killed segment before the kill plays.
  {
    const int64_t a = second["to_ms"].get<int64_t>() - 6000, b = second["to_ms"].get<int64_t>();
    auto r = sys.Api("GET", "/api/desk/recordings/" + std::string(kCamera) + "/mp4?from=" + std::to_string(a) +
                                "&to=" + std::to_string(b));
    ASSERT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.error().message);
    std::ofstream(sys.dir() + "/before_kill.mp4", std::ios::binary) << r->body;
    const Probe p = ProbeFile(sys.dir() + "/before_kill.mp4");
    ASSERT_TRUE(p.ok);
    EXPECT_GE(p.frames, 6 * kFps - 2);
  }

  // Played from a chosen second: that second of the source. The recording began with the
  // clip's first frame (the camera's stream starts at its first frame); 37.3 s in it shows
  // frame 373, give or take the stream's start.
  const int64_t at = first["from_ms"].get<int64_t>() + 37300;
  // The first picture may arrive late (a burst as the stream starts) and its segment run late
  // by as much; the next segment starts on time again, overlapping it by that much.
  int64_t late_ms = 0;
  for (size_t i = 0; i + 1 < t["segments"].size(); ++i) {
    if (t["segments"][i]["start_ms"] == first["from_ms"]) {
      late_ms = std::max<int64_t>(
          0, t["segments"][i]["end_ms"].get<int64_t>() - t["segments"][i + 1]["start_ms"].get<int64_t>());
    }
  }
  EXPECT_LT(late_ms, 3000);
  const int expected = int((at - first["from_ms"].get<int64_t>() + late_ms) / (1000 / kFps)) % int(source.size());
  // The source frame the picture on screen at `at` is, in `mp4` (its time 0 at `starts_ms`),
  // and how alike they are (PSNR).
  auto shown_at = [&](const std::string& mp4, int64_t starts_ms, const std::string& name) -> std::pair<int, double> {
    const std::string path = sys.dir() + "/" + name + ".mp4";
    std::ofstream(path, std::ios::binary) << mp4;
    const std::vector<double> times = FrameTimes(path);
    const std::vector<std::string> frames = GreyFrames(path, 160, 90);
    if (times.empty() || times.size() != frames.size()) return {-1, 0};
    size_t shown = 0;
    while (shown + 1 < times.size() && double(starts_ms) + (times[shown + 1] - times.front()) * 1000 <= double(at)) {
      ++shown;
    }
    int best = -1;
    double best_psnr = 0;
    for (int k = 0; k < int(source.size()); ++k) {
      const double p = Psnr(frames[shown], source[k]);
      if (p > best_psnr) best_psnr = p, best = k;
    }
    return {best, best_psnr};
  };
  {
    auto r = sys.Api("GET", "/api/desk/recordings/" + std::string(kCamera) + "/mp4?from=" + std::to_string(at) +
                                "&to=" + std::to_string(at + 2000));
    ASSERT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.error().message);
    int64_t starts_ms = -1;  // the wall clock of the file's time 0
    for (const auto& [name, value] : r->headers) {
      if (name == "X-Start-Ms") starts_ms = std::stoll(value);
    }
    EXPECT_LE(starts_ms, at) << "playback starts at the keyframe at or before the time";
    EXPECT_GE(starts_ms, at - kGopMs - 200);
    const auto [best, psnr] = shown_at(r->body, starts_ms, "played");
    EXPECT_GE(psnr, 30.0);
    EXPECT_LE(std::abs(best - expected), 5)
        << "played frame matches source frame " << best << ", expected " << expected;
  }

  // The same over the playback socket, as the desk plays it: chunks paced by the player.
  {
    const int fd =
        OpenWebSocket(sys.HttpPort(), "/playback/" + std::string(kCamera), "Cookie: " + sys.AdminCookie() + "\r\n");
    ASSERT_GE(fd, 0);
    PlaybackPlayer player(fd);
    ASSERT_TRUE(player.ws.SendText(json{{"seek", at}, {"speed", 1}}.dump()));
    ASSERT_TRUE(player.Await("seeked"));
    std::string mp4;
    auto chunk = player.Await("chunk", &mp4);
    ASSERT_TRUE(chunk) << "close " << player.ws.close_code();
    EXPECT_LE((*chunk)["start_ms"].get<int64_t>(), at);
    EXPECT_GE((*chunk)["start_ms"].get<int64_t>(), at - kGopMs - 200);
    EXPECT_NE((*chunk)["mime"].get<std::string>().find("avc1."), std::string::npos);
    const auto [best, psnr] = shown_at(mp4, (*chunk)["start_ms"], "played_ws");
    EXPECT_GE(psnr, 30.0);
    EXPECT_LE(std::abs(best - expected), 5)
        << "played frame matches source frame " << best << ", expected " << expected;
    // Chunks follow on without overlap or hole, up to 20 s ahead of a player that does not move
    // (paused); then nothing more until it moves on.
    int64_t end = (*chunk)["end_ms"];
    int chunks = 1;
    while (auto next = player.Await("chunk", &mp4, seconds(5))) {
      EXPECT_NEAR(double((*next)["start_ms"].get<int64_t>()), double(end), 1) << "chunks follow on at keyframes";
      end = (*next)["end_ms"];
      ++chunks;
    }
    EXPECT_GE(end, at + 20000);
    EXPECT_LE(end, at + 20000 + 10000 + kGopMs) << "no more than 20 s ahead of a paused player";
    ASSERT_TRUE(player.ws.SendText(json{{"at", at + 25000}}.dump()));
    auto resumed = player.Await("chunk", &mp4);
    ASSERT_TRUE(resumed) << "playing on: more chunks";
    // Through the gap where the camera was gone: the next chunk starts after it.
    ASSERT_TRUE(player.ws.SendText(json{{"seek", first["to_ms"].get<int64_t>() - 4000}, {"speed", 1}}.dump()));
    ASSERT_TRUE(player.Await("seeked"));
    auto before_gap = player.Await("chunk", &mp4);
    ASSERT_TRUE(before_gap);
    ASSERT_TRUE(player.ws.SendText(json{{"at", second["from_ms"].get<int64_t>()}}.dump()));
    auto after_gap = player.Await("chunk", &mp4);
    ASSERT_TRUE(after_gap);
    EXPECT_GE((*after_gap)["start_ms"].get<int64_t>(), second["from_ms"].get<int64_t>() - 1);
    EXPECT_TRUE(ProbeMp4(sys.dir(), mp4).ok);
    // 4×: every frame, chunks of 40 s; 16×: keyframes only.
    for (const int speed : {4, 16}) {
      ASSERT_TRUE(player.ws.SendText(json{{"seek", first["from_ms"].get<int64_t>() + 1000}, {"speed", speed}}.dump()));
      ASSERT_TRUE(player.Await("seeked"));
      auto fast = player.Await("chunk", &mp4);
      ASSERT_TRUE(fast) << speed << "×";
      EXPECT_EQ((*fast)["speed"], speed);
      EXPECT_EQ((*fast)["keyframes_only"], speed >= 8);
      // The first chunk after a seek is short (on screen sooner); the next ones are 10 s × speed.
      EXPECT_GE(double((*fast)["end_ms"].get<int64_t>() - (*fast)["start_ms"].get<int64_t>()) / 1000, 2.0 * speed)
          << speed << "×";
      if (10.0 * speed <= 40) {
        fast = player.Await("chunk", &mp4);
        ASSERT_TRUE(fast) << speed << "×: the next chunk";
      }
      const double span_s = double((*fast)["end_ms"].get<int64_t>() - (*fast)["start_ms"].get<int64_t>()) / 1000;
      EXPECT_GE(span_s, 10.0 * speed > 40 ? 2.0 * speed : 10.0 * speed) << speed << "×";
      const Probe p = ProbeMp4(sys.dir(), mp4);
      ASSERT_TRUE(p.ok) << speed << "×";
      if (speed >= 8) {
        EXPECT_LE(p.frames, int(span_s * 1000 / kGopMs) + 2) << "keyframes only";
      } else {
        EXPECT_GE(p.frames, int(span_s * kFps) - 2) << "every frame";
      }
    }
  }

  // Over RTSP, as VLC and NVR decoders play it: rtsp://…/<camera>?start=<time>.
  // The start in whole seconds, local time (as an operator types it).
  const int64_t at_s = at - at % 1000;
  const int expected_s = int((at_s - first["from_ms"].get<int64_t>() + late_ms) / (1000 / kFps)) % int(source.size());
  const std::string start_url = sys.RelayUrl(kCamera) + "?start=" + LocalTime(at_s, "%Y-%m-%dT%H:%M:%S");
  // The source frame most like `picture`, and how alike (PSNR).
  auto best_source = [&](const std::string& picture) -> std::pair<int, double> {
    int best = -1;
    double best_psnr = 0;
    for (int k = 0; k < int(source.size()); ++k) {
      const double p = Psnr(picture, source[k]);
      if (p > best_psnr) best_psnr = p, best = k;
    }
    return {best, best_psnr};
  };
  {
    // FFmpeg, a real player: the pictures run from the keyframe at or before the start, and the
    // one at the start is the source's picture at that second.
    const std::string got = sys.dir() + "/rtsp_playback.h264";
    const std::string cmd = "timeout 60 ffmpeg -v error -rtsp_transport tcp -i '" + start_url +
                            "' -frames:v 45 -c copy -f h264 -y '" + got + "' > " + sys.dir() + "/ffmpeg.log 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadAll(sys.dir() + "/ffmpeg.log");
    const std::vector<std::string> frames = GreyFrames(got, 160, 90);
    ASSERT_GE(frames.size(), 40u);
    const auto [first_match, first_psnr] = best_source(frames.front());
    EXPECT_GE(first_psnr, 30.0);
    const int offset = expected_s - first_match;  // pictures from the keyframe to the start
    EXPECT_GE(offset, -5) << "starts at the keyframe at or before the time";
    EXPECT_LE(offset, int(kGopMs / (1000 / kFps)) + 5);
    ASSERT_GE(offset, 0);
    const auto [match, psnr] = best_source(frames[size_t(std::min<int>(offset, int(frames.size()) - 1))]);
    EXPECT_GE(psnr, 30.0);
    EXPECT_LE(std::abs(match - expected_s), 5)
        << "the picture at the start is source frame " << match << ", expected " << expected_s;
  }
  {
    // A strict player steering it: 1× (RTP time runs at the recording's pace), Scale 4 (a
    // quarter of it), Scale 16 (keyframes only), PAUSE (nothing more), then a seek by npt
    // (seconds from the URL's start).
    StrictRtspPlayer rtsp;
    // From 30 s before the start (ms since 1970, as scripts write it).
    ASSERT_TRUE(rtsp.Open(sys.RelayPort(),
                          RelayPath(sys, std::string(kCamera) + "?start=" + std::to_string(at_s - 30000)), "admin",
                          kAdminPassword))
        << rtsp.error();
    EXPECT_NE(rtsp.play_reply().find("Range: npt="), std::string::npos) << rtsp.play_reply();
    auto read_pictures = [&](size_t n) {
      const size_t want = rtsp.picture_log().size() + n;
      for (int i = 0; i < 300 && rtsp.picture_log().size() < want; ++i) rtsp.Read(100);
      return rtsp.picture_log().size() >= want;
    };
    // The RTP time between the first and last of the pictures since `from`, in ms, per picture.
    auto ms_per_picture = [&](size_t from) {
      const auto& log = rtsp.picture_log();
      return double(log.back().rtp_time - log[from].rtp_time) / 90 / double(log.size() - 1 - from);
    };
    ASSERT_TRUE(read_pictures(30)) << rtsp.error();
    EXPECT_TRUE(rtsp.picture_log().front().keyframe);
    EXPECT_NEAR(ms_per_picture(0), 1000.0 / kFps, 5) << "1×: 100 ms of RTP time a picture at 10 fps";
    std::string reply = rtsp.Control("PLAY", "Scale: 4\r\n");
    ASSERT_NE(reply.find("RTSP/1.0 200"), std::string::npos) << reply;
    EXPECT_NE(reply.find("Scale: 4"), std::string::npos) << reply;
    size_t mark = rtsp.picture_log().size();
    ASSERT_TRUE(read_pictures(60));
    size_t from = mark;
    while (from < rtsp.picture_log().size() && !rtsp.picture_log()[from].keyframe) ++from;  // the seek's first
    ASSERT_LT(from + 20, rtsp.picture_log().size());
    EXPECT_NEAR(ms_per_picture(from), 1000.0 / kFps / 4, 3) << "4×: every picture, at a quarter of the RTP time";
    reply = rtsp.Control("PLAY", "Scale: 16\r\n");
    EXPECT_NE(reply.find("Scale: 16"), std::string::npos) << reply;
    mark = rtsp.picture_log().size();
    ASSERT_TRUE(read_pictures(12));
    from = mark;
    while (from < rtsp.picture_log().size() && !rtsp.picture_log()[from].keyframe) ++from;
    int not_key = 0;
    for (size_t i = from; i < rtsp.picture_log().size(); ++i) not_key += rtsp.picture_log()[i].keyframe ? 0 : 1;
    EXPECT_EQ(not_key, 0) << "16×: keyframes only";
    reply = rtsp.Control("PAUSE");
    ASSERT_NE(reply.find("RTSP/1.0 200"), std::string::npos) << reply;
    for (int i = 0; i < 10; ++i) rtsp.Read(100);  // what was on its way
    const size_t paused = rtsp.pictures();
    for (int i = 0; i < 30; ++i) rtsp.Read(100);
    EXPECT_EQ(rtsp.pictures(), paused) << "nothing while paused";
    // On again from 30 s after its start — the start above — at 1×: the source's pictures there.
    std::string annexb;
    rtsp.CollectH264(&annexb);
    reply = rtsp.Control("PLAY", "Range: npt=30.000-\r\nScale: 1\r\n");
    ASSERT_NE(reply.find("RTSP/1.0 200"), std::string::npos) << reply;
    ASSERT_TRUE(read_pictures(40));
    rtsp.CollectH264(nullptr);
    const std::string seeked = sys.dir() + "/rtsp_seek.h264";
    std::ofstream(seeked, std::ios::binary) << annexb;
    const std::vector<std::string> frames = GreyFrames(seeked, 160, 90);
    ASSERT_GE(frames.size(), 35u);
    int best_gap = 1000;
    for (const std::string& f : frames) {
      const auto [k, p] = best_source(f);
      if (p >= 30.0) best_gap = std::min(best_gap, std::abs(k - expected_s));
    }
    EXPECT_LE(best_gap, 2) << "the picture 30 s after the start is among those played after the seek";
  }
  {
    // A live session asked for a time ("Range: clock="), as NVR decoders do: the recording.
    StrictRtspPlayer rtsp;
    ASSERT_TRUE(rtsp.Open(sys.RelayPort(), RelayPath(sys, kCamera), "admin", kAdminPassword, 0, 0,
                          "Range: clock=" + ClockText(at_s) + "-\r\n"))
        << rtsp.error();
    EXPECT_NE(rtsp.play_reply().find("Range: clock="), std::string::npos) << rtsp.play_reply();
    std::string annexb;
    rtsp.CollectH264(&annexb);
    for (int i = 0; i < 300 && rtsp.pictures() < 40; ++i) rtsp.Read(100);
    const std::string got = sys.dir() + "/rtsp_clock.h264";
    std::ofstream(got, std::ios::binary) << annexb;
    const std::vector<std::string> frames = GreyFrames(got, 160, 90);
    ASSERT_GE(frames.size(), 30u);
    int best_gap = 1000;
    for (const std::string& f : frames) {
      const auto [k, p] = best_source(f);
      if (p >= 30.0) best_gap = std::min(best_gap, std::abs(k - expected_s));
    }
    EXPECT_LE(best_gap, 2) << "the recording at that time, not live video";
  }
  {
    std::string reply;
    StrictRtspPlayer rtsp;
    EXPECT_FALSE(
        rtsp.Open(sys.RelayPort(), RelayPath(sys, std::string(kCamera) + "?start=yesterday"), "admin", kAdminPassword));
    EXPECT_NE(rtsp.error().find("400"), std::string::npos) << rtsp.error();
    StrictRtspPlayer nothing;
    EXPECT_FALSE(nothing.Open(sys.RelayPort(), RelayPath(sys, std::string(kCamera) + "?start=2020-01-01T00:00:00"),
                              "admin", kAdminPassword));
    EXPECT_NE(nothing.error().find("DESCRIBE"), std::string::npos) << nothing.error();
  }

  // An export of 60 s: one MP4 of 60 s ± a GOP, its SHA-256 in the manifest, in the audit log.
  const int64_t export_from = first["from_ms"].get<int64_t>() + 2000, export_to = export_from + 60000;
  auto made = sys.Api("POST", "/api/desk/exports",
                      json{{"camera", kCamera}, {"from_ms", export_from}, {"to_ms", export_to}}.dump());
  ASSERT_TRUE(made.ok() && made->status == 201) << (made.ok() ? made->body : made.error().message);
  const json manifest = json::parse(made->body);
  const std::string id = manifest["export"];
  EXPECT_EQ(manifest["camera"], kCamera);
  EXPECT_EQ(manifest["exported_by"], "admin");
  EXPECT_EQ(manifest["from_ms"], export_from);
  EXPECT_LE(manifest["file_starts_ms"].get<int64_t>(), export_from);
  EXPECT_GE(manifest["file_starts_ms"].get<int64_t>(), export_from - kGopMs - 200);
  EXPECT_FALSE(manifest["source_segments"].empty());
  auto file = sys.Api("GET", "/api/desk/exports/" + id + ".mp4");
  ASSERT_TRUE(file.ok() && file->status == 200);
  EXPECT_EQ(Sha256Hex(file->body), manifest["sha256"]);
  const std::string exported = sys.dir() + "/export.mp4";
  std::ofstream(exported, std::ios::binary) << file->body;
  const Probe probe = ProbeFile(exported);
  ASSERT_TRUE(probe.ok);
  EXPECT_EQ(probe.codec, "h264");
  EXPECT_GE(probe.duration_s, 60.0 - 0.3);
  EXPECT_LE(probe.duration_s, 60.0 + kGopMs / 1000.0 + 0.3);
  auto listed = sys.Api("GET", "/api/desk/exports");
  ASSERT_TRUE(listed.ok());
  EXPECT_NE(listed->body.find(id), std::string::npos);
  EXPECT_EQ(ReadAll(sys.dir() + "/exports/" + id + ".mp4"), file->body) << "kept beside the router's database";

  // The command line: the timeline and an export checked against its manifest.
  std::string out;
  EXPECT_EQ(sys.RunXl({"rec", "ls", kCamera, "--from", std::to_string(from), "--to", std::to_string(to)}, &out), 0)
      << out;
  EXPECT_NE(out.find("gap: camera offline"), std::string::npos) << out;
  EXPECT_NE(out.find("gap: worker stopped unexpectedly"), std::string::npos) << out;
  const std::string cli_file = sys.dir() + "/cli_export.mp4";
  EXPECT_EQ(sys.RunXl({"rec", "export", kCamera, "--from", std::to_string(export_from), "--to",
                       std::to_string(export_from + 20000), "--out", cli_file},
                      &out),
            0)
      << out;
  EXPECT_NE(out.find("matches the manifest"), std::string::npos) << out;
  EXPECT_TRUE(ProbeFile(cli_file).ok);
  EXPECT_TRUE(std::filesystem::exists(sys.dir() + "/cli_export.json"));

  // An operator of another village sees nothing of it: not the timeline, not the MP4, not
  // the exports.
  auto user = sys.Api(
      "POST", "/api/users",
      json{{"user", "op_b"}, {"password", "village-b-pw"}, {"role", "operator"}, {"region", "3301020199"}}.dump());
  ASSERT_TRUE(user.ok() && user->status == 201) << (user.ok() ? user->body : user.error().message);
  const std::string op_b = sys.LoginCookie("op_b", "village-b-pw");
  ASSERT_FALSE(op_b.empty());
  const std::vector<std::pair<std::string, std::string>> as_b = {{"Cookie", op_b}};
  const std::string range = "?from=" + std::to_string(from) + "&to=" + std::to_string(to);
  EXPECT_EQ(HttpCall("GET", sys.HttpBase() + "/api/desk/recordings/" + kCamera + range, "", "", 30, as_b)->status, 404);
  EXPECT_EQ(HttpCall("GET",
                     sys.HttpBase() + "/api/desk/recordings/" + kCamera + "/mp4?from=" + std::to_string(export_from) +
                         "&to=" + std::to_string(export_from + 5000),
                     "", "", 30, as_b)
                ->status,
            404);
  EXPECT_EQ(HttpCall("POST", sys.HttpBase() + "/api/desk/exports",
                     json{{"camera", kCamera}, {"from_ms", export_from}, {"to_ms", export_to}}.dump(),
                     "application/json", 30, as_b)
                ->status,
            404);
  EXPECT_EQ(HttpCall("GET", sys.HttpBase() + "/api/desk/exports/" + id + ".mp4", "", "", 30, as_b)->status, 404);
  auto b_list = HttpCall("GET", sys.HttpBase() + "/api/desk/exports", "", "", 30, as_b);
  ASSERT_TRUE(b_list.ok());
  EXPECT_EQ(b_list->body.find(id), std::string::npos);
  {
    const int fd = OpenWebSocket(sys.HttpPort(), "/playback/" + std::string(kCamera), "Cookie: " + op_b + "\r\n");
    ASSERT_GE(fd, 0);
    PlaybackPlayer player(fd);
    player.ws.SendText(json{{"seek", at}}.dump());
    EXPECT_FALSE(player.Await("chunk", nullptr, seconds(5)));
    EXPECT_EQ(player.ws.close_code(), 4401) << "no playback of another village's camera";
  }
  {
    StrictRtspPlayer rtsp;
    EXPECT_FALSE(rtsp.Open(sys.RelayPort(), RelayPath(sys, std::string(kCamera) + "?start=" + std::to_string(at)),
                           "op_b", "village-b-pw"));
    EXPECT_NE(rtsp.error().find("404"), std::string::npos)
        << "no RTSP playback of another village's camera: " << rtsp.error();
  }
  EXPECT_EQ(HttpCall("GET", sys.HttpBase() + "/api/desk/recordings/" + kCamera + range)->status, 401);
  EXPECT_EQ(HttpCall("GET", "http://127.0.0.1:" + std::to_string(http_port) + "/recordings/" + kCamera + range)->status,
            401)
      << "only the router reads the worker's recordings";
  // Bad input is a clear 400, not a crash.
  EXPECT_EQ(sys.Api("GET", "/api/desk/recordings/" + std::string(kCamera) + "?from=5&to=abc")->status, 400);
  EXPECT_EQ(sys.Api("GET", "/api/desk/recordings/not-a-camera?from=1&to=2")->status, 400);
  EXPECT_EQ(sys.Api("POST", "/api/desk/exports", "{\"camera\": 5}")->status, 400);
  EXPECT_EQ(sys.Api("POST", "/api/desk/exports",
                    json{{"camera", kCamera}, {"from_ms", export_from}, {"to_ms", export_from + 3600000}}.dump())
                ->status,
            400);
  EXPECT_TRUE(router->running());
}

TEST(Recording, ABudgetRemovesTheOldestAndAFullDiskStopsAndResumes) {
  System sys("recording_disk");
  const std::string clip = EncodeVtest640x360(sys.dir(), kFps);
  ASSERT_FALSE(clip.empty());
  auto router = sys.StartRouter();
  auto camsim = sys.StartCamsim({"gate=" + clip});
  SmallDisk disk(sys.dir() + "/disk", 48);
  const std::string recordings = (disk.mounted() ? disk.path() : sys.dir()) + "/recordings";
  // A budget of about 3 segments of 10 s.
  const std::string worker_yaml = CameraYaml(sys, "gate", "{mode: continuous, segment_s: 10}");
  auto worker = sys.StartWorker("w1", worker_yaml, FreePort(),
                                "  recordings: {dir: " + recordings + ", max_size_gb: 0.0015, min_free_gb: 0.004}\n");
  ASSERT_TRUE(WaitUntil([&] { return CountOf(worker->Output(), "recording to") >= 1; }, seconds(60)))
      << worker->Output();
  const int64_t began = NowMs();
  json t;
  // The oldest segments go once the folder is over its budget: the first range starts later.
  ASSERT_TRUE(WaitUntil(
      [&] {
        t = Timeline(sys, began - 60000, NowMs());
        return t.is_object() && !t["ranges"].empty() && t["ranges"][0]["from_ms"].get<int64_t>() > began + 15000;
      },
      seconds(150)))
      << t.dump() << worker->Output();
  EXPECT_NE(worker->Output().find("deleted"), std::string::npos) << worker->Output();
  int64_t bytes = 0;
  for (const json& s : t["segments"]) bytes += s["bytes"].get<int64_t>();
  EXPECT_LE(bytes, 1500000 + 1500000) << "the budget, and at most the segments being written";
  EXPECT_EQ(t["ranges"].size(), 1u) << Describe(t) << ": the newest kept, no holes in it";

  if (!disk.mounted()) GTEST_SKIP() << "full disk not tried: " << disk.why();
  // The disk fills: recording stops, the desk shows why; room again: recording resumes.
  disk.Fill();
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const std::string& p : sys.Problems()) {
          if (p == "recording_stopped:w1") return true;
        }
        return false;
      },
      seconds(60)))
      << worker->Output();
  auto system = sys.Api("GET", "/api/desk/system");
  ASSERT_TRUE(system.ok());
  EXPECT_NE(system->body.find("recording stopped: disk full"), std::string::npos) << system->body;
  const int64_t full_ms = NowMs();
  disk.Free();
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const std::string& p : sys.Problems()) {
          if (p == "recording_stopped:w1") return false;
        }
        return true;
      },
      seconds(60)))
      << worker->Output();
  std::this_thread::sleep_for(seconds(5));
  t = Timeline(sys, full_ms - 60000, NowMs());
  ASSERT_TRUE(t.is_object());
  bool disk_gap = false;
  for (const json& g : t["gaps"]) disk_gap |= g["reason"].get<std::string>().find("disk full") != std::string::npos;
  EXPECT_TRUE(disk_gap) << Describe(t);
  ASSERT_FALSE(t["ranges"].empty());
  EXPECT_GT(t["ranges"].back()["to_ms"].get<int64_t>(), full_ms) << Describe(t) << ": recording again";
  EXPECT_TRUE(worker->running());
}

}  // namespace
}  // namespace xl::test
