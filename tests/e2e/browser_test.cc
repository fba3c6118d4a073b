// The desk in a real browser: tests/browser/desk.mjs (Playwright driving Debian's headless
// Chromium) against the real router, worker and simulator started here. This side sets the
// system up (a county of two villages, two cameras each, three desk users), runs the browser
// script, and checks what must hold outside the browser: the script's every check passed,
// the handling loop is stored in SQLite step by step, and the screenshots were written.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/http_client.h"
#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"

namespace xl::test {
namespace {

using json = nlohmann::json;
using std::chrono::seconds;

TEST(Browser, TheDeskLogsInPlaysTheWallHandlesAnAlertLiveAndKeepsVillagesApart) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium")) << "deploy/setup.sh installs Debian's chromium";
  const std::string node_modules = std::string(XL_SOURCE_DIR) + "/tests/browser/node_modules/playwright-core";
  ASSERT_TRUE(std::filesystem::exists(node_modules)) << "deploy/setup.sh runs npm ci in tests/browser";

  System sys("browser");
  const std::string regions = sys.dir() + "/regions.yaml";
  std::ofstream(regions) << "\"330102\": 演示县\n\"33010201\": 城关镇\n\"3301020101\": 东村\n\"3301020102\": 西村\n";
  auto router = sys.StartRouter({"--regions", regions});
  auto camsim = sys.StartCamsim({"vtest=" + Fixture("vtest.avi"), "tree=" + Fixture("tree.avi"),
                                 "tree265=" + Fixture("tree.avi") + ",codec=h265"});
  const std::vector<std::string> ids = {"33010201011320000001", "33010201011320000002", "33010201021320000003",
                                        "33010201021320000004"};
  const std::vector<std::string> regions_of = {"3301020101", "3301020101", "3301020102", "3301020102"};
  const std::vector<std::string> names = {"东村村口", "东村林地", "西村村口", "西村林地"};
  // Clips cut at 4 s, so the desk can play one while the street's motion goes on.
  std::string yaml = "defaults: {watchdog_s: 5, clips: {max_s: 4}}\ncameras:\n";
  for (int i = 0; i < 4; ++i) {
    const std::string url =
        "rtsp://" + std::string(kCamUser) + ":" + kCamPassword + "@" + sys.RtspUrl(i % 2 ? "tree" : "vtest").substr(7);
    yaml += "  - {id: \"" + ids[i] + "\", name: " + names[i] + ", region: \"" + regions_of[i] + "\", url: \"" + url +
            "\"}\n";
  }
  const std::string late = "33010201011320000005";  // switched on by the browser test
  yaml += "  - {id: \"" + late + "\", name: 东村路口, region: \"3301020101\", enabled: false, url: \"rtsp://" +
          std::string(kCamUser) + ":" + kCamPassword + "@" + sys.RtspUrl("vtest").substr(7) + "\"}\n";
  const std::string h265 = "33010201021320000006";  // an H.265 camera: plays, or the tile says why not
  yaml += "  - {id: \"" + h265 + "\", name: 西村路口, region: \"3301020102\", url: \"rtsp://" + std::string(kCamUser) +
          ":" + kCamPassword + "@" + sys.RtspUrl("tree265").substr(7) + "\"}\n";
  auto worker = sys.StartWorker("w1", yaml, FreePort(), "  clips: {dir: " + sys.dir() + "/clips}\n");
  ASSERT_TRUE(WaitUntil([&] { return CountOf(worker->Output(), "-> online") >= 5; }, seconds(120))) << worker->Output();

  // Desk users, made by the admin through the API.
  for (const json& u :
       {json{{"user", "town"}, {"password", "town-centre"}, {"role", "commander"}, {"region", "33010201"}},
        json{{"user", "op_a"}, {"password", "village-a-pw"}, {"role", "operator"}, {"region", "3301020101"}}}) {
    auto r = sys.Api("POST", "/api/users", u.dump());
    ASSERT_TRUE(r.ok() && r->status == 201) << (r.ok() ? r->body : r.error().message);
  }

  const std::string shots = sys.dir() + "/screenshots";
  std::filesystem::create_directories(shots);
  std::string wall;
  for (const std::string& id : ids) wall += (wall.empty() ? "" : ",") + id;
  const std::string script = std::string(XL_SOURCE_DIR) + "/tests/browser/desk.mjs";
  Process browser(
      {"/usr/bin/env", "XL_URL=" + sys.HttpBase(), "XL_SHOTS=" + shots, "XL_ADMIN=admin:" + std::string(kAdminPassword),
       "XL_COMMANDER=town:town-centre", "XL_OPERATOR_A=op_a:village-a-pw", "XL_WALL=" + wall, "XL_CAMERA_B=" + ids[2],
       "XL_LATE_CAMERA=" + late, "XL_H265_CAMERA=" + h265, "XL_KILL_PID=" + std::to_string(camsim->pid()), "node",
       script},
      sys.dir() + "/browser.log");
  const int code = browser.Wait(std::chrono::milliseconds(240000));
  ASSERT_EQ(code, 0) << browser.Output() << "\n--- router\n" << router->Output();

  // The alert the browsers handled: four steps in SQLite, by the admin.
  const std::string out = browser.Output();
  const size_t at = out.find("RESULT ");
  ASSERT_NE(at, std::string::npos) << out;
  const std::string alert = json::parse(out.substr(at + 7, out.find('\n', at) - at - 7))["alert"];
  EXPECT_EQ(sys.HandlingSteps(alert),
            (std::vector<std::string>{"ack/admin/", "dispatch/admin/东村派出所", "handle/admin/", "close/admin/"}));
  for (const char* shot : {"wall.png", "desk.png", "no-signal.png"}) {
    EXPECT_GT(std::filesystem::file_size(shots + "/" + shot), 10000u) << shot;
  }
  EXPECT_TRUE(router->running());
}

// Playback in the browser (tests/browser/playback.mjs): a camera recorded for a minute and a
// half with its motion alerts; the page plays from a click on the timeline, at 4×, steps a
// frame, exports a range (the file must play), and jumps from an alert to its recording.
TEST(Browser, PlaybackPlaysFromTheTimelineAtSpeedStepsExportsAndJumpsFromAnAlert) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium")) << "deploy/setup.sh installs Debian's chromium";
  System sys("browser-playback");
  const std::string clip = StreetWithPassersBy(sys.dir());  // walkers from 15 s to 25 s, looped every 65 s
  ASSERT_FALSE(clip.empty());
  auto router = sys.StartRouter();
  auto camsim = sys.StartCamsim({"street=" + clip});
  const std::string id = "33010201011320000021", id2 = "33010201011320000022";
  auto worker =
      sys.StartWorker("w1",
                      "cameras:\n  - {id: \"" + id + "\", name: 东村村口, region: \"3301020101\", url: \"rtsp://" +
                          std::string(kCamUser) + ":" + kCamPassword + "@" + sys.RtspUrl("street").substr(7) +
                          "\", record: {segment_s: 10}, faults: {enabled: false}}\n"
                          // The same street seen by a second camera: played beside the first, in sync.
                          "  - {id: \"" +
                          id2 + "\", name: 东村路口, region: \"3301020101\", url: \"rtsp://" + std::string(kCamUser) +
                          ":" + kCamPassword + "@" + sys.RtspUrl("street").substr(7) +
                          "\", record: {segment_s: 10}, motion: {enabled: false}, faults: {enabled: false}}\n",
                      FreePort(), "  recordings: {dir: " + sys.dir() + "/recordings, min_free_gb: 0.01}\n");
  ASSERT_TRUE(WaitUntil([&] { return worker->Output().find("recording to") != std::string::npos; }, seconds(60)))
      << worker->Output();
  const int64_t recorded_from = NowMs();
  // The walkers' motion alert, 12 s or more into the recording (so 10 s before it is recorded).
  std::string alert;
  int64_t alert_ms = 0;
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto r = sys.Api("GET", "/api/desk/alerts?limit=200");
        if (!r.ok() || r->status != 200) return false;
        for (const json& a : json::parse(r->body)) {
          if (a["kind"] == "motion" && a["start_ms"].get<int64_t>() > recorded_from + 12000) {
            alert = a["id"];
            alert_ms = a["start_ms"];
            return true;
          }
        }
        return false;
      },
      seconds(120)));
  // Enough recording for 4× to run a while from 25 s in.
  while (NowMs() < recorded_from + 90000) std::this_thread::sleep_for(seconds(1));

  const std::string shots = sys.dir() + "/screenshots";
  std::filesystem::create_directories(shots);
  const std::string download = sys.dir() + "/export.mp4";
  const std::string script = std::string(XL_SOURCE_DIR) + "/tests/browser/playback.mjs";
  Process browser(
      {"/usr/bin/env", "XL_URL=" + sys.HttpBase(), "XL_SHOTS=" + shots, "XL_ADMIN=admin:" + std::string(kAdminPassword),
       "XL_CAMERA=" + id, "XL_CAMERA2=" + id2, "XL_RECORDED_FROM=" + std::to_string(recorded_from), "XL_ALERT=" + alert,
       "XL_ALERT_MS=" + std::to_string(alert_ms), "XL_DOWNLOAD=" + download, "node", script},
      sys.dir() + "/browser.log");
  const int code = browser.Wait(std::chrono::milliseconds(240000));
  ASSERT_EQ(code, 0) << browser.Output() << "\n--- router\n" << router->Output();
  const Probe probe = ProbeFile(download);
  ASSERT_TRUE(probe.ok) << "the downloaded export plays";
  EXPECT_GE(probe.duration_s, 9.0);
  EXPECT_GT(std::filesystem::file_size(shots + "/playback.png"), 10000u);
  EXPECT_TRUE(router->running());
}

}  // namespace
}  // namespace xl::test
