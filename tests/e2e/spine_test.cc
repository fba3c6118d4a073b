// The spine, end to end, with the real processes on loopback:
//   xl-camsim (RTSP, from vtest.avi) → xl-ingest → xl-router (SQLite) → xl-console --json
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <set>

#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"

namespace xl::test {
namespace {

using json = nlohmann::json;
using std::chrono::seconds;

constexpr const char* kVtestCamera = "33010201001320000011";
constexpr const char* kTreeCamera = "33010202001320000021";

std::unique_ptr<Process> StartCamsim(System& sys) {
  return sys.StartCamsim({"vtest=" + Fixture("vtest.avi"), "tree=" + Fixture("tree.avi") + ",codec=h265"});
}

// The worker's file names both cameras: they reach the registry as its seed.
std::unique_ptr<Process> StartWorker(System& sys) {
  return sys.StartWorker("e2e-worker", std::string("defaults:\n  watchdog_s: 5\ncameras:\n") + "  - id: \"" +
                                           kVtestCamera + "\"\n    name: 东村村口\n    region: \"3301020101\"\n" +
                                           "    url: rtsp://" + kCamUser + ":" + kCamPassword + "@" +
                                           sys.RtspUrl("vtest").substr(7) + "\n  - id: \"" + kTreeCamera +
                                           "\"\n    name: 南村林地\n    url: " + sys.RtspUrl("tree") +
                                           "\n    username: " + kCamUser + "\n    password: " + kCamPassword + "\n");
}

std::vector<json> Events(const Process& console, const std::string& type) {
  std::vector<json> out;
  for (const std::string& line : console.Lines()) {
    if (line.empty() || line[0] != '{') continue;
    json j = json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("type", "") == type) out.push_back(j);
  }
  return out;
}

// The last state the console printed for `camera`, "" if none.
std::string LastState(const Process& console, const std::string& camera) {
  std::string state;
  for (const json& c : Events(console, "camera")) {
    if (c["id"] == camera) state = c["state"];
  }
  return state;
}

std::vector<json> MotionStarts(const Process& console, const std::string& camera) {
  std::vector<json> out;
  for (const json& a : Events(console, "alert")) {
    if (a["camera"] == camera && a["kind"] == "motion" && a["phase"] == "start") out.push_back(a);
  }
  return out;
}

// Sequence numbers of every alert in the SQLite log after `after`, ascending.
std::vector<uint64_t> LoggedSeqs(const std::string& db_path, uint64_t after = 0, std::string alert_id = "") {
  sqlite3* db = nullptr;
  std::vector<uint64_t> seqs;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return seqs;
  }
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT seq FROM alerts WHERE seq > ? AND (? = '' OR alert_id = ?) ORDER BY seq", -1, &stmt,
                     nullptr);
  sqlite3_bind_int64(stmt, 1, int64_t(after));
  sqlite3_bind_text(stmt, 2, alert_id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(stmt, 3, alert_id.c_str(), -1, SQLITE_TRANSIENT);
  while (sqlite3_step(stmt) == SQLITE_ROW) seqs.push_back(uint64_t(sqlite3_column_int64(stmt, 0)));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return seqs;
}

std::vector<uint64_t> AlertSeqs(const Process& console) {
  std::vector<uint64_t> seqs;
  for (const json& a : Events(console, "alert")) seqs.push_back(a["seq"]);
  return seqs;
}

TEST(Spine, MotionAlertReachesTheConsoleWithSnapshotAndIsLogged) {
  System sys("spine-alert");
  auto camsim = StartCamsim(sys);
  auto router = sys.StartRouter();
  auto worker = StartWorker(sys);
  auto console = sys.StartConsole("console.log");

  ASSERT_TRUE(WaitUntil([&] { return LastState(*console, kVtestCamera) == "online"; }, seconds(60)))
      << "vtest camera never online\n"
      << worker->Output();
  EXPECT_TRUE(WaitUntil([&] { return LastState(*console, kTreeCamera) == "online"; }, seconds(30)))
      << "H.265 camera never online\n"
      << worker->Output();
  ASSERT_TRUE(WaitUntil([&] { return !MotionStarts(*console, kVtestCamera).empty(); }, seconds(30)))
      << "no motion alert\n"
      << console->Output();

  const json start = MotionStarts(*console, kVtestCamera).front();
  EXPECT_EQ(start["region"], "3301020101");
  EXPECT_GT(start["boxes"].get<int>(), 0);
  ASSERT_GT(start["snapshot_bytes"].get<int>(), 0);
  cv::Mat jpeg = cv::imread(start["snapshot"].get<std::string>());
  ASSERT_FALSE(jpeg.empty()) << "snapshot is not a decodable JPEG";
  EXPECT_EQ(jpeg.rows, 360);

  // Durable: the alert is in SQLite under the same sequence number.
  std::vector<uint64_t> logged = LoggedSeqs(sys.Database(), 0, start["id"]);
  ASSERT_FALSE(logged.empty());
  EXPECT_EQ(logged.front(), start["seq"].get<uint64_t>());

  // The password appears in no log line.
  for (const Process* p : {camsim.get(), router.get(), worker.get(), console.get()}) {
    if (p == camsim.get()) continue;  // the simulator is given the password on its command line
    EXPECT_EQ(p->Output().find(kCamPassword), std::string::npos) << p->log_path();
  }
}

TEST(Spine, CameraGoesOfflineWhenTheSimulatorDiesAndComesBack) {
  System sys("spine-offline");
  auto camsim = StartCamsim(sys);
  auto router = sys.StartRouter();
  auto worker = StartWorker(sys);
  auto console = sys.StartConsole("console.log");
  ASSERT_TRUE(WaitUntil([&] { return LastState(*console, kVtestCamera) == "online"; }, seconds(60)))
      << worker->Output();

  camsim->Kill();
  EXPECT_TRUE(WaitUntil([&] { return LastState(*console, kVtestCamera) == "offline"; }, seconds(15)))
      << "camera not offline 15 s after the simulator died\n"
      << console->Output();

  camsim = StartCamsim(sys);
  EXPECT_TRUE(WaitUntil([&] { return LastState(*console, kVtestCamera) == "online"; }, seconds(60)))
      << "camera did not come back\n"
      << worker->Output();

  // One log line per state change, with ID and name.
  const std::string log = worker->Output();
  EXPECT_NE(log.find(std::string("camera ") + kVtestCamera + " (东村村口): online -> offline"), std::string::npos)
      << log;
}

TEST(Spine, ConsoleResumingBySequenceGetsEveryAlertItMissed) {
  System sys("spine-resume");
  auto camsim = StartCamsim(sys);
  auto router = sys.StartRouter();
  auto worker = StartWorker(sys);
  auto first = sys.StartConsole("first.log");
  ASSERT_TRUE(WaitUntil([&] { return AlertSeqs(*first).size() >= 2; }, seconds(90))) << first->Output();
  first->Kill();
  const uint64_t seen = AlertSeqs(*first).back();

  // Alerts go on while no console is connected.
  ASSERT_TRUE(WaitUntil([&] { return LoggedSeqs(sys.Database(), seen).size() >= 3; }, seconds(60)));

  auto second = sys.StartConsole("second.log", {"--after", std::to_string(seen)});
  ASSERT_TRUE(WaitUntil([&] { return !Events(*second, "live").empty(); }, seconds(30))) << second->Output();
  const uint64_t live_at = Events(*second, "live").front()["seq"];
  std::vector<uint64_t> missed = LoggedSeqs(sys.Database(), seen);
  missed.erase(std::remove_if(missed.begin(), missed.end(), [&](uint64_t s) { return s > live_at; }), missed.end());
  std::vector<uint64_t> got = AlertSeqs(*second);
  got.erase(std::remove_if(got.begin(), got.end(), [&](uint64_t s) { return s > live_at; }), got.end());
  EXPECT_GE(missed.size(), 3u);
  EXPECT_EQ(got, missed) << "the resumed console must get exactly the alerts logged after " << seen;
}

TEST(Spine, RouterRestartLosesNoAlert) {
  System sys("spine-router-restart");
  auto camsim = StartCamsim(sys);
  auto router = sys.StartRouter();
  auto worker = StartWorker(sys);
  auto console = sys.StartConsole("console.log");
  ASSERT_TRUE(WaitUntil([&] { return AlertSeqs(*console).size() >= 2; }, seconds(90))) << console->Output();

  router->Kill();
  std::this_thread::sleep_for(seconds(3));  // alerts made now wait in the worker
  router = sys.StartRouter();
  const size_t before = AlertSeqs(*console).size();
  ASSERT_TRUE(WaitUntil([&] { return AlertSeqs(*console).size() >= before + 3; }, seconds(60))) << console->Output();
  EXPECT_FALSE(Events(*console, "reconnect").empty()) << "the console should have noticed the silence";

  // The console holds every logged alert once, in order, up to the last one it got.
  std::vector<uint64_t> got = AlertSeqs(*console);
  std::vector<uint64_t> logged = LoggedSeqs(sys.Database(), got.front() - 1);
  logged.erase(std::remove_if(logged.begin(), logged.end(), [&](uint64_t s) { return s > got.back(); }), logged.end());
  EXPECT_EQ(got, logged);
}

TEST(Spine, BadConfigIsRefusedWithFileLineAndReasonAndNothingStarts) {
  const std::string dir = TempDir("spine-bad-config");
  struct Case {
    std::string yaml, expect;
  };
  // Each file starts with a valid camera, which must not be started either.
  const std::string valid = "cameras:\n  - id: \"33010201001320000099\"\n    name: ok\n    url: rtsp://127.0.0.1:9/x\n";
  const std::vector<Case> cases = {
      {valid + "  - id: \"3301020100132000001\"\n    name: a\n    url: rtsp://h/x\n", ":5: camera id"},
      {valid + "  - id: \"33010201001320000011\"\n    name: a\n    url: rtsp://h/x\n    fsp: 5\n",
       ":8: unknown key 'fsp'"},
      {valid + "  - id: \"33010201001320000011\"\n    name: a\n    url: http://h/x\n", ":7: 'url' must start"},
      {valid + "  - id: \"33010201001320000011\"\n    name: a\n    url: rtsp://h/x\n"
               "    faces: {enabled: true, model: /nonexistent/face.onnx}\n",
       ":5: camera 33010201001320000011: faces: cannot read the model file /nonexistent/face.onnx"},
      // The object model: missing, not ONNX at all, an ONNX model of another kind.
      {valid + "  - id: \"33010201001320000011\"\n    name: a\n    url: rtsp://h/x\n"
               "    objects: {enabled: true, model: /nonexistent/centernet.onnx}\n",
       ":5: camera 33010201001320000011: objects: cannot read the model file /nonexistent/centernet.onnx"},
      {valid +
           "  - id: \"33010201001320000011\"\n    name: a\n    url: rtsp://h/x\n"
           "    objects: {enabled: true, model: " +
           dir + "/garbage.onnx}\n",
       ":5: camera 33010201001320000011: objects: " + dir + "/garbage.onnx is not an ONNX model"},
      {valid +
           "  - id: \"33010201001320000011\"\n    name: a\n    url: rtsp://h/x\n"
           "    objects: {enabled: true, model: " +
           Fixture("blazeface_front_128.onnx") + "}\n",
       ":5: camera 33010201001320000011: objects: " + Fixture("blazeface_front_128.onnx") + " takes [1×128×128×3]"},
      // No keys: the worker could never reach the router, so it does not start.
      {valid, ": worker.key_file/router_key: no key file: make one with `xl key gen"},
  };
  std::ofstream(dir + "/garbage.onnx") << "\x08\x07 this is not a model, it was cut off in the copy";
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string path = dir + "/bad" + std::to_string(i) + ".yaml";
    std::ofstream(path) << cases[i].yaml;
    Process worker({Binary("ingest/xl-ingest"), "--config", path}, dir + "/worker" + std::to_string(i) + ".log");
    EXPECT_EQ(worker.Wait(seconds(10)), 2);
    const std::string out = worker.Output();
    EXPECT_NE(out.find(path + cases[i].expect), std::string::npos) << out;
    EXPECT_EQ(out.find("connecting"), std::string::npos) << "a camera was started: " << out;
  }
}

}  // namespace
}  // namespace xl::test
