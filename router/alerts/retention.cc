#include "router/alerts/retention.h"

#include <string>
#include <utility>
#include <vector>

namespace xl::router {

Result<std::unique_ptr<AlertRetention>> AlertRetention::Open(const std::string& path, const RetentionPolicy& policy) {
  auto db = OpenDatabase(path, "");
  if (!db.ok()) return db.error();
  return std::unique_ptr<AlertRetention>(new AlertRetention(std::move(db.value()), policy));
}

int64_t AlertRetention::UsedBytes() {
  auto q = PrepareSql(db_.get(),
                      "SELECT (p.page_count - f.freelist_count) * s.page_size "
                      "FROM pragma_page_count() p, pragma_freelist_count() f, pragma_page_size() s");
  return q.ok() && sqlite3_step(q->get()) == SQLITE_ROW ? sqlite3_column_int64(q->get(), 0) : 0;
}

Result<AlertRetention::Deleted> AlertRetention::Step(int64_t now_ms) {
  Deleted out;
  const int64_t cutoff = now_ms - int64_t(policy_.max_age_days) * 24 * 3600 * 1000;
  const bool over_budget = policy_.max_size_mb > 0 && UsedBytes() > policy_.max_size_mb * 1024 * 1024;
  // The oldest events by their latest message; they go while old enough (or while over budget).
  auto oldest = PrepareSql(db_.get(),
                           "SELECT e.alert_id, a.logged_ms FROM events e JOIN alerts a ON a.seq = e.last_seq "
                           "ORDER BY e.last_seq LIMIT ?");
  if (!oldest.ok()) return Internal("retention: " + oldest.error().message);
  sqlite3_bind_int(oldest->get(), 1, policy_.batch);
  std::vector<std::string> due;
  while (sqlite3_step(oldest->get()) == SQLITE_ROW) {
    if (!over_budget && sqlite3_column_int64(oldest->get(), 1) >= cutoff) break;
    due.push_back(ColumnText(oldest->get(), 0));
  }
  oldest->reset();  // finalized: no read open while deleting
  // Handling steps of alerts not (or no longer) here — another centre's step on an alert this
  // router deleted — go by their own age.
  auto orphans = PrepareSql(db_.get(),
                            "DELETE FROM handling WHERE id IN (SELECT h.id FROM handling h WHERE h.at_ms < ? AND "
                            "NOT EXISTS (SELECT 1 FROM events e WHERE e.alert_id = h.alert_id) LIMIT ?)");
  if (!orphans.ok()) return Internal("retention: " + orphans.error().message);
  sqlite3_bind_int64(orphans->get(), 1, cutoff);
  sqlite3_bind_int(orphans->get(), 2, policy_.batch);
  if (sqlite3_step(orphans->get()) != SQLITE_DONE) return SqliteError(db_.get(), "retention");
  if (due.empty()) return out;

  if (Status s = ExecSql(db_.get(), "BEGIN IMMEDIATE"); !s.ok()) return Error{"retention: " + s.message(), s.code()};
  // (statement, whether its deleted rows are messages)
  for (const auto& [sql, messages] : {std::pair{"DELETE FROM alerts WHERE alert_id = ?", true},
                                      std::pair{"DELETE FROM events WHERE alert_id = ?", false},
                                      std::pair{"DELETE FROM handling WHERE alert_id = ?", false}}) {
    auto del = PrepareSql(db_.get(), sql);
    if (!del.ok()) {
      ExecSql(db_.get(), "ROLLBACK");
      return Internal("retention: " + del.error().message);
    }
    for (const std::string& id : due) {
      sqlite3_reset(del->get());
      BindText(del->get(), 1, id);
      if (sqlite3_step(del->get()) != SQLITE_DONE) {
        Error e = SqliteError(db_.get(), "retention");
        ExecSql(db_.get(), "ROLLBACK");
        return e;
      }
      if (messages) out.messages += sqlite3_changes(db_.get());
    }
  }
  if (Status s = ExecSql(db_.get(), "COMMIT"); !s.ok()) {
    ExecSql(db_.get(), "ROLLBACK");
    return Error{"retention: " + s.message(), s.code()};
  }
  out.events = int64_t(due.size());
  out.more = int(due.size()) == policy_.batch;
  return out;
}

}  // namespace xl::router
