// Event clips through the whole pipeline: vtest.avi with a still street for 15 s, 10 s of
// pedestrians, then the still street again (ffmpeg), served by xl-camsim, analysed and recorded by
// xl-ingest, the alerts through the router to a console. The motion event's alerts name
// its clip; the clip is an MP4 that ffprobe reads, covering pre-capture + event +
// post-capture within one GOP, and the worker serves it over HTTP.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/http_client.h"
#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"

namespace xl::test {
namespace {

using json = nlohmann::json;
using std::chrono::seconds;
constexpr double kGopS = 2.0;  // -g 20 at 10 fps

TEST(Clips, AMotionEventYieldsASnapshotAndAnMp4CoveringPreEventAndPost) {
  System sys("clips");
  const std::string clip = StreetWithPassersBy(sys.dir());
  ASSERT_FALSE(clip.empty());
  auto camsim = sys.StartCamsim({"street=" + clip});
  auto router = sys.StartRouter();
  ASSERT_TRUE(WaitUntil([&] { return camsim->Output().find("camsim: ready") != std::string::npos; }, seconds(60)));
  auto console = sys.StartConsole("console.log");
  const std::string id = "33010201001320000061";
  const std::string clips = sys.dir() + "/clips";
  const int http_port = FreePort();
  auto worker = sys.StartWorker("w1",
                                "cameras:\n  - id: \"" + id + "\"\n    name: 街道\n    url: " + sys.RtspUrl("street") +
                                    "\n    username: " + kCamUser + "\n    password: " + kCamPassword +
                                    "\n    faults: {enabled: false}\n",
                                http_port, "  clips: {dir: " + clips + ", max_size_mb: 500}\n");

  auto motion = [&](const std::string& phase) {
    std::vector<json> out;
    for (const std::string& line : console->Lines()) {
      json j = json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.value("type", "") == "alert" && j["kind"] == "motion" && j["phase"] == phase) {
        out.push_back(j);
      }
    }
    return out;
  };
  ASSERT_TRUE(WaitUntil([&] { return !motion("end").empty(); }, seconds(120))) << worker->Output();
  const json start = motion("start").front();
  const json end = motion("end").front();
  ASSERT_EQ(start["id"], end["id"]);
  EXPECT_GT(start["snapshot_bytes"].get<int>(), 0);
  const std::string relative = start["clip"];
  ASSERT_FALSE(relative.empty());
  EXPECT_EQ(end["clip"], relative);
  EXPECT_EQ(relative, id + "/" + relative.substr(id.size() + 1, 8) + "/" + start["id"].get<std::string>() + ".mp4");

  const std::string path = clips + "/" + relative;
  ASSERT_TRUE(WaitUntil([&] { return std::filesystem::exists(path); }, seconds(30))) << worker->Output();
  const Probe probe = ProbeFile(path);
  ASSERT_TRUE(probe.ok) << path;
  EXPECT_EQ(probe.codec, "h264");
  // Event from start_ms to end_ms; 5 s before and after it by default.
  const double expected_s = double(end["end_ms"].get<int64_t>() - start["start_ms"].get<int64_t>()) / 1000 + 10;
  EXPECT_GE(probe.duration_s, expected_s - 0.3) << "event " << start << " → " << end;
  EXPECT_LE(probe.duration_s, expected_s + kGopS + 1.0) << "event " << start << " → " << end;
  EXPECT_GT(expected_s, 15);  // the pedestrians walk for 10 s

  // The worker serves it to the desk; nothing outside the clips folder.
  const std::string base = "http://127.0.0.1:" + std::to_string(http_port) + "/clips/";
  EXPECT_EQ(HttpCall("GET", base + relative).value().status, 401) << "only the router fetches clips";
  EXPECT_EQ(HttpCall("GET", base + relative, "", "", 30, AsScraper()).value().status, 401);
  auto got = HttpCall("GET", base + relative, "", "", 30, AsRouter());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.value().status, 200);
  EXPECT_EQ(got.value().content_type, "video/mp4");
  EXPECT_EQ(got.value().body.size(), std::filesystem::file_size(path));
  EXPECT_EQ(HttpCall("GET", base + "..%2F..%2Fw1.yaml", "", "", 30, AsRouter()).value().status, 400);
  EXPECT_EQ(HttpCall("GET", base + id + "/20000101/nothing.mp4", "", "", 30, AsRouter()).value().status, 404);

  // The desk gets it through the router, which fetches it from the worker that recorded it;
  // players ask for ranges.
  const std::string desk_clip = sys.HttpBase() + "/api/desk/alerts/" + start["id"].get<std::string>() + "/clip";
  const std::vector<std::pair<std::string, std::string>> session = {{"Cookie", sys.AdminCookie()}};
  auto via = HttpCall("GET", desk_clip, "", "", 30, session);
  ASSERT_TRUE(via.ok());
  EXPECT_EQ(via->status, 200) << via->body;
  EXPECT_EQ(via->content_type, "video/mp4");
  EXPECT_EQ(via->body, got->body);
  auto part = HttpCall("GET", desk_clip, "", "", 30, {{"Cookie", sys.AdminCookie()}, {"Range", "bytes=100-199"}});
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, got->body.substr(100, 100));
  EXPECT_EQ(HttpCall("GET", desk_clip)->status, 401) << "no session, no clip";
  EXPECT_EQ(HttpCall("GET", sys.HttpBase() + "/api/desk/alerts/no-such-event/clip", "", "", 30, session)->status, 404);
  // The worker gone: a clear 502, and the router serves on.
  worker->Kill();
  auto gone = HttpCall("GET", desk_clip, "", "", 60, session);
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->status, 502) << gone->body;
  EXPECT_NE(gone->body.find("w1"), std::string::npos) << gone->body;
  EXPECT_TRUE(router->running());
}

}  // namespace
}  // namespace xl::test
