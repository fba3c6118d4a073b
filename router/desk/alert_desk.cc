#include "router/desk/alert_desk.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>

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
CREATE INDEX IF NOT EXISTS handling_by_time ON handling(at_ms);  -- retention of steps without their alert
-- How far this router has each peer's handling log (router/cascade/).
CREATE TABLE IF NOT EXISTS handling_marks(
  link TEXT PRIMARY KEY,
  stream INTEGER NOT NULL,
  seq INTEGER NOT NULL);
)sql";

// Columns added for the cascade (a database from before it gets them).
const std::pair<const char*, const char*> kCascadeColumns[] = {
    {"uid", "TEXT NOT NULL DEFAULT ''"},       {"site", "TEXT NOT NULL DEFAULT ''"},
    {"link", "TEXT NOT NULL DEFAULT ''"},      {"alert_site", "TEXT NOT NULL DEFAULT ''"},
    {"camera_id", "TEXT NOT NULL DEFAULT ''"}, {"region", "TEXT NOT NULL DEFAULT ''"},
};

// step → (the state it needs, the state it leads to)
const std::map<std::string, std::pair<std::string, std::string>> kSteps = {
    {"ack", {"new", "acknowledged"}},
    {"dispatch", {"acknowledged", "dispatched"}},
    {"handle", {"dispatched", "handled"}},
    {"close", {"handled", "closed"}},
};

// The order every router replays an event's steps in.
constexpr const char* kStepOrder = "ORDER BY at_ms, uid";

std::string NewUid() {
  std::random_device random;  // /dev/urandom: unique across routers without coordination
  const uint64_t v = (uint64_t(random()) << 32) ^ random();
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Applies step `step` to `state`; false (state unchanged) when it does not follow it.
bool Apply(const std::string& step, std::string* state) {
  auto it = kSteps.find(step);
  if (it == kSteps.end() || it->second.first != *state) return false;
  *state = it->second.second;
  return true;
}
}  // namespace

Result<std::unique_ptr<AlertDesk>> AlertDesk::Open(const std::string& path) {
  auto db = OpenDatabase(path, kSchema);
  if (!db.ok()) return db.error();
  sqlite3* d = db->get();
  for (const auto& [column, type] : kCascadeColumns) {
    if (Status s = AddColumnIfMissing(d, "handling", column, type); !s.ok()) return s.error();
  }
  // Steps from before the cascade get a uid of their own.
  if (Status s = ExecSql(d,
                         "UPDATE handling SET uid = 'local-' || id WHERE uid = '';"
                         "CREATE UNIQUE INDEX IF NOT EXISTS handling_by_uid ON handling(uid);");
      !s.ok()) {
    return s.error();
  }
  std::unique_ptr<AlertDesk> desk(new AlertDesk(std::move(db.value())));
  auto head = PrepareSql(d, "SELECT COALESCE(MAX(id), 0) FROM handling");
  if (!head.ok()) return head.error();
  if (sqlite3_step(head->get()) == SQLITE_ROW) desk->head_ = uint64_t(sqlite3_column_int64(head->get(), 0));
  return desk;
}

std::vector<HandlingStep> AlertDesk::History(const std::string& alert_id) {
  std::vector<HandlingStep> out;
  auto q = PrepareSql(db_.get(), (std::string("SELECT step, user, unit, note, at_ms, site FROM handling "
                                              "WHERE alert_id = ? ") +
                                  kStepOrder)
                                     .c_str());
  if (!q.ok()) return out;
  BindText(q->get(), 1, alert_id);
  while (sqlite3_step(q->get()) == SQLITE_ROW) {
    sqlite3_stmt* r = q->get();
    out.push_back({ColumnText(r, 0), ColumnText(r, 1), ColumnText(r, 2), ColumnText(r, 3), sqlite3_column_int64(r, 4),
                   ColumnText(r, 5)});
  }
  Replay(out);
  return out;
}

std::string AlertDesk::Replay(std::vector<HandlingStep>& history) {
  std::string state = "new";
  for (HandlingStep& s : history) s.applied = Apply(s.step, &state);
  return state;
}

std::string AlertDesk::StateOf(const std::string& alert_id) {
  std::vector<HandlingStep> history = History(alert_id);
  return Replay(history);
}

std::map<std::string, std::string> AlertDesk::StatesOf(const std::vector<std::string>& alert_ids) {
  std::map<std::string, std::string> out;
  for (const std::string& id : alert_ids) out[id] = "new";
  constexpr size_t kChunk = 500;  // well under SQLite's bound-parameter limit
  for (size_t from = 0; from < alert_ids.size(); from += kChunk) {
    const size_t n = std::min(kChunk, alert_ids.size() - from);
    std::string sql = "SELECT alert_id, step FROM handling WHERE alert_id IN (?";
    for (size_t i = 1; i < n; ++i) sql += ",?";
    sql += std::string(") ") + kStepOrder;
    auto q = PrepareSql(db_.get(), sql.c_str());
    if (!q.ok()) return out;
    for (size_t i = 0; i < n; ++i) BindText(q->get(), int(i + 1), alert_ids[from + i]);
    // Each event's steps come in its order: replayed one by one.
    while (sqlite3_step(q->get()) == SQLITE_ROW) Apply(ColumnText(q->get(), 1), &out[ColumnText(q->get(), 0)]);
  }
  return out;
}

std::string AlertDesk::Invalid(const HandlingStep& step) {
  if (!kSteps.count(step.step)) return "unknown step '" + step.step + "' (ack, dispatch, handle, close)";
  if (step.step == "dispatch" && step.unit.empty()) return "dispatch needs the unit sent";
  if (step.step == "handle" && step.note.empty()) return "handle needs a note of what was done";
  return "";
}

namespace {
// Inserts `s` (its uid set); false when a step with its uid is kept already.
Result<bool> Insert(sqlite3* db, const LoggedStep& s) {
  auto put = PrepareSql(db,
                        "INSERT OR IGNORE INTO handling(alert_id, step, user, unit, note, at_ms, uid, site, link, "
                        "alert_site, camera_id, region) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
  if (!put.ok()) return Internal(put.error().message);
  sqlite3_stmt* q = put->get();
  BindText(q, 1, s.alert.id);
  BindText(q, 2, s.step.step);
  BindText(q, 3, s.step.user);
  BindText(q, 4, s.step.step == "dispatch" ? s.step.unit : "");  // only a dispatch goes to a unit
  BindText(q, 5, s.step.note);
  sqlite3_bind_int64(q, 6, s.step.at_ms);
  BindText(q, 7, s.uid);
  BindText(q, 8, s.step.site);
  BindText(q, 9, s.link);
  BindText(q, 10, s.alert.site);
  BindText(q, 11, s.alert.camera_id);
  BindText(q, 12, s.alert.region);
  if (sqlite3_step(q) != SQLITE_DONE) return Internal(sqlite3_errmsg(db));
  return sqlite3_changes(db) > 0;
}
}  // namespace

Result<std::string> AlertDesk::Advance(const StepAlert& alert, const HandlingStep& step) {
  if (std::string why = Invalid(step); !why.empty()) return Error{why};
  std::vector<HandlingStep> history = History(alert.id);
  const std::string state = Replay(history);
  const auto& rule = kSteps.at(step.step);
  if (state != rule.first) return Conflict("the alert is " + state + "; " + step.step + " needs it " + rule.first);
  LoggedStep s{0, NewUid(), alert, "", step};
  s.step.site.clear();
  // After every step the event has, whatever another centre's clock said: what the user saw
  // is what the step follows.
  if (!history.empty()) s.step.at_ms = std::max(s.step.at_ms, history.back().at_ms + 1);
  auto kept = Insert(db_.get(), s);
  if (!kept.ok()) return kept.error();
  head_ = uint64_t(sqlite3_last_insert_rowid(db_.get()));
  return rule.second;
}

Result<std::vector<LoggedStep>> AlertDesk::Receive(const std::string& link, const delivery::Mark& mark,
                                                   std::vector<LoggedStep> steps) {
  sqlite3* db = db_.get();
  std::vector<LoggedStep> fresh;
  if (Status s = ExecSql(db, "BEGIN IMMEDIATE"); !s.ok()) return Error{"handling: " + s.message(), s.code()};
  auto fail = [db](const Error& e) {
    (void)ExecSql(db, "ROLLBACK");
    return e;
  };
  for (LoggedStep& s : steps) {
    s.link = link;
    auto kept = Insert(db, s);
    if (!kept.ok()) return fail(kept.error());
    if (!*kept) continue;
    s.seq = uint64_t(sqlite3_last_insert_rowid(db));
    fresh.push_back(std::move(s));
  }
  auto put = PrepareSql(db, "INSERT OR REPLACE INTO handling_marks(link, stream, seq) VALUES(?,?,?)");
  if (!put.ok()) return fail(put.error());
  BindText(put->get(), 1, link);
  sqlite3_bind_int64(put->get(), 2, int64_t(mark.stream));
  sqlite3_bind_int64(put->get(), 3, int64_t(mark.seq));
  if (sqlite3_step(put->get()) != SQLITE_DONE) return fail(SqliteError(db, "handling mark"));
  if (Status s = ExecSql(db, "COMMIT"); !s.ok()) return fail(Error{"handling: " + s.message(), s.code()});
  if (!fresh.empty()) head_ = std::max(head_, fresh.back().seq);
  return fresh;
}

delivery::Mark AlertDesk::MarkOf(const std::string& link) {
  delivery::Mark m;
  auto q = PrepareSql(db_.get(), "SELECT stream, seq FROM handling_marks WHERE link = ?");
  if (!q.ok()) return m;
  BindText(q->get(), 1, link);
  if (sqlite3_step(q->get()) == SQLITE_ROW) {
    m.stream = uint64_t(sqlite3_column_int64(q->get(), 0));
    m.seq = uint64_t(sqlite3_column_int64(q->get(), 1));
  }
  return m;
}

Result<std::vector<LoggedStep>> AlertDesk::ReadFor(const std::string& link, uint64_t seq, int n) {
  constexpr const char* kColumns =
      "SELECT id, uid, alert_id, camera_id, region, alert_site, link, step, user, unit, note, at_ms, site "
      "FROM handling WHERE id > ? AND link != ?";
  const bool up = link == "parent";
  // A child gets the steps on alerts raised at it or below it.
  const std::string sql = std::string(kColumns) +
                          (up ? "" : " AND (alert_site = ?3 OR substr(alert_site, 1, length(?3) + 1) = ?3 || '/')") +
                          " ORDER BY id LIMIT ?4";
  auto q = PrepareSql(db_.get(), sql.c_str());
  if (!q.ok()) return q.error();
  sqlite3_bind_int64(q->get(), 1, int64_t(seq));
  BindText(q->get(), 2, link);
  if (!up) BindText(q->get(), 3, link.substr(link.find(':') + 1));
  sqlite3_bind_int(q->get(), 4, n);
  std::vector<LoggedStep> out;
  int rc;
  while ((rc = sqlite3_step(q->get())) == SQLITE_ROW) {
    sqlite3_stmt* r = q->get();
    LoggedStep s;
    s.seq = uint64_t(sqlite3_column_int64(r, 0));
    s.uid = ColumnText(r, 1);
    s.alert = {ColumnText(r, 2), ColumnText(r, 3), ColumnText(r, 4), ColumnText(r, 5)};
    s.link = ColumnText(r, 6);
    s.step = {ColumnText(r, 7), ColumnText(r, 8), ColumnText(r, 9), ColumnText(r, 10), sqlite3_column_int64(r, 11),
              ColumnText(r, 12)};
    out.push_back(std::move(s));
  }
  if (rc != SQLITE_DONE) return SqliteError(db_.get(), "handling log");
  return out;
}

}  // namespace xl::router
