#include "router/alerts/alert_log.h"

#include <random>

#include "common/clock.h"
#include "common/sqlite_util.h"
#include "proto/wire/wire.h"

namespace xl::router {

namespace {
const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS alerts(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_id TEXT NOT NULL,
  camera_id TEXT NOT NULL,
  region TEXT NOT NULL,
  kind TEXT NOT NULL,
  phase TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  logged_ms INTEGER NOT NULL,
  snapshot BLOB,
  body BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_by_event ON alerts(alert_id);
CREATE INDEX IF NOT EXISTS alerts_by_camera ON alerts(camera_id, seq);
-- One row per event, kept by a trigger, so the desk's newest-events list reads an index
-- instead of grouping the whole log. Filled once from the log when it first appears.
CREATE TABLE IF NOT EXISTS events(
  alert_id TEXT PRIMARY KEY,
  camera_id TEXT NOT NULL,
  region TEXT NOT NULL,
  kind TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  ended INTEGER NOT NULL,
  last_seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_last ON events(last_seq);
CREATE INDEX IF NOT EXISTS events_by_camera ON events(camera_id, start_ms);
CREATE TRIGGER IF NOT EXISTS alerts_to_events AFTER INSERT ON alerts BEGIN
  INSERT INTO events(alert_id, camera_id, region, kind, start_ms, ended, last_seq)
  VALUES(NEW.alert_id, NEW.camera_id, NEW.region, NEW.kind, NEW.time_ms, NEW.phase = 'end', NEW.seq)
  ON CONFLICT(alert_id) DO UPDATE SET ended = MAX(ended, excluded.ended), last_seq = excluded.last_seq,
    start_ms = MIN(start_ms, excluded.start_ms);
END;
INSERT INTO events(alert_id, camera_id, region, kind, start_ms, ended, last_seq)
  SELECT alert_id, MIN(camera_id), MIN(region), MIN(kind), MIN(time_ms), MAX(phase = 'end'), MAX(seq) FROM alerts
  WHERE NOT EXISTS (SELECT 1 FROM events) GROUP BY alert_id;
CREATE TABLE IF NOT EXISTS cameras(
  id TEXT PRIMARY KEY,
  body BLOB NOT NULL,
  updated_ms INTEGER NOT NULL);
-- Per sender (worker, child router), the last message taken from its outbox: written with the
-- alerts it carried, so a message sent again after a crash is recognised (proto/wire/delivery).
-- The log's identity: a random number chosen when the database was made. A child router's
-- parent keeps its delivery mark under it (router/cascade/), so a new database starts anew.
CREATE TABLE IF NOT EXISTS log_identity(stream INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS delivery_marks(
  source TEXT PRIMARY KEY,
  stream INTEGER NOT NULL,
  seq INTEGER NOT NULL);
)sql";
// A row of the events table as (alert_id, camera_id, region, kind, start_ms, ended, last_seq).
EventSummary SummaryOf(sqlite3_stmt* r) {
  return {ColumnText(r, 0),
          ColumnText(r, 1),
          ColumnText(r, 2),
          ColumnText(r, 3),
          sqlite3_column_int64(r, 4),
          sqlite3_column_int(r, 5) != 0,
          uint64_t(sqlite3_column_int64(r, 6))};
}

}  // namespace

Result<std::unique_ptr<AlertLog>> AlertLog::Open(const std::string& path) {
  auto db = OpenDatabase(path, kSchema);
  if (!db.ok()) return db.error();
  std::unique_ptr<AlertLog> log(new AlertLog(db->release()));
  if (Status s = log->Prepare("INSERT INTO alerts(alert_id, camera_id, region, kind, phase, time_ms, logged_ms, "
                              "snapshot, body) VALUES(?,?,?,?,?,?,?,?,?)",
                              &log->insert_);
      !s.ok()) {
    return s.error();
  }
  if (Status s = log->Prepare("SELECT seq, snapshot, body FROM alerts WHERE seq > ? ORDER BY seq LIMIT ?", &log->read_);
      !s.ok()) {
    return s.error();
  }
  if (Status s = log->Prepare("INSERT INTO cameras(id, body, updated_ms) VALUES(?,?,?) "
                              "ON CONFLICT(id) DO UPDATE SET body=excluded.body, updated_ms=excluded.updated_ms",
                              &log->save_camera_);
      !s.ok()) {
    return s.error();
  }
  if (Status s = log->Prepare("DELETE FROM cameras WHERE id = ?", &log->forget_camera_); !s.ok()) {
    return s.error();
  }
  if (Status s = log->Prepare("INSERT INTO delivery_marks(source, stream, seq) VALUES(?,?,?) ON CONFLICT(source) "
                              "DO UPDATE SET stream=excluded.stream, seq=excluded.seq",
                              &log->save_mark_);
      !s.ok()) {
    return s.error();
  }
  if (Status s = log->Prepare("SELECT a.time_ms, a.body FROM events e JOIN alerts a ON a.alert_id = e.alert_id "
                              "WHERE e.alert_id = ? AND e.ended = 1 AND a.phase = 'end' ORDER BY a.seq DESC LIMIT 1",
                              &log->ending_);
      !s.ok()) {
    return s.error();
  }
  if (Status s = log->Prepare("UPDATE events SET ended = 0 WHERE alert_id = ?", &log->reopen_); !s.ok()) {
    return s.error();
  }
  sqlite3_stmt* identity = nullptr;
  if (Status s = log->Prepare("SELECT stream FROM log_identity", &identity); !s.ok()) return s.error();
  if (sqlite3_step(identity) == SQLITE_ROW) log->stream_ = uint64_t(sqlite3_column_int64(identity, 0));
  sqlite3_finalize(identity);
  if (log->stream_ == 0) {
    std::random_device random;
    log->stream_ = ((uint64_t(random()) << 32) | random()) & 0x7fffffffffffffffULL;  // positive in SQLite
    if (log->stream_ == 0) log->stream_ = 1;
    const std::string put = "INSERT INTO log_identity(stream) VALUES(" + std::to_string(log->stream_) + ")";
    if (Status s = log->Exec(put.c_str()); !s.ok()) return s.error();
  }
  sqlite3_stmt* head = nullptr;
  if (Status s = log->Prepare("SELECT COALESCE(MAX(seq), 0) FROM alerts", &head); !s.ok()) return s.error();
  if (sqlite3_step(head) == SQLITE_ROW) log->head_ = sqlite3_column_int64(head, 0);
  sqlite3_finalize(head);
  return log;
}

AlertLog::~AlertLog() {
  for (sqlite3_stmt* s : {insert_, read_, save_camera_, forget_camera_, save_mark_, ending_, reopen_}) {
    sqlite3_finalize(s);
  }
  sqlite3_close(db_);
}

Status AlertLog::Exec(const char* sql) { return ExecSql(db_, sql); }

Status AlertLog::Prepare(const char* sql, sqlite3_stmt** stmt) {
  auto prepared = PrepareSql(db_, sql);
  if (!prepared.ok()) return prepared.error();
  *stmt = prepared->release();
  return Status::Ok();
}

bool AlertLog::EndedByRouterBefore(const wire::Alert& a) {
  if (a.phase() == wire::ALERT_PHASE_END) return false;
  sqlite3_reset(ending_);
  BindText(ending_, 1, a.id());
  if (sqlite3_step(ending_) != SQLITE_ROW) return false;
  wire::Alert end;
  return end.ParseFromArray(sqlite3_column_blob(ending_, 1), sqlite3_column_bytes(ending_, 1)) &&
         !end.end_reason().empty() && a.time_ms() > sqlite3_column_int64(ending_, 0);
}

Result<std::vector<uint64_t>> AlertLog::Append(const std::vector<wire::Alert>& alerts,
                                               const std::map<std::string, delivery::Mark>& marks,
                                               std::vector<std::string>* reopened) {
  std::vector<uint64_t> seqs;
  if (alerts.empty() && marks.empty()) return seqs;
  if (Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return Error{"alert log: " + s.message(), s.code()};
  for (const auto& [source, mark] : marks) {
    sqlite3_reset(save_mark_);
    BindText(save_mark_, 1, source);
    sqlite3_bind_int64(save_mark_, 2, int64_t(mark.stream));
    sqlite3_bind_int64(save_mark_, 3, int64_t(mark.seq));
    if (sqlite3_step(save_mark_) != SQLITE_DONE) {
      Error e = SqliteError(db_, "alert log");
      Exec("ROLLBACK");
      return e;
    }
  }
  const int64_t now = NowMs();
  std::vector<std::string> opened;
  for (const wire::Alert& a : alerts) {
    const bool reopen = EndedByRouterBefore(a);
    wire::Alert body = a;
    body.clear_snapshot_jpeg();
    const std::string bytes = body.SerializeAsString();
    sqlite3_reset(insert_);
    sqlite3_bind_text(insert_, 1, a.id().c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert_, 2, a.camera_id().c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert_, 3, a.region().c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert_, 4, KindName(a.kind()), -1, SQLITE_STATIC);
    sqlite3_bind_text(insert_, 5, PhaseName(a.phase()), -1, SQLITE_STATIC);
    sqlite3_bind_int64(insert_, 6, a.time_ms());
    sqlite3_bind_int64(insert_, 7, now);
    if (a.snapshot_jpeg().empty()) {
      sqlite3_bind_null(insert_, 8);
    } else {
      sqlite3_bind_blob(insert_, 8, a.snapshot_jpeg().data(), int(a.snapshot_jpeg().size()), SQLITE_TRANSIENT);
    }
    sqlite3_bind_blob(insert_, 9, bytes.data(), int(bytes.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(insert_) != SQLITE_DONE) {
      Error e = SqliteError(db_, "alert log");
      Exec("ROLLBACK");
      return e;
    }
    seqs.push_back(static_cast<uint64_t>(sqlite3_last_insert_rowid(db_)));
    if (reopen) {
      sqlite3_reset(reopen_);
      BindText(reopen_, 1, a.id());
      if (sqlite3_step(reopen_) != SQLITE_DONE) {
        Error e = SqliteError(db_, "alert log");
        Exec("ROLLBACK");
        return e;
      }
      opened.push_back(a.id());
    }
  }
  if (Status s = Exec("COMMIT"); !s.ok()) {
    Exec("ROLLBACK");
    return Error{"alert log: " + s.message(), s.code()};
  }
  if (!seqs.empty()) head_ = seqs.back();
  if (reopened) reopened->insert(reopened->end(), opened.begin(), opened.end());
  return seqs;
}

Result<std::vector<wire::Alert>> AlertLog::OpenEventsOf(const std::string& camera_id) {
  auto q = PrepareSql(db_,
                      "SELECT a.body FROM events e JOIN alerts a ON a.seq = e.last_seq "
                      "WHERE e.camera_id = ? AND e.ended = 0 ORDER BY e.last_seq");
  if (!q.ok()) return Internal("alert log: " + q.error().message);
  BindText(q->get(), 1, camera_id);
  std::vector<wire::Alert> out;
  while (sqlite3_step(q->get()) == SQLITE_ROW) {
    wire::Alert a;
    if (a.ParseFromArray(sqlite3_column_blob(q->get(), 0), sqlite3_column_bytes(q->get(), 0))) out.push_back(a);
  }
  return out;
}

Result<std::map<std::string, delivery::Mark>> AlertLog::LoadMarks() {
  auto q = PrepareSql(db_, "SELECT source, stream, seq FROM delivery_marks");
  if (!q.ok()) return Internal("alert log: " + q.error().message);
  std::map<std::string, delivery::Mark> out;
  while (sqlite3_step(q->get()) == SQLITE_ROW) {
    out[ColumnText(q->get(), 0)] = {uint64_t(sqlite3_column_int64(q->get(), 1)),
                                    uint64_t(sqlite3_column_int64(q->get(), 2))};
  }
  return out;
}

Result<std::vector<wire::LoggedAlert>> AlertLog::ReadAfter(uint64_t after, int limit) {
  sqlite3_reset(read_);
  sqlite3_bind_int64(read_, 1, static_cast<int64_t>(after));
  sqlite3_bind_int(read_, 2, limit);
  return ReadRows(read_);
}

Result<std::vector<wire::LoggedAlert>> AlertLog::ReadRows(sqlite3_stmt* stmt) {
  std::vector<wire::LoggedAlert> out;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    wire::LoggedAlert logged;
    logged.set_seq(static_cast<uint64_t>(sqlite3_column_int64(stmt, 0)));
    const void* body = sqlite3_column_blob(stmt, 2);
    if (!logged.mutable_alert()->ParseFromArray(body, sqlite3_column_bytes(stmt, 2))) {
      return Internal("alert log: row " + std::to_string(logged.seq()) + " is corrupt");
    }
    if (const void* jpeg = sqlite3_column_blob(stmt, 1)) {
      logged.mutable_alert()->set_snapshot_jpeg(jpeg, sqlite3_column_bytes(stmt, 1));
    }
    out.push_back(std::move(logged));
  }
  if (rc != SQLITE_DONE) return Internal(std::string("alert log: ") + sqlite3_errmsg(db_));
  return out;
}

Result<std::vector<EventSummary>> AlertLog::RecentEvents(int limit, uint64_t before_seq) {
  auto q = PrepareSql(db_,
                      "SELECT alert_id, camera_id, region, kind, start_ms, ended, last_seq FROM events "
                      "WHERE last_seq < ? ORDER BY last_seq DESC LIMIT ?");
  if (!q.ok()) return q.error();
  sqlite3_bind_int64(q->get(), 1, before_seq > uint64_t(INT64_MAX) ? INT64_MAX : int64_t(before_seq));
  sqlite3_bind_int(q->get(), 2, limit);
  std::vector<EventSummary> out;
  int rc;
  while ((rc = sqlite3_step(q->get())) == SQLITE_ROW) out.push_back(SummaryOf(q->get()));
  if (rc != SQLITE_DONE) return Internal(std::string("alert log: ") + sqlite3_errmsg(db_));
  return out;
}

Result<std::vector<EventSummary>> AlertLog::EventsOf(const std::string& camera_id, int64_t from_ms, int64_t to_ms,
                                                     int limit) {
  auto q = PrepareSql(db_,
                      "SELECT alert_id, camera_id, region, kind, start_ms, ended, last_seq FROM events "
                      "WHERE camera_id = ? AND start_ms >= ? AND start_ms < ? ORDER BY start_ms LIMIT ?");
  if (!q.ok()) return q.error();
  BindText(q->get(), 1, camera_id);
  sqlite3_bind_int64(q->get(), 2, from_ms);
  sqlite3_bind_int64(q->get(), 3, to_ms);
  sqlite3_bind_int(q->get(), 4, limit);
  std::vector<EventSummary> out;
  int rc;
  while ((rc = sqlite3_step(q->get())) == SQLITE_ROW) out.push_back(SummaryOf(q->get()));
  if (rc != SQLITE_DONE) return Internal(std::string("alert log: ") + sqlite3_errmsg(db_));
  return out;
}

Result<std::vector<wire::LoggedAlert>> AlertLog::EventMessages(const std::string& alert_id) {
  auto q = PrepareSql(db_, "SELECT seq, snapshot, body FROM alerts WHERE alert_id = ? ORDER BY seq");
  if (!q.ok()) return q.error();
  BindText(q->get(), 1, alert_id);
  return ReadRows(q->get());
}

Status AlertLog::SaveCamera(const wire::Camera& camera) {
  const std::string bytes = camera.SerializeAsString();
  sqlite3_reset(save_camera_);
  sqlite3_bind_text(save_camera_, 1, camera.id().c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob(save_camera_, 2, bytes.data(), int(bytes.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(save_camera_, 3, NowMs());
  if (sqlite3_step(save_camera_) != SQLITE_DONE) return Internal(std::string("camera table: ") + sqlite3_errmsg(db_));
  return Status::Ok();
}

Status AlertLog::ForgetCamera(const std::string& id) {
  sqlite3_reset(forget_camera_);
  BindText(forget_camera_, 1, id);
  if (sqlite3_step(forget_camera_) != SQLITE_DONE) return Internal(std::string("camera table: ") + sqlite3_errmsg(db_));
  return Status::Ok();
}

Result<std::vector<wire::Camera>> AlertLog::LoadCameras() {
  sqlite3_stmt* stmt = nullptr;
  if (Status s = Prepare("SELECT body FROM cameras ORDER BY id", &stmt); !s.ok()) return s.error();
  std::vector<wire::Camera> out;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    wire::Camera c;
    if (c.ParseFromArray(sqlite3_column_blob(stmt, 0), sqlite3_column_bytes(stmt, 0))) out.push_back(std::move(c));
  }
  sqlite3_finalize(stmt);
  return out;
}

}  // namespace xl::router
