// Ops, end to end with the real processes on loopback: the camera registry changed live
// through `xl` and the REST API, bulk CSV import, two workers with failover, /metrics,
// and no password anywhere an operator can read.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"

namespace xl::test {
namespace {

using json = nlohmann::json;
using std::chrono::seconds;

constexpr const char* kCamA = "33010201001320000011";
constexpr const char* kCamB = "33010201001320000012";

json GetJson(System& sys, const std::string& path) {
  auto r = sys.Api("GET", path);
  if (!r.ok() || r->status != 200) return json();
  return json::parse(r->body, nullptr, false);
}

std::string StateOf(System& sys, const std::string& id) {
  json c = GetJson(sys, "/api/cameras/" + id);
  return c.is_object() ? c.value("state", "") : "";
}

std::string WorkerOf(System& sys, const std::string& id) {
  json c = GetJson(sys, "/api/cameras/" + id);
  return c.is_object() ? c.value("worker", "") : "";
}

// Lines of `log` that are state changes of camera `id`.
size_t StateLines(const Process& log, const std::string& id) {
  size_t n = 0;
  for (const std::string& line : log.Lines())
    n += line.find("camera " + id) != std::string::npos && line.find(" -> ") != std::string::npos;
  return n;
}

// Parses Prometheus text exposition; fails the test on a malformed line. Returns sample → value.
std::map<std::string, double> ParseMetrics(const std::string& text) {
  static const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$)");
  static const std::regex meta(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$)");
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, meta)) continue;
    EXPECT_TRUE(std::regex_match(line, m, sample)) << "not Prometheus text: " << line;
    if (!m.empty()) out[m[1].str() + m[2].str()] = std::stod(m[4].str());
  }
  return out;
}

std::string WorkerYamlCamera(System& sys, const std::string& id, const std::string& name, const std::string& stream) {
  return std::string("  - id: \"") + id + "\"\n    name: " + name + "\n    url: " + sys.RtspUrl(stream) +
         "\n    username: " + kCamUser + "\n    password: " + kCamPassword + "\n";
}

TEST(Ops, CamerasAreAddedChangedAndRemovedLiveWithoutTouchingOthers) {
  System sys("ops-live");
  auto camsim = sys.StartCamsim({"a=" + Fixture("vtest.avi"), "b=" + Fixture("tree.avi")});
  auto router = sys.StartRouter();
  const int metrics_port = FreePort();
  auto worker = sys.StartWorker("w1", "cameras:\n" + WorkerYamlCamera(sys, kCamA, "东村村口", "a"), metrics_port);
  ASSERT_TRUE(WaitUntil([&] { return StateOf(sys, kCamA) == "online"; }, seconds(60))) << worker->Output();
  const size_t a_lines = StateLines(*worker, kCamA);
  std::vector<std::string> outputs;
  std::string out;

  // add
  ASSERT_EQ(sys.RunXl({"camera", "add", "--id", kCamB, "--name", "东村林地", "--url", sys.RtspUrl("b"), "--username",
                       kCamUser, "--password", kCamPassword},
                      &out),
            0)
      << out;
  outputs.push_back(out);
  EXPECT_TRUE(WaitUntil([&] { return StateOf(sys, kCamB) == "online"; }, seconds(15))) << worker->Output();
  EXPECT_EQ(WorkerOf(sys, kCamB), "w1");

  // set: only B restarts
  ASSERT_EQ(sys.RunXl({"camera", "set", kCamB, "--name", "东村后山", "--profile", R"({"analysis": {"fps": 2}})"}, &out),
            0)
      << out;
  outputs.push_back(out);
  EXPECT_TRUE(WaitUntil(
      [&] {
        return worker->Output().find("camera " + std::string(kCamB) + " (东村后山): settings changed") !=
                   std::string::npos ||
               worker->Output().find("camera " + std::string(kCamB) + " (东村林地): settings changed") !=
                   std::string::npos;
      },
      seconds(10)))
      << worker->Output();
  EXPECT_TRUE(WaitUntil(
      [&] {
        json c = GetJson(sys, "/api/cameras/" + std::string(kCamB));
        return c.is_object() && c["state"] == "online" && c["name"] == "东村后山";
      },
      seconds(15)));

  // ls and show list both, with the password masked
  ASSERT_EQ(sys.RunXl({"camera", "ls"}, &out), 0);
  outputs.push_back(out);
  EXPECT_NE(out.find(kCamA), std::string::npos);
  EXPECT_NE(out.find("东村后山"), std::string::npos);
  ASSERT_EQ(sys.RunXl({"camera", "show", kCamB}, &out), 0);
  outputs.push_back(out);
  EXPECT_NE(out.find("\"password\": \"***\""), std::string::npos) << out;

  // the metrics move as frames flow
  auto scrape = [&](const std::string& base) {
    auto r = HttpCall("GET", base + "/metrics", "", "", 30, AsScraper());
    return r.ok() ? r->body : std::string();
  };
  const std::string worker_base = "http://127.0.0.1:" + std::to_string(metrics_port);
  const std::string frames = "xl_camera_frames_decoded_total{camera=\"" + std::string(kCamA) + "\"}";
  auto m1 = ParseMetrics(scrape(worker_base));
  ASSERT_TRUE(m1.count(frames)) << scrape(worker_base);
  std::this_thread::sleep_for(seconds(2));
  auto m2 = ParseMetrics(scrape(worker_base));
  EXPECT_GT(m2[frames], m1[frames]);
  EXPECT_EQ(HttpCall("GET", sys.HttpBase() + "/metrics")->status, 401) << "the router's metrics need a session";
  auto router_metrics = HttpCall("GET", sys.HttpBase() + "/metrics", "", "", 30, {{"Cookie", sys.AdminCookie()}});
  ASSERT_TRUE(router_metrics.ok());
  auto rm = ParseMetrics(router_metrics->body);
  EXPECT_EQ(rm["xl_cameras{state=\"online\"}"], 2);
  EXPECT_EQ(rm["xl_workers_live"], 1);

  // rm
  ASSERT_EQ(sys.RunXl({"camera", "rm", kCamB}, &out), 0) << out;
  outputs.push_back(out);
  EXPECT_TRUE(WaitUntil([&] { return scrape(worker_base).find(kCamB) == std::string::npos; }, seconds(10)));
  EXPECT_EQ(sys.Api("GET", "/api/cameras/" + std::string(kCamB))->status, 404);

  // A was never touched
  EXPECT_EQ(StateLines(*worker, kCamA), a_lines) << worker->Output();
  EXPECT_EQ(StateOf(sys, kCamA), "online");

  // No password in any log, API reply or CLI output.
  outputs.push_back(sys.Api("GET", "/api/cameras")->body);
  outputs.push_back(sys.Api("GET", "/api/status")->body);
  for (const Process* p : {camsim.get(), router.get(), worker.get()}) outputs.push_back(p->Output());
  for (const std::string& o : outputs) EXPECT_EQ(o.find(kCamPassword), std::string::npos) << o;
}

// 2,000 rows, 5 of them bad: 1,995 applied and handed to the worker, the 5 reported by row.
TEST(Ops, BulkImportAppliesValidRowsAndReportsBadOnesByRow) {
  System sys("ops-import");
  auto router = sys.StartRouter();
  auto worker = sys.StartWorker("w1", "cameras: []\n");
  ASSERT_TRUE(WaitUntil([&] { return sys.Api("GET", "/healthz").ok(); }, seconds(20)));
  const int closed = FreePort();  // nothing listens: the cameras cycle offline, cheaply
  const std::string csv = sys.dir() + "/cameras.csv";
  std::map<int, std::string> bad;  // row → expected words of the reason
  {
    std::ofstream f(csv);
    f << "id,name,region,url,username,password,enabled,profile\n";
    for (int i = 0; i < 2000; ++i) {
      const int row = i + 2;
      char id[32];
      std::snprintf(id, sizeof id, "3301020%d0013200%05d", 1 + i % 2, i);
      std::string line = std::string(id) + ",村点" + std::to_string(i) +
                         ",,rtsp://127.0.0.1:" + std::to_string(closed) + "/c" + std::to_string(i) + ",admin," +
                         kCamPassword + ",true,\"{\"\"motion\"\": {\"\"enabled\"\": false}}\"";
      if (row == 10) line = "3301020100132000ABCD,坏编号,,rtsp://h/x,,,true,", bad[row] = "20-digit";
      if (row == 500) line = "33010201001320000000,重复,,rtsp://h/x,,,true,", bad[row] = "already on row 2";
      if (row == 900) line = "33010201001320009999,错地址,,http://h/x,,,true,", bad[row] = "rtsp://";
      if (row == 1500) line = "33010201001320009998,,,rtsp://h/x,,,true,", bad[row] = "missing name";
      if (row == 2001) line = "33010201001320009997,错区域,99,rtsp://h/x,,,true,", bad[row] = "region";
      f << line << "\n";
    }
  }
  std::string out;
  // Dry run: everything checked, nothing applied.
  EXPECT_EQ(sys.RunXl({"import", csv, "--dry-run"}, &out), 1) << out;
  EXPECT_NE(out.find("2000 rows: 1995 valid, 5 refused; dry run"), std::string::npos) << out;
  EXPECT_EQ(GetJson(sys, "/api/cameras").size(), 0u);

  EXPECT_EQ(sys.RunXl({"import", csv, "--wait", "120"}, &out), 1) << out;  // 1: some rows refused
  for (const auto& [row, words] : bad) {
    const std::string prefix = csv + ": row " + std::to_string(row) + ": ";
    size_t at = out.find(prefix);
    ASSERT_NE(at, std::string::npos) << "row " << row << " not reported:\n" << out;
    const std::string line = out.substr(at, out.find('\n', at) - at);
    EXPECT_NE(line.find(words), std::string::npos) << line;
  }
  EXPECT_NE(out.find("2000 rows: 1995 valid, 5 refused; applied"), std::string::npos) << out;
  EXPECT_NE(out.find("1995/1995 handed to workers"), std::string::npos) << out;
  json cams = GetJson(sys, "/api/cameras");
  EXPECT_EQ(cams.size(), 1995u);
  size_t on_w1 = 0;
  for (const json& c : cams) on_w1 += c["worker"] == "w1" && c["handed"] == true;
  EXPECT_EQ(on_w1, 1995u);
  EXPECT_EQ(out.find(kCamPassword), std::string::npos);
  EXPECT_EQ(router->Output().find(kCamPassword), std::string::npos);
  EXPECT_EQ(worker->Output().find(kCamPassword), std::string::npos);
}

TEST(Ops, MalformedImportsAndBadApiCallsAreRefusedAndNothingHalfApplies) {
  System sys("ops-bad-input");
  auto router = sys.StartRouter();
  ASSERT_TRUE(WaitUntil([&] { return sys.Api("GET", "/healthz").ok(); }, seconds(20)));
  auto import = [&](const std::string& body) { return sys.Api("POST", "/api/import", body, "text/csv"); };
  const std::string good_row = "33010201001320000001,甲,rtsp://h/x\n";
  struct Case {
    std::string body, reason;
    int status = 400;
  };
  const std::vector<Case> cases = {
      {"id,name,url,colour\n" + good_row, "unknown column 'colour'"},
      {"id,name\n33010201001320000001,甲\n", "required column 'url'"},
      {std::string("id,name,url\n\xff\xfe\x00\x01garbage\n", 24) + good_row, "NUL bytes"},
      {std::string("id,name,url\n") + "33010201001320000001,\xff\xff\xff,rtsp://h/x\n", "neither UTF-8 nor GB18030"},
      {"id,name,url\n33010201001320000001,\"unterminated,rtsp://h/x\n", "never closed"},
      {"", "empty"},
      {std::string(33 << 20, 'x'), "too large", 413},
  };
  for (const Case& c : cases) {
    auto r = import(c.body);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, c.status) << r->body;
    EXPECT_NE(r->body.find(c.reason), std::string::npos) << r->body;
  }
  EXPECT_EQ(GetJson(sys, "/api/cameras").size(), 0u) << "a refused file applied something";

  // A GB18030 file (what a Chinese Excel saves) is converted, not refused.
  std::string gbk = "id,name,url\n33010201001320000001,\xB6\xAB\xB4\xE5,rtsp://h/x\n";  // 东村
  auto r = import(gbk);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(GetJson(sys, "/api/cameras/33010201001320000001").value("name", ""), "东村");

  struct Call {
    std::string method, path, body;
    int status;
    std::string reason;
  };
  const std::vector<Call> calls = {
      {"POST", "/api/cameras", "{", 400, "not valid JSON"},
      {"POST", "/api/cameras", "[1,2]", 400, "JSON object"},
      {"POST", "/api/cameras", R"({"id":"33010201001320000002","name":"乙","url":"rtsp://h/x","colour":1})", 400,
       "unknown field"},
      {"POST", "/api/cameras", R"({"id":"123","name":"乙","url":"rtsp://h/x"})", 400, "20-digit"},
      {"POST", "/api/cameras",
       R"({"id":"33010201001320000002","name":"乙","url":"rtsp://h/x","profile":{"motion":{"threshold":999}}})", 400,
       "threshold"},
      {"POST", "/api/cameras", R"({"id":"33010201001320000001","name":"甲","url":"rtsp://h/x"})", 409,
       "already exists"},
      {"GET", "/api/cameras/33010201001320009999", "", 404, "no camera"},
      {"DELETE", "/api/cameras/33010201001320009999", "", 404, "no camera"},
      {"PUT", "/api/cameras/33010201001320000001", R"({"id":"33010201001320000003"})", 400, "cannot change"},
      {"PUT", "/api/cameras/33010201001320000001", R"({"enabled":"yes"})", 400, "true or false"},
      {"GET", "/api/nothing", "", 404, "no such endpoint"},
  };
  for (const Call& c : calls) {
    auto reply = sys.Api(c.method, c.path, c.body);
    ASSERT_TRUE(reply.ok()) << reply.error().message;
    EXPECT_EQ(reply->status, c.status) << c.method << " " << c.path << " " << c.body << " -> " << reply->body;
    EXPECT_NE(reply->body.find(c.reason), std::string::npos) << reply->body;
  }
  EXPECT_EQ(GetJson(sys, "/api/cameras").size(), 1u);
  EXPECT_TRUE(router->running());
}

TEST(Ops, CamerasSpreadOverTwoWorkersAndMoveWhenOneDies) {
  System sys("ops-failover");
  auto camsim = sys.StartCamsim({"a=" + Fixture("vtest.avi"), "b=" + Fixture("tree.avi")});
  auto router = sys.StartRouter({"--worker-timeout-s", "5"});
  auto w1 = sys.StartWorker("w1", "cameras: []\n");
  auto w2 = sys.StartWorker("w2", "cameras: []\n");
  ASSERT_TRUE(WaitUntil([&] { return camsim->Output().find("camsim: ready") != std::string::npos; }, seconds(120)));
  ASSERT_TRUE(WaitUntil(
      [&] {
        size_t live = 0;
        for (const json& w : GetJson(sys, "/api/workers")) live += w["live"] == true;
        return live == 2;
      },
      seconds(20)));
  const std::string csv = sys.dir() + "/four.csv";
  std::vector<std::string> ids;
  {
    std::ofstream f(csv);
    f << "id,name,url,username,password\n";
    for (int i = 0; i < 4; ++i) {
      ids.push_back("3301020100132000010" + std::to_string(i));
      f << ids.back() << ",摄像机" << i << "," << sys.RtspUrl(i % 2 ? "b" : "a") << "," << kCamUser << ","
        << kCamPassword << "\n";
    }
  }
  std::string out;
  ASSERT_EQ(sys.RunXl({"import", csv}, &out), 0) << out;
  auto all_online = [&](const std::set<std::string>& workers) {
    for (const std::string& id : ids) {
      if (StateOf(sys, id) != "online" || !workers.count(WorkerOf(sys, id))) return false;
    }
    return true;
  };
  ASSERT_TRUE(WaitUntil([&] { return all_online({"w1", "w2"}); }, seconds(60))) << router->Output();
  std::map<std::string, int> per_worker;
  for (const std::string& id : ids) per_worker[WorkerOf(sys, id)]++;
  EXPECT_EQ(per_worker["w1"], 2);
  EXPECT_EQ(per_worker["w2"], 2);

  w2->Kill();
  EXPECT_TRUE(WaitUntil([&] { return all_online({"w1"}); }, seconds(30))) << router->Output();
  ASSERT_EQ(sys.RunXl({"worker", "ls"}, &out), 0);
  EXPECT_NE(out.find("w2"), std::string::npos);
  ASSERT_EQ(sys.RunXl({"status"}, &out), 0);
  EXPECT_NE(out.find("no camera in trouble"), std::string::npos) << out;
}

}  // namespace
}  // namespace xl::test
