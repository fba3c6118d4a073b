// Nothing lost between a camera and the alert log, with the real processes on loopback: the
// worker keeps every alert in its outbox on disk until the router has committed it, so a router
// killed -9 again and again, or out of disk for a while, still ends up with every alert
// exactly once, in order; and a
// worker whose router is away stops at once and keeps its memory flat.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "common/http_client.h"
#include "tests/support/logged_alerts.h"
#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/small_disk.h"
#include "tests/support/system.h"
#include "xueliang.pb.h"

namespace xl::test {
namespace {

using std::chrono::seconds;

const std::vector<std::string> kCameras = {"33010201001320000051", "33010201001320000052"};

// Both cameras watch the street of vtest.avi: a motion event with an update a second, again
// and again. Worker logs at debug level, so every alert it keeps (updates too) is in its log.
// `small_quarantine`: AddressSanitizer (the sanitized build) keeps up to 256 MB of freed
// memory by default, which would hide whether the worker's own memory stays flat.
std::unique_ptr<Process> StartWorker(System& sys, int metrics_port, const std::string& worker_keys = "",
                                     bool small_quarantine = false) {
  std::string yaml = "cameras:\n";
  for (size_t i = 0; i < kCameras.size(); ++i) {
    yaml += "  - id: \"" + kCameras[i] + "\"\n    name: 街" + std::to_string(i) +
            "\n    url: " + sys.RtspUrl("street" + std::to_string(i)) + "\n    username: " + kCamUser +
            "\n    password: " + kCamPassword + "\n";
  }
  setenv("SPDLOG_LEVEL", "debug", 1);
  if (small_quarantine) setenv("ASAN_OPTIONS", "quarantine_size_mb=4", 1);
  auto worker = sys.StartWorker("w1", yaml, metrics_port, worker_keys);
  unsetenv("SPDLOG_LEVEL");
  if (small_quarantine) unsetenv("ASAN_OPTIONS");
  return worker;
}

// What the worker kept in its outbox, from its log.
AlertsByCamera Raised(const Process& worker) {
  static const std::regex line(R"(camera (\d{20}) \(.*\): alert (\S+) \S+ (\S+) kept as #\d+)");
  AlertsByCamera out;
  std::smatch m;
  for (const std::string& l : worker.Lines()) {
    if (std::regex_search(l, m, line)) out[m[1]].push_back(m[2].str() + " " + m[3].str());
  }
  return out;
}

// A worker metric, -1 when it cannot be read.
double Metric(int port, const std::string& name) {
  auto r = HttpCall("GET", "http://127.0.0.1:" + std::to_string(port) + "/metrics", "", "", 30, AsScraper());
  if (!r.ok()) return -1;
  std::smatch m;
  const std::regex re("\n" + name + " ([0-9.e+]+)");
  return std::regex_search(r->body, m, re) ? std::stod(m[1]) : -1;
}

TEST(Reliability, ARouterKilledFiveTimesAndOutOfDiskEndsUpWithEveryAlertOnceInOrder) {
  System sys("reliability-router-kills");
  // The router's database on a small disk of its own, to be filled up and freed.
  SmallDisk disk(sys.dir() + "/small-disk", 16);
  if (disk.mounted()) {
    sys.PutDatabaseIn(disk.path());
  } else {
    std::cout << "[ SKIPPED  ] the disk-full part of this test: " << disk.why() << std::endl;
  }
  auto camsim = sys.StartCamsim({"street0=" + Fixture("vtest.avi"), "street1=" + Fixture("vtest.avi")});
  auto router = sys.StartRouter();
  const int metrics_port = FreePort();
  auto worker = StartWorker(sys, metrics_port);
  ASSERT_TRUE(WaitUntil([&] { return Count(Logged(sys.Database())) >= 3; }, seconds(120))) << worker->Output();

  for (int kill = 0; kill < 5; ++kill) {
    // Killed while alerts are on their way, down while more are raised, back: it carries on.
    std::this_thread::sleep_for(seconds(1 + kill % 2));
    router->Kill();
    std::this_thread::sleep_for(seconds(2));
    const size_t before = Count(Logged(sys.Database()));
    router = sys.StartRouter();
    ASSERT_TRUE(WaitUntil([&] { return Count(Logged(sys.Database())) > before; }, seconds(60)))
        << "nothing logged after restart " << kill + 1 << "\n"
        << router->Output();
  }
  // A native client that stops reading (SIGSTOP) stays connected from here on: the router
  // still ends within 5 s of SIGTERM at the end.
  auto console = sys.StartConsole("console.log");
  ASSERT_TRUE(WaitUntil([&] { return console->Output().find(kCameras[0]) != std::string::npos; }, seconds(60)))
      << console->Output();
  kill(console->pid(), SIGSTOP);
  if (disk.mounted()) {
    // The disk fills up: the router stores nothing more and acknowledges nothing, and says so
    // on the desk and in /metrics; the worker keeps what it raises meanwhile.
    auto has = [&](const std::string& key) {
      const auto keys = sys.Problems();
      return std::find(keys.begin(), keys.end(), key) != keys.end();
    };
    ASSERT_TRUE(WaitUntil([&] { return sys.Problems().empty(); }, seconds(60)))
        << "a problem before the disk is full: " << sys.Problems().front();
    sys.AdminCookie();  // logged in while a session can still be stored
    const size_t filled = disk.Fill();
    ASSERT_TRUE(WaitUntil([&] { return has("alert_log_disk_full"); }, seconds(120)))
        << "no disk-full problem on the desk after filling " << filled << " bytes: " <<
        [&] {
          auto r = sys.Api("GET", "/api/desk/system");
          return r.ok() ? std::to_string(r->status) + " " + r->body : r.error().message;
        }()
        << "\n"
        << router->Output();
    EXPECT_EQ(sys.Metric("xl_alert_log_disk_full"), 1);
    // The worker keeps what it raises meanwhile.
    ASSERT_TRUE(WaitUntil([&] { return Metric(metrics_port, "xl_outbox_messages") >= 10; }, seconds(60)))
        << "the worker keeps nothing while the router cannot store";
    // Room again: the router stores by itself what the worker kept, and the problem goes.
    disk.Free();
    ASSERT_TRUE(WaitUntil([&] { return sys.Problems().empty(); }, seconds(60))) << router->Output();
    EXPECT_EQ(sys.Metric("xl_alert_log_disk_full"), 0);
    EXPECT_NE(router->Output().find("alert log: disk full"), std::string::npos);
    EXPECT_NE(router->Output().find("the alert log is written again"), std::string::npos);
  }
  // No more alerts: the simulator goes, and the worker's outbox empties (status reports keep
  // coming, so it is seen empty between them).
  std::this_thread::sleep_for(seconds(2));
  camsim->Stop();
  ASSERT_TRUE(WaitUntil([&] { return Metric(metrics_port, "xl_outbox_messages") == 0; }, seconds(60)))
      << Metric(metrics_port, "xl_outbox_messages") << " messages still in the outbox";
  // Signal-loss alerts of the cameras may follow the simulator's end: wait until the log
  // holds everything raised so far.
  ASSERT_TRUE(WaitUntil([&] { return Count(Logged(sys.Database())) >= Count(Raised(*worker)); }, seconds(60)));

  const AlertsByCamera raised = Raised(*worker), logged = Logged(sys.Database());
  EXPECT_GT(Count(raised), 20u) << "too few alerts to show anything";
  for (const std::string& camera : kCameras) {
    EXPECT_FALSE(raised.count(camera) == 0) << camera << " raised nothing";
    // Every alert the worker kept, exactly once and in the same order: nothing lost in the
    // kills, nothing duplicated by sending again.
    EXPECT_EQ(logged.count(camera) ? logged.at(camera) : std::vector<std::string>{},
              raised.count(camera) ? raised.at(camera) : std::vector<std::string>{})
        << camera;
  }
  EXPECT_GT(Metric(metrics_port, "xl_publisher_sent_total"), Metric(metrics_port, "xl_outbox_acked_total"))
      << "the kills should have made the worker send something again";
  EXPECT_EQ(Metric(metrics_port, "xl_outbox_messages_lost_total"), 0);
  EXPECT_EQ(router->Stop(std::chrono::milliseconds(5000)), 0)
      << "the router did not end within 5 s of SIGTERM, with a client that does not read\n"
      << router->Output();
  kill(console->pid(), SIGCONT);
}

TEST(Reliability, AWorkerWhoseRouterIsAwayKeepsItsAlertsOnDiskAndStopsAtOnce) {
  System sys("reliability-router-away");
  auto camsim = sys.StartCamsim({"street0=" + Fixture("vtest.avi"), "street1=" + Fixture("vtest.avi")});
  auto router = sys.StartRouter();
  const int metrics_port = FreePort();
  // An outbox small enough to fill: snapshots go first, never alert text.
  const std::string outbox = "  outbox: {max_size_mb: 0.05}\n";
  auto worker = StartWorker(sys, metrics_port, outbox, true);
  ASSERT_TRUE(WaitUntil([&] { return Count(Logged(sys.Database())) >= 3; }, seconds(120))) << worker->Output();
  // The router goes away for good; the worker runs its cameras on, keeping what they raise.
  router->Kill();
  // New events with their snapshots, to be kept while the router is away: the simulator
  // starts again, so the running events end and new ones start. (An event's later messages
  // carry a snapshot only when a better one comes: with the events of before the kill going
  // on, alert text alone could fill the outbox, and its oldest text would have to go.)
  camsim->Stop();
  camsim = sys.StartCamsim({"street0=" + Fixture("vtest.avi"), "street1=" + Fixture("vtest.avi")});
  ASSERT_TRUE(WaitUntil([&] { return Metric(metrics_port, "xl_outbox_snapshots_dropped_total") > 0; }, seconds(180)))
      << "the outbox never filled: " << Metric(metrics_port, "xl_outbox_bytes") << " bytes";
  EXPECT_LE(Metric(metrics_port, "xl_outbox_bytes"), 0.05e6);
  EXPECT_EQ(Metric(metrics_port, "xl_outbox_messages_lost_total"), 0) << "alert text went while snapshots remained";
  // Memory stays flat however long the router is away: what waits is on disk. (Measured once
  // the cameras have run a while, so their pipelines' own buffers are there already.)
  std::this_thread::sleep_for(seconds(3));
  const int64_t warm = RssBytes(worker->pid());
  std::this_thread::sleep_for(seconds(8));
  const int64_t later = RssBytes(worker->pid());
  EXPECT_LT(later - warm, int64_t(32) << 20) << "RSS grew from " << warm << " to " << later;
  // SIGTERM: it stops within 5 s, a clean exit, and keeps what it had for the next start.
  EXPECT_EQ(Metric(metrics_port, "xl_outbox_messages_lost_total"), 0);
  EXPECT_EQ(worker->Stop(std::chrono::milliseconds(5000)), 0) << "not stopped by itself within 5 s";
  const AlertsByCamera raised = Raised(*worker);

  // The router comes back, and the worker: everything it kept reaches the log, in order.
  router = sys.StartRouter();
  worker = StartWorker(sys, metrics_port, outbox);
  ASSERT_TRUE(WaitUntil(
      [&] {
        const AlertsByCamera logged = Logged(sys.Database());
        for (const auto& [camera, alerts] : raised) {
          if (!logged.count(camera) || logged.at(camera).size() < alerts.size()) return false;
        }
        return true;
      },
      seconds(120)))
      << Count(Logged(sys.Database())) << " logged of " << Count(raised);
  const AlertsByCamera logged = Logged(sys.Database());
  for (const auto& [camera, alerts] : raised) {
    EXPECT_EQ(std::vector<std::string>(logged.at(camera).begin(), logged.at(camera).begin() + long(alerts.size())),
              alerts)
        << camera;
  }
}

// The desk's list of events (GET /api/desk/alerts), newest first.
nlohmann::json DeskEvents(System& sys) {
  auto list = sys.Api("GET", "/api/desk/alerts?limit=5000");
  auto out = list.ok() ? nlohmann::json::parse(list->body, nullptr, false) : nlohmann::json::array();
  return out.is_array() ? out : nlohmann::json::array();
}

// The ID of an event the desk shows open, not one of `not_these`; "" when none.
std::string OpenEvent(System& sys, const std::set<std::string>& not_these = {}) {
  for (const auto& e : DeskEvents(sys)) {
    if (e["ended"] == false && !not_these.count(e["id"])) return e["id"];
  }
  return "";
}

// The desk's view of event `id` (GET /api/desk/alerts/<id>); null when it cannot be read.
nlohmann::json DeskEvent(System& sys, const std::string& id) {
  auto r = sys.Api("GET", "/api/desk/alerts/" + id);
  if (!r.ok() || r->status != 200) return nullptr;
  return nlohmann::json::parse(r->body, nullptr, false);
}

// Whether the desk's list shows event `id` ended.
bool EndedOnTheDesk(System& sys, const std::string& id) {
  for (const auto& e : DeskEvents(sys)) {
    if (e["id"] == id) return e["ended"] == true;
  }
  return false;
}

// The index of the END "worker lost" in the messages of desk event `e`, -1 when there is none.
int WorkerLostEnd(const nlohmann::json& e) {
  if (!e.is_object()) return -1;
  for (size_t i = 0; i < e["messages"].size(); ++i) {
    if (e["messages"][i]["end_reason"] == "worker lost") return int(i);
  }
  return -1;
}

TEST(Reliability, AWorkerLostDuringAnEventHasItEndedAndReopenedWhenItComesBack) {
  System sys("reliability-worker-lost");
  auto camsim = sys.StartCamsim({"street0=" + Fixture("vtest.avi"), "street1=" + Fixture("vtest.avi")});
  auto router = sys.StartRouter({"--worker-timeout-s", "3"});
  auto worker = StartWorker(sys, FreePort());
  std::string killed;
  ASSERT_TRUE(WaitUntil([&] { return !(killed = OpenEvent(sys)).empty(); }, seconds(120))) << worker->Output();
  worker->Kill();  // mid-event: it will never send the end

  // Within the worker timeout the router ends it, saying why; the desk shows it ended.
  nlohmann::json alert;
  ASSERT_TRUE(WaitUntil([&] { return WorkerLostEnd(alert = DeskEvent(sys, killed)) >= 0; }, seconds(30)))
      << alert.dump();
  EXPECT_EQ(alert["messages"].back()["end_reason"], "worker lost") << alert.dump();
  EXPECT_TRUE(EndedOnTheDesk(sys, killed));
  EXPECT_NE(router->Output().find("event " + killed + " ended: worker lost"), std::string::npos);

  // The worker starts again: what its outbox still held of the killed event is older than
  // the router's end and does not open it again (no process of the worker runs it now).
  std::set<std::string> before;
  for (const auto& e : DeskEvents(sys)) before.insert(e["id"]);
  worker = StartWorker(sys, FreePort());
  std::string paused;
  ASSERT_TRUE(WaitUntil([&] { return !(paused = OpenEvent(sys, before)).empty(); }, seconds(120))) << worker->Output();
  // Stopped mid-event (SIGSTOP: a hung host, a cut link) until the router has ended the
  // event as "worker lost", then on again with the event still running: it is open again,
  // and its worker ends it itself when the video ends.
  kill(worker->pid(), SIGSTOP);
  ASSERT_TRUE(WaitUntil([&] { return WorkerLostEnd(alert = DeskEvent(sys, paused)) >= 0; }, seconds(30)))
      << alert.dump();
  kill(worker->pid(), SIGCONT);
  ASSERT_TRUE(WaitUntil(
      [&] {
        alert = DeskEvent(sys, paused);
        return alert.is_object() && alert["messages"].size() > size_t(WorkerLostEnd(alert)) + 1;
      },
      seconds(60)))
      << "nothing of the event after its worker came back: " << alert.dump();
  EXPECT_EQ(alert["messages"][WorkerLostEnd(alert) + 1]["phase"], "update") << alert.dump();
  EXPECT_NE(router->Output().find("event " + paused + " open again: its worker is back"), std::string::npos)
      << router->Output();
  camsim->Stop();
  ASSERT_TRUE(WaitUntil([&] { return EndedOnTheDesk(sys, paused); }, seconds(60)));
  alert = DeskEvent(sys, paused);
  EXPECT_EQ(alert["messages"].back()["phase"], "end") << alert.dump();
  EXPECT_EQ(alert["messages"].back()["end_reason"], "") << "ended by its worker: " << alert.dump();
  EXPECT_TRUE(EndedOnTheDesk(sys, killed));
  EXPECT_EQ(router->Output().find("event " + killed + " open again"), std::string::npos) << router->Output();
}

}  // namespace
}  // namespace xl::test
