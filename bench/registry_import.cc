// Registry import: how long ops staff wait for 2,000 new cameras to be imported from CSV,
// written to the registry, and taken on by the workers, against the floor of inserting the
// same rows into SQLite directly (one transaction, synchronous=FULL), in the same run.
//
//   registry_import [--cameras N] [--workers W]
//
// The cameras point at a closed port on loopback, so the workers really start (and retry)
// every one of them without decoding video.
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/support/process.h"
#include "tests/support/system.h"

using namespace xl::test;
using Clock = std::chrono::steady_clock;

namespace {

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The floor: the same rows straight into a SQLite table, one transaction.
double RawInsertSeconds(const std::string& path, int cameras) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
               "CREATE TABLE t(id TEXT PRIMARY KEY, name TEXT, url TEXT, password TEXT)",
               nullptr, nullptr, nullptr);
  const auto t0 = Clock::now();
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?,?,?,?)", -1, &s, nullptr);
  for (int i = 0; i < cameras; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "330102010013200%05d", i);
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, "村点", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, "rtsp://127.0.0.1:9/x", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, "pw", -1, SQLITE_STATIC);
    sqlite3_step(s);
  }
  sqlite3_finalize(s);
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  const double secs = Since(t0);
  sqlite3_close(db);
  return secs;
}

}  // namespace

int main(int argc, char** argv) {
  int cameras = 2000, workers = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--cameras") cameras = std::atoi(argv[i + 1]);
    else if (a == "--workers") workers = std::atoi(argv[i + 1]);
  }
  System sys("bench-registry-import");
  auto router = sys.StartRouter();
  std::vector<std::unique_ptr<Process>> procs;
  for (int w = 0; w < workers; ++w) procs.push_back(sys.StartWorker(Numbered("w", w + 1), "cameras: []\n"));
  const bool up = WaitUntil(
      [&] {
        auto r = sys.Api("GET", "/api/workers");
        if (!r.ok()) return false;
        int live = 0;
        for (const auto& w : nlohmann::json::parse(r->body)) live += w["live"].get<bool>();
        return live == workers;
      },
      std::chrono::seconds(30));
  if (!up) {
    std::fprintf(stderr, "workers did not come up; see %s\n", sys.dir().c_str());
    return 1;
  }
  const int closed = FreePort();
  std::ostringstream csv;
  csv << "id,name,url,username,password,profile\n";
  for (int i = 0; i < cameras; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "330102010013200%05d", i);
    csv << id << ",村点" << i << ",rtsp://127.0.0.1:" << closed << "/c" << i
        << ",admin,pw,\"{\"\"motion\"\": {\"\"enabled\"\": false}}\"\n";
  }

  const auto t0 = Clock::now();
  auto r = sys.Api("POST", "/api/import", csv.str(), "text/csv");
  const double applied_s = Since(t0);
  if (!r.ok() || r->status != 200) {
    std::fprintf(stderr, "import failed: %s\n", r.ok() ? r->body.c_str() : r.error().message.c_str());
    return 1;
  }
  double handed_s = -1, reported_s = -1;
  while (Since(t0) < 120 && (handed_s < 0 || reported_s < 0)) {
    auto s = sys.Api("GET", "/api/status");
    if (s.ok() && s->status == 200) {
      auto j = nlohmann::json::parse(s->body);
      if (handed_s < 0 && j["totals"]["handed"].get<int>() == cameras) handed_s = Since(t0);
      int known = 0;
      for (const auto& c : j["cameras"]) known += c["state"] != "unknown";
      if (reported_s < 0 && known == cameras) reported_s = Since(t0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const double raw_s = RawInsertSeconds(sys.dir() + "/raw.db", cameras);

  std::printf("registry import of %d cameras over %d workers (CSV %zu KiB)\n", cameras, workers,
              csv.str().size() / 1024);
  std::printf("POST /api/import (parse, validate, write registry): %.3f s\n", applied_s);
  std::printf("raw SQLite insert of the same rows (floor):         %.3f s  -> import is %.1fx the floor\n", raw_s,
              applied_s / raw_s);
  std::printf("every camera handed to a worker (applied there):    %.3f s\n", handed_s);
  std::printf("every camera's state reported back by its worker:   %.3f s\n", reported_s);
  std::printf(
      "summary: %d cameras imported and handed to workers in %.2f s (goal <= 10 s) %s; "
      "registry write %.1fx raw SQLite\n",
      cameras, handed_s, handed_s >= 0 && handed_s <= 10 ? "PASS" : "MISSED", applied_s / raw_s);
  return handed_s >= 0 ? 0 : 1;
}
