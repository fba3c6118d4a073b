#include "router/desk/alert_desk.h"

#include <algorithm>
#include <map>

namespace xl::router {

namespace {
const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS handling(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_id TEXT NOT NULL,
  step TEXT NOT NULL,
  user TEXT NOT NULL,
  unit TEXT NOT NULL,
  note TEXT NOT NULL,
  at_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS handling_by_alert ON handling(alert_id, id);
)sql";

// step → (the state it needs, the state it leads to)
const std::map<std::string, std::pair<std::string, std::string>> kSteps = {
    {"ack", {"new", "acknowledged"}},
    {"dispatch", {"acknowledged", "dispatched"}},
    {"handle", {"dispatched", "handled"}},
    {"close", {"handled", "closed"}},
};
}  // namespace

Result<std::unique_ptr<AlertDesk>> AlertDesk::Open(const std::string& path) {
  auto db = OpenDatabase(path, kSchema);
  if (!db.ok()) return db.error();
  return std::unique_ptr<AlertDesk>(new AlertDesk(std::move(db.value())));
}

std::vector<HandlingStep> AlertDesk::History(const std::string& alert_id) {
  std::vector<HandlingStep> out;
  auto q = PrepareSql(db_.get(), "SELECT step, user, unit, note, at_ms FROM handling WHERE alert_id = ? ORDER BY id");
  if (!q.ok()) return out;
  BindText(q->get(), 1, alert_id);
  while (sqlite3_step(q->get()) == SQLITE_ROW) {
    sqlite3_stmt* r = q->get();
    out.push_back({ColumnText(r, 0), ColumnText(r, 1), ColumnText(r, 2), ColumnText(r, 3), sqlite3_column_int64(r, 4)});
  }
  return out;
}

std::string AlertDesk::StateAfter(const std::vector<HandlingStep>& history) {
  return history.empty() ? "new" : kSteps.at(history.back().step).second;
}

std::string AlertDesk::StateOf(const std::string& alert_id) { return StateAfter(History(alert_id)); }

std::map<std::string, std::string> AlertDesk::StatesOf(const std::vector<std::string>& alert_ids) {
  std::map<std::string, std::string> out;
  for (const std::string& id : alert_ids) out[id] = "new";
  constexpr size_t kChunk = 500;  // well under SQLite's bound-parameter limit
  for (size_t from = 0; from < alert_ids.size(); from += kChunk) {
    const size_t n = std::min(kChunk, alert_ids.size() - from);
    std::string sql = "SELECT alert_id, step FROM handling WHERE alert_id IN (?";
    for (size_t i = 1; i < n; ++i) sql += ",?";
    sql += ") ORDER BY id";
    auto q = PrepareSql(db_.get(), sql.c_str());
    if (!q.ok()) return out;
    for (size_t i = 0; i < n; ++i) BindText(q->get(), int(i + 1), alert_ids[from + i]);
    // Steps come in the order taken: the last one of each event decides.
    while (sqlite3_step(q->get()) == SQLITE_ROW)
      out[ColumnText(q->get(), 0)] = kSteps.at(ColumnText(q->get(), 1)).second;
  }
  return out;
}

Result<std::string> AlertDesk::Advance(const std::string& alert_id, const HandlingStep& step) {
  auto it = kSteps.find(step.step);
  if (it == kSteps.end()) return Error{"unknown step '" + step.step + "' (ack, dispatch, handle, close)"};
  if (step.step == "dispatch" && step.unit.empty()) return Error{"dispatch needs the unit sent"};
  if (step.step == "handle" && step.note.empty()) return Error{"handle needs a note of what was done"};
  const std::string state = StateOf(alert_id);
  if (state != it->second.first) {
    return Conflict("the alert is " + state + "; " + step.step + " needs it " + it->second.first);
  }
  auto put = PrepareSql(db_.get(), "INSERT INTO handling(alert_id, step, user, unit, note, at_ms) VALUES(?,?,?,?,?,?)");
  if (!put.ok()) return Internal(put.error().message);
  BindText(put->get(), 1, alert_id);
  BindText(put->get(), 2, step.step);
  BindText(put->get(), 3, step.user);
  BindText(put->get(), 4, step.step == "dispatch" ? step.unit : "");  // only a dispatch goes to a unit
  BindText(put->get(), 5, step.note);
  sqlite3_bind_int64(put->get(), 6, step.at_ms);
  if (sqlite3_step(put->get()) != SQLITE_DONE) return Internal(sqlite3_errmsg(db_.get()));
  return it->second.second;
}

}  // namespace xl::router
