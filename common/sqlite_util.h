// Small helpers shared by the router's SQLite stores (alert log, camera store).
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>

#include "common/status.h"

namespace xl::router {

struct SqliteClose {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
using SqlitePtr = std::unique_ptr<sqlite3, SqliteClose>;

struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

// Opens (creating if needed) the database at `path` in WAL mode with synchronous=FULL (a
// committed write survives power loss) and applies `schema`. Errors name the file.
Result<SqlitePtr> OpenDatabase(const std::string& path, const char* schema);

// Runs `sql` (any number of statements). A full disk is kResourceExhausted (SqliteError).
Status ExecSql(sqlite3* db, const char* sql);

// The failure of the last call on `db`, as "`what`: <SQLite's message>": kResourceExhausted
// when the disk (or the database's size limit) is full, so callers can say so and wait for
// room; kInternal otherwise. Call it before anything else runs on `db` (a ROLLBACK).
Error SqliteError(sqlite3* db, const std::string& what);

// Compiles one statement.
Result<StmtPtr> PrepareSql(sqlite3* db, const char* sql);

// Adds `column` (its SQL definition `definition`, e.g. "TEXT NOT NULL DEFAULT ''") to `table`
// when the table lacks it: databases made before the column existed.
Status AddColumnIfMissing(sqlite3* db, const std::string& table, const std::string& column,
                          const std::string& definition);

// Binds `text` to parameter `index` (1-based), copied.
inline void BindText(sqlite3_stmt* s, int index, const std::string& text) {
  sqlite3_bind_text(s, index, text.data(), int(text.size()), SQLITE_TRANSIENT);
}

// Column `index` (0-based) as a string ("" for NULL).
inline std::string ColumnText(sqlite3_stmt* s, int index) {
  const unsigned char* t = sqlite3_column_text(s, index);
  return t ? std::string(reinterpret_cast<const char*>(t), size_t(sqlite3_column_bytes(s, index))) : "";
}

}  // namespace xl::router
