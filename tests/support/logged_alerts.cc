#include "tests/support/logged_alerts.h"

#include <sqlite3.h>

#include "xueliang.pb.h"

namespace xl::test {

std::vector<LoggedAlert> ReadAlertLog(const std::string& db_path) {
  std::vector<LoggedAlert> out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, "SELECT camera_id, alert_id, phase, body FROM alerts ORDER BY seq", -1, &q, nullptr);
    while (q && sqlite3_step(q) == SQLITE_ROW) {
      auto text = [&](int i) { return std::string(reinterpret_cast<const char*>(sqlite3_column_text(q, i))); };
      wire::Alert body;
      body.ParseFromArray(sqlite3_column_blob(q, 3), sqlite3_column_bytes(q, 3));
      out.push_back({text(0), text(1), text(2), body.site(), body.end_reason()});
    }
    sqlite3_finalize(q);
  }
  sqlite3_close(db);
  return out;
}

AlertsByCamera Logged(const std::string& db_path, bool router_made) {
  AlertsByCamera out;
  for (const LoggedAlert& a : ReadAlertLog(db_path)) {
    if (!router_made && !a.end_reason.empty()) continue;
    out[a.camera_id].push_back(a.alert_id + " " + a.phase);
  }
  return out;
}

size_t Count(const AlertsByCamera& alerts) {
  size_t n = 0;
  for (const auto& [camera, list] : alerts) n += list.size();
  return n;
}

}  // namespace xl::test
