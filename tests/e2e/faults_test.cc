// Video-fault diagnosis through the whole pipeline: vtest.avi with a fault burnt in from
// 30 s to 50 s (ffmpeg filters), served by xl-camsim, analysed by xl-ingest, alerts through
// the router to a console. Each fault is raised within 10 s and ended within 10 s of its
// end; the unaltered clip raises none. Then the stream is cut: signal loss, and back.
// And damaged frames: the camera keeps running.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/clock.h"
#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"

namespace xl::test {
namespace {

using json = nlohmann::json;
using std::chrono::seconds;

struct Case {
  std::string name, id, kind, filter;  // filter: ffmpeg -filter_complex on [0:v] (and [1:v])
};

const std::string kOn = ":enable='between(t,30,50)'";
const std::vector<Case> kCases = {
    {"clean", "33010201001320000040", "", "[0:v]null"},
    {"covered", "33010201001320000041", "covered", "[0:v]drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill" + kOn},
    {"blur", "33010201001320000042", "blur", "[0:v]gblur=sigma=25" + kOn},
    {"frozen", "33010201001320000043", "frozen", "[0:v][1:v]freezeframes=first=300:last=499:replace=300"},
    {"dark", "33010201001320000044", "brightness", "[0:v]lutyuv=y=val*0.1" + kOn},
    {"moved", "33010201001320000045", "scene_change", "[0:v]rotate=0.35:fillcolor=black" + kOn},
};

TEST(Faults, EachFaultIsRaisedAndEndedAndTheCleanClipRaisesNone) {
  System sys("faults");
  std::vector<std::string> streams;
  std::string cams = "defaults:\n  watchdog_s: 5\n  motion: {enabled: false}\ncameras:\n";
  for (const Case& c : kCases) {
    const std::string clip = sys.dir() + "/" + c.name + ".mp4";
    const std::string cmd = "ffmpeg -v error -y -i '" + Fixture("vtest.avi") + "' -i '" + Fixture("vtest.avi") +
                            "' -filter_complex \"" + c.filter +
                            ",scale=640:360,format=yuv420p\" -c:v libx264 "
                            "-preset ultrafast -g 20 -bf 0 -an '" +
                            clip + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    streams.push_back(c.name + "=" + clip);
    cams += "  - id: \"" + c.id + "\"\n    name: 故障" + c.name + "\n    url: " + sys.RtspUrl(c.name) +
            "\n    username: " + kCamUser + "\n    password: " + kCamPassword + "\n";
  }
  auto camsim = sys.StartCamsim(streams);
  auto router = sys.StartRouter();
  ASSERT_TRUE(WaitUntil([&] { return camsim->Output().find("camsim: ready") != std::string::npos; }, seconds(60)));
  auto console = sys.StartConsole("console.log");
  auto worker = sys.StartWorker("w1", cams);

  auto events = [&](const std::string& type) {
    std::vector<json> out;
    for (const std::string& line : console->Lines()) {
      json j = json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.value("type", "") == type) out.push_back(j);
    }
    return out;
  };
  // When each camera came online (its clip starts then: the simulator plays from 0 per session).
  std::map<std::string, int64_t> online_ms;
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const json& c : events("camera")) {
          if (c["state"] == "online" && !online_ms.count(c["id"])) online_ms[c["id"]] = xl::NowMs();
        }
        return online_ms.size() == kCases.size();
      },
      seconds(60)));
  std::this_thread::sleep_for(seconds(65));  // past the fault and its clearing

  for (const Case& c : kCases) {
    std::vector<json> faults;
    for (const json& a : events("alert")) {
      if (a["camera"] == c.id && a["kind"] != "motion" && a["kind"] != "signal_loss") faults.push_back(a);
    }
    if (c.kind.empty()) {
      EXPECT_TRUE(faults.empty()) << "the clean clip raised " << faults.front().dump();
      continue;
    }
    int64_t start = -1, end = -1;
    for (const json& a : faults) {
      if (a["kind"] != c.kind) continue;
      if (a["phase"] == "start" && start < 0) start = a["time_ms"].get<int64_t>() - online_ms[c.id];
      if (a["phase"] == "end" && end < 0) end = a["time_ms"].get<int64_t>() - online_ms[c.id];
    }
    // 30-50 s into the clip, give or take the session's start-up.
    EXPECT_GE(start, 28000) << c.name;
    EXPECT_LE(start, 42000) << c.name << ": not raised within 10 s";
    EXPECT_GE(end, 48000) << c.name;
    EXPECT_LE(end, 62000) << c.name << ": not ended within 10 s";
    for (const json& a : faults) EXPECT_EQ(a["kind"], c.kind) << c.name << " also raised " << a.dump();
  }

  // Cut the stream: signal loss on every camera; back: ended.
  camsim->Kill();
  auto signal = [&](const std::string& phase) {
    std::set<std::string> cams_seen;
    for (const json& a : events("alert")) {
      if (a["kind"] == "signal_loss" && a["phase"] == phase) cams_seen.insert(a["camera"]);
    }
    return cams_seen.size();
  };
  EXPECT_TRUE(WaitUntil([&] { return signal("start") == kCases.size(); }, seconds(15))) << console->Output();
  camsim = sys.StartCamsim(streams);
  EXPECT_TRUE(WaitUntil([&] { return signal("end") == kCases.size(); }, seconds(30))) << worker->Output();
}

// Bad input: a stream with damaged frames (ffmpeg's noise filter flips bytes in every tenth
// packet, keyframes included, sent as they are) keeps the camera online and decoding.
TEST(Faults, DamagedFramesDoNotStopTheCamera) {
  System sys("faults-damaged");
  const std::string id = "33010201001320000049";
  const std::string clip = sys.dir() + "/damaged.mp4";
  const std::string cmd = "ffmpeg -v error -y -i '" + Fixture("vtest.avi") +
                          "' -vf scale=640:360,format=yuv420p -c:v libx264 -preset ultrafast -g 30 -bf 0 "
                          "-bsf:v 'noise=amount=if(eq(mod(n\\,10)\\,5)\\,40\\,0)' -an '" +
                          clip + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  // The clip really is damaged: FFmpeg's own decoder reports errors in it.
  Process check({"/usr/bin/ffmpeg", "-v", "error", "-i", clip, "-f", "null", "-"}, sys.dir() + "/ffmpeg-check.log");
  check.Wait(seconds(60));
  ASSERT_NE(check.Output().find("error while decoding"), std::string::npos) << check.Output();
  auto camsim = sys.StartCamsim({"damaged=" + clip});
  auto router = sys.StartRouter();
  auto console = sys.StartConsole("console.log");
  const int metrics_port = FreePort();
  auto worker =
      sys.StartWorker("w1",
                      "cameras:\n  - id: \"" + id + "\"\n    name: 损坏画面\n    url: " + sys.RtspUrl("damaged") +
                          "\n    username: " + std::string(kCamUser) + "\n    password: " + kCamPassword + "\n",
                      metrics_port);
  auto states = [&] {
    std::vector<std::string> out;
    for (const std::string& line : console->Lines()) {
      json j = json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.value("type", "") == "camera" && j.value("id", "") == id) out.push_back(j["state"]);
    }
    return out;
  };
  ASSERT_TRUE(WaitUntil([&] { return !states().empty() && states().back() == "online"; }, seconds(60)))
      << worker->Output();
  const double decoded_before = CameraMetric(metrics_port, "xl_camera_frames_decoded_total", id);
  std::this_thread::sleep_for(seconds(30));  // 300 frames at 10 fps: 30 of them damaged

  EXPECT_GT(CameraMetric(metrics_port, "xl_camera_frames_decoded_total", id), decoded_before + 150);
  EXPECT_EQ(CameraMetric(metrics_port, "xl_camera_reconnects_total", id), 0);
  const std::vector<std::string> seen = states();
  const auto online = std::find(seen.begin(), seen.end(), "online");
  for (auto s = online; s != seen.end(); ++s) EXPECT_EQ(*s, "online") << console->Output();
  EXPECT_TRUE(worker->running());
}

}  // namespace
}  // namespace xl::test
