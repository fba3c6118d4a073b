// Chaos: a small system whose processes are killed -9 again and again, and at the end an
// account of every alert — raised by the workers, stored by the router, received by a client.
//
//   chaos [--minutes M] [--every-s S] [--seed N]
//
// The system: the camera simulator with four streams of vtest.avi (people walking in and out
// of the picture: motion events start and end again and again), the router (a worker silent
// for 3 s is lost), workers w1 and w2 sharing the four cameras, and a native client recording
// every alert (xl-console --json, resuming after the last sequence number it printed).
// Every S seconds on average (uniformly S/2 to 3S/2) one of router, w1, w2 and the client,
// chosen at random, is killed -9 and started again a second later. After M minutes the kills
// stop, the video ends, the workers' outboxes empty, and the three accounts are compared:
//
//   raised     every message a worker kept in its outbox ("kept as #N" in its log, all runs)
//   logged     the router's alert log (END messages the router made itself — "worker lost" —
//              are counted apart: nobody raised them)
//   received   the client's lines
//
// lost = raised but not logged; duplicated = logged (or received) more than once; out of
// order = an event whose messages the log holds in another order than its worker raised them.
#include <signal.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"
#include "xueliang.pb.h"

using namespace xl::test;
using std::chrono::seconds;

namespace {

const std::vector<std::string> kCameras = {"33010201001320000071", "33010201001320000072", "33010201001320000073",
                                           "33010201001320000074"};

// "id phase" of each message, per event, in the order the account holds them.
using Messages = std::map<std::string, std::vector<std::string>>;

struct Account {
  Messages by_event;
  size_t count = 0;
  void Add(const std::string& id, const std::string& phase) {
    by_event[id].push_back(phase);
    ++count;
  }
};

Account Raised(const std::vector<std::string>& lines) {
  static const std::regex kept(R"(camera \d{20} \(.*\): alert (\S+) \S+ (\S+) kept as #\d+)");
  Account a;
  std::smatch m;
  for (const std::string& l : lines) {
    if (std::regex_search(l, m, kept)) a.Add(m[1], m[2]);
  }
  return a;
}

// The router's log; its own END messages (with an end_reason) apart, in `router_made`.
Account Logged(const std::string& db_path, size_t* router_made, std::set<uint64_t>* seqs) {
  Account a;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, "SELECT seq, alert_id, phase, body FROM alerts ORDER BY seq", -1, &q, nullptr);
    while (q && sqlite3_step(q) == SQLITE_ROW) {
      seqs->insert(uint64_t(sqlite3_column_int64(q, 0)));
      xl::wire::Alert body;
      body.ParseFromArray(sqlite3_column_blob(q, 3), sqlite3_column_bytes(q, 3));
      if (!body.end_reason().empty()) {
        ++*router_made;
        continue;
      }
      a.Add(reinterpret_cast<const char*>(sqlite3_column_text(q, 1)),
            reinterpret_cast<const char*>(sqlite3_column_text(q, 2)));
    }
    sqlite3_finalize(q);
  }
  sqlite3_close(db);
  return a;
}

// The sequence numbers the client printed: how often each.
std::map<uint64_t, int> Received(const std::vector<std::string>& lines) {
  std::map<uint64_t, int> out;
  for (const std::string& l : lines) {
    auto j = nlohmann::json::parse(l, nullptr, false);
    if (j.is_object() && j["type"] == "alert") out[j["seq"].get<uint64_t>()]++;
  }
  return out;
}

double WorkerMetric(int port, const std::string& name) {
  auto r = xl::HttpCall("GET", "http://127.0.0.1:" + std::to_string(port) + "/metrics", "", "", 10, AsScraper());
  std::smatch m;
  const std::regex re("\n" + name + " ([0-9.e+]+)");
  return r.ok() && std::regex_search(r->body, m, re) ? std::stod(m[1]) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  double minutes = 10, every_s = 5;
  unsigned seed = std::random_device{}();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--minutes") minutes = std::atof(argv[i + 1]);
    else if (arg == "--every-s") every_s = std::atof(argv[i + 1]);
    else if (arg == "--seed") seed = unsigned(std::atoll(argv[i + 1]));
    else {
      std::fprintf(stderr, "usage: chaos [--minutes M] [--every-s S] [--seed N]\n");
      return 2;
    }
  }
  std::printf("chaos: %.1f min, a kill every %.1f s on average, seed %u\n", minutes, every_s, seed);
  std::mt19937 random(seed);

  System sys("bench-chaos");
  std::vector<std::string> streams;
  for (size_t i = 0; i < kCameras.size(); ++i) streams.push_back(Numbered("s", int(i)) + "=" + Fixture("vtest.avi"));
  auto camsim = sys.StartCamsim(streams);
  const std::vector<std::string> router_args = {"--worker-timeout-s", "3"};
  auto router = sys.StartRouter(router_args);
  // Each worker seeds two cameras; the router spreads all four over the live workers.
  const int ports[2] = {FreePort(), FreePort()};
  auto start_worker = [&](int w) {
    std::string yaml = "cameras:\n";
    for (size_t i = size_t(w) * 2; i < size_t(w) * 2 + 2; ++i) {
      yaml += "  - id: \"" + kCameras[i] + "\"\n    name: 路口" + std::to_string(i) +
              "\n    url: " + sys.RtspUrl(Numbered("s", int(i))) + "\n    username: " + kCamUser +
              "\n    password: " + kCamPassword + "\n";
    }
    setenv("SPDLOG_LEVEL", "debug", 1);  // every update it keeps is logged too
    auto p = sys.StartWorker(w ? "w2" : "w1", yaml, ports[w]);
    unsetenv("SPDLOG_LEVEL");
    return p;
  };
  std::unique_ptr<Process> workers[2] = {start_worker(0), start_worker(1)};
  uint64_t last_seq = 0;
  // The client replays what it has not printed yet (all of it, the first time).
  auto start_console = [&] { return sys.StartConsole("console.log", {"--after", std::to_string(last_seq)}); };
  auto console = start_console();
  if (!WaitUntil([&] { return !Received(console->Lines()).empty(); }, seconds(180))) {
    std::fprintf(stderr, "chaos: no alert reached the client\n%s\n", router->Output().c_str());
    return 1;
  }

  const char* names[] = {"router", "w1", "w2", "client"};
  std::map<std::string, int> kills;
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(minutes * 60);
  std::uniform_real_distribution<double> pause(every_s / 2, every_s * 3 / 2);
  std::uniform_int_distribution<int> pick(0, 3);
  while (std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::duration<double>(pause(random)));
    const int victim = pick(random);
    ++kills[names[victim]];
    switch (victim) {
      case 0:
        router->Kill();
        std::this_thread::sleep_for(seconds(1));
        router = sys.StartRouter(router_args);
        break;
      case 1:
      case 2:
        workers[victim - 1]->Kill();
        std::this_thread::sleep_for(seconds(1));
        workers[victim - 1] = start_worker(victim - 1);
        break;
      default: {
        console->Kill();
        const auto got = Received(console->Lines());
        last_seq = got.empty() ? 0 : got.rbegin()->first;
        std::this_thread::sleep_for(seconds(1));
        console = start_console();
      }
    }
  }

  // The end: no more kills, no more video; everything kept is delivered.
  std::this_thread::sleep_for(seconds(10));
  camsim->Stop();
  bool drained = WaitUntil(
      [&] {
        return WorkerMetric(ports[0], "xl_outbox_messages") == 0 && WorkerMetric(ports[1], "xl_outbox_messages") == 0;
      },
      seconds(180));
  std::this_thread::sleep_for(seconds(5));  // the client catches up
  size_t router_made = 0;
  std::set<uint64_t> seqs;
  const Account raised = Raised([&] {
    auto lines = workers[0]->Lines();
    auto more = workers[1]->Lines();
    lines.insert(lines.end(), more.begin(), more.end());
    return lines;
  }());
  const Account logged = Logged(sys.Database(), &router_made, &seqs);
  size_t lost = 0, duplicated = 0, out_of_order = 0, unknown = 0;
  for (const auto& [id, phases] : raised.by_event) {
    auto it = logged.by_event.find(id);
    const std::vector<std::string> none;
    const std::vector<std::string>& got = it == logged.by_event.end() ? none : it->second;
    std::map<std::string, int> want_n, got_n;
    for (const auto& p : phases) want_n[p]++;
    for (const auto& p : got) got_n[p]++;
    for (const auto& [p, n] : want_n) lost += size_t(std::max(0, n - got_n[p]));
    for (const auto& [p, n] : got_n) duplicated += size_t(std::max(0, n - want_n[p]));
    if (got.size() == phases.size() && got != phases) ++out_of_order;
  }
  for (const auto& [id, phases] : logged.by_event) {
    if (!raised.by_event.count(id)) unknown += phases.size();
  }
  const auto received = Received(console->Lines());
  size_t missed = 0, received_twice = 0;
  for (uint64_t s : seqs) missed += received.count(s) ? 0 : 1;
  for (const auto& [s, n] : received) received_twice += size_t(n - 1);

  std::printf("kills: router %d, w1 %d, w2 %d, client %d\n", kills["router"], kills["w1"], kills["w2"],
              kills["client"]);
  std::printf("raised %zu messages in %zu events; logged %zu of them (+ %zu ends the router made: worker lost or restarted)%s\n",
              raised.count, raised.by_event.size(), logged.count, router_made,
              drained ? "" : "; the workers' outboxes did NOT empty");
  std::printf("router log: lost %zu, duplicated %zu, events out of order %zu, messages nobody raised %zu\n", lost,
              duplicated, out_of_order, unknown);
  std::printf("client: received %zu of %zu logged, missed %zu, twice %zu\n", received.size(), seqs.size(), missed,
              received_twice);
  // (A message nobody raised is one a worker kept and sent but was killed before it logged
  // "kept as": the account's blind spot, shown but not held against the system.)
  const bool clean = drained && lost == 0 && duplicated == 0 && out_of_order == 0 && missed == 0 && received_twice == 0;
  std::printf(
      "summary: chaos %.0f min, %d kills: %zu alerts raised, %zu lost, %zu duplicated, %zu out of order; "
      "client missed %zu — %s\n",
      minutes, kills["router"] + kills["w1"] + kills["w2"] + kills["client"], raised.count, lost, duplicated,
      out_of_order, missed, clean ? "clean" : "NOT CLEAN");
  return clean ? 0 : 1;
}
