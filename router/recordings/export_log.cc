#include "router/recordings/export_log.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/clock.h"
#include "common/sha256_hex.h"

namespace xl::router {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS exports(
  id TEXT PRIMARY KEY,
  camera TEXT NOT NULL,
  region TEXT NOT NULL,
  user TEXT NOT NULL,
  from_ms INTEGER NOT NULL,
  to_ms INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  worker TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS exports_by_time ON exports(at_ms);
)sql";

// Writes `bytes` to `path` durably: a temporary file, synced, renamed into place.
Status WriteWhole(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".part";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return Unavailable("export: cannot create " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      const std::string why = "export: cannot write " + tmp + ": " + std::strerror(e);
      return e == ENOSPC ? Status(ResourceExhausted(why)) : Status(Unavailable(why));
    }
    done += size_t(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Unavailable("export: cannot keep " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

ExportRecord RecordOf(sqlite3_stmt* r) {
  return {ColumnText(r, 0),           ColumnText(r, 1),
          ColumnText(r, 2),           ColumnText(r, 3),
          sqlite3_column_int64(r, 4), sqlite3_column_int64(r, 5),
          sqlite3_column_int64(r, 6), sqlite3_column_int64(r, 7),
          ColumnText(r, 8),           ColumnText(r, 9)};
}

constexpr const char* kColumns = "id, camera, region, user, from_ms, to_ms, at_ms, bytes, sha256, worker";

}  // namespace

Result<std::unique_ptr<ExportLog>> ExportLog::Open(const std::string& db_path, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Unavailable("exports: cannot create folder " + dir + ": " + ec.message());
  auto db = OpenDatabase(db_path, kSchema);
  if (!db.ok()) return db.error();
  return std::unique_ptr<ExportLog>(new ExportLog(std::move(db.value()), dir));
}

std::string ExportLog::NewId(int64_t now_ms) {
  unsigned char random[3];
  randombytes_buf(random, sizeof random);
  char hex[7];
  sodium_bin2hex(hex, sizeof hex, random, sizeof random);
  return "E" + LocalTime(now_ms, "%Y%m%d-%H%M%S") + "-" + hex;
}

Result<nlohmann::json> ExportLog::Write(const std::string& dir, ExportRecord& record, const std::string& mp4,
                                        const nlohmann::json& sources) {
  record.bytes = int64_t(mp4.size());
  record.sha256 = xl::Sha256Hex(mp4);
  const std::string base = dir + "/" + record.id;
  if (Status s = WriteWhole(base + ".mp4", mp4); !s.ok()) return s.error();
  nlohmann::json manifest = {
      {"export", record.id},
      {"camera", record.camera},
      {"region", record.region},
      {"from_ms", record.from_ms},
      {"to_ms", record.to_ms},
      {"from", LocalTime(record.from_ms, "%Y-%m-%dT%H:%M:%S%z")},
      {"to", LocalTime(record.to_ms, "%Y-%m-%dT%H:%M:%S%z")},
      {"file", record.id + ".mp4"},
      {"file_starts_ms", record.starts_ms},  // its time 0: the keyframe at or before from_ms
      {"bytes", record.bytes},
      {"sha256", record.sha256},
      {"worker", record.worker},
      {"source_segments", sources},
      {"exported_by", record.user},
      {"exported_at_ms", record.at_ms},
      {"exported_at", LocalTime(record.at_ms, "%Y-%m-%dT%H:%M:%S%z")},
  };
  if (Status s = WriteWhole(base + ".json", manifest.dump(2) + "\n"); !s.ok()) {
    ::unlink((base + ".mp4").c_str());
    return s.error();
  }
  return manifest;
}

Status ExportLog::Record(const ExportRecord& r) {
  auto q = PrepareSql(db_.get(),
                      "INSERT INTO exports(id, camera, region, user, from_ms, to_ms, at_ms, bytes, sha256, worker) "
                      "VALUES(?,?,?,?,?,?,?,?,?,?)");
  if (!q.ok()) return q.error();
  sqlite3_stmt* s = q->get();
  BindText(s, 1, r.id);
  BindText(s, 2, r.camera);
  BindText(s, 3, r.region);
  BindText(s, 4, r.user);
  sqlite3_bind_int64(s, 5, r.from_ms);
  sqlite3_bind_int64(s, 6, r.to_ms);
  sqlite3_bind_int64(s, 7, r.at_ms);
  sqlite3_bind_int64(s, 8, r.bytes);
  BindText(s, 9, r.sha256);
  BindText(s, 10, r.worker);
  if (sqlite3_step(s) != SQLITE_DONE) return SqliteError(db_.get(), "export audit log");
  return Status::Ok();
}

std::optional<ExportRecord> ExportLog::Find(const std::string& id) {
  auto q = PrepareSql(db_.get(), (std::string("SELECT ") + kColumns + " FROM exports WHERE id = ?").c_str());
  if (!q.ok()) return std::nullopt;
  BindText(q->get(), 1, id);
  if (sqlite3_step(q->get()) != SQLITE_ROW) return std::nullopt;
  return RecordOf(q->get());
}

std::vector<ExportRecord> ExportLog::Newest(int limit) {
  std::vector<ExportRecord> out;
  auto q =
      PrepareSql(db_.get(), (std::string("SELECT ") + kColumns + " FROM exports ORDER BY at_ms DESC LIMIT ?").c_str());
  if (!q.ok()) return out;
  sqlite3_bind_int(q->get(), 1, limit);
  while (sqlite3_step(q->get()) == SQLITE_ROW) out.push_back(RecordOf(q->get()));
  return out;
}

std::string ExportLog::PathOf(const std::string& id, const std::string& extension) const {
  return dir_ + "/" + id + "." + extension;
}

}  // namespace xl::router
