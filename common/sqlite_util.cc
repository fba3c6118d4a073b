#include "common/sqlite_util.h"

namespace xl::router {

Result<SqlitePtr> OpenDatabase(const std::string& path, const char* schema) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open(path.c_str(), &raw);
  SqlitePtr db(raw);
  if (rc != SQLITE_OK)
    return Internal(path + ": cannot open the database: " + (raw ? sqlite3_errmsg(raw) : "no memory"));
  sqlite3_busy_timeout(db.get(), 5000);
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON", schema}) {
    if (Status s = ExecSql(db.get(), sql); !s.ok()) return Internal(path + ": " + s.message());
  }
  return db;
}

Status ExecSql(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return sqlite3_errcode(db) == SQLITE_FULL ? ResourceExhausted(msg) : Internal(msg);
  }
  return Status::Ok();
}

Error SqliteError(sqlite3* db, const std::string& what) {
  std::string msg = what + ": " + sqlite3_errmsg(db);
  return sqlite3_errcode(db) == SQLITE_FULL ? ResourceExhausted(std::move(msg)) : Internal(std::move(msg));
}

Result<StmtPtr> PrepareSql(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) return Internal(sqlite3_errmsg(db));
  return StmtPtr(stmt);
}

Status AddColumnIfMissing(sqlite3* db, const std::string& table, const std::string& column,
                          const std::string& definition) {
  auto q = PrepareSql(db, ("SELECT 1 FROM pragma_table_info('" + table + "') WHERE name = ?").c_str());
  if (!q.ok()) return q.error();
  sqlite3_bind_text(q->get(), 1, column.data(), int(column.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(q->get()) == SQLITE_ROW) return Status::Ok();
  return ExecSql(db, ("ALTER TABLE " + table + " ADD COLUMN " + column + " " + definition).c_str());
}

}  // namespace xl::router
