#include "ingest/recording/segment_index.h"

#include <charconv>

namespace xl::ingest {
namespace {

using router::BindText;
using router::ColumnText;

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS segments (
  id INTEGER PRIMARY KEY,
  camera TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL,
  path TEXT NOT NULL,
  bytes INTEGER NOT NULL DEFAULT 0,
  codec TEXT NOT NULL,
  keyframes TEXT NOT NULL DEFAULT '',
  open INTEGER NOT NULL DEFAULT 1,
  end_reason TEXT NOT NULL DEFAULT '',
  keep_ms INTEGER NOT NULL,
  event_keep_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS segments_by_camera ON segments (camera, start_ms);
CREATE INDEX IF NOT EXISTS segments_by_start ON segments (start_ms);
CREATE TABLE IF NOT EXISTS events (
  camera TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_camera ON events (camera, start_ms);
)";

constexpr const char* kColumns =
    "SELECT id, camera, start_ms, end_ms, path, bytes, codec, keyframes, open, end_reason, keep_ms, event_keep_ms "
    "FROM segments s ";

// Whether an event overlaps segment s.
constexpr const char* kEventOverlaps =
    "EXISTS (SELECT 1 FROM events e WHERE e.camera = s.camera AND e.start_ms < s.end_ms AND e.end_ms >= s.start_ms)";

// Keyframe times as stored: offsets from the segment's start, comma-separated.
std::string KeyframesText(int64_t start_ms, const std::vector<int64_t>& keyframes_ms) {
  std::string out;
  for (int64_t k : keyframes_ms) {
    if (!out.empty()) out += ',';
    out += std::to_string(k - start_ms);
  }
  return out;
}

std::vector<int64_t> ParseKeyframes(int64_t start_ms, const std::string& text) {
  std::vector<int64_t> out;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    int64_t v = 0;
    auto r = std::from_chars(p, end, v);
    if (r.ec != std::errc()) break;
    out.push_back(start_ms + v);
    p = r.ptr;
    if (p < end && *p == ',') ++p;
  }
  return out;
}

Segment Row(sqlite3_stmt* s) {
  Segment g;
  g.id = sqlite3_column_int64(s, 0);
  g.camera = ColumnText(s, 1);
  g.start_ms = sqlite3_column_int64(s, 2);
  g.end_ms = sqlite3_column_int64(s, 3);
  g.path = ColumnText(s, 4);
  g.bytes = sqlite3_column_int64(s, 5);
  g.codec = ColumnText(s, 6);
  g.keyframes_ms = ParseKeyframes(g.start_ms, ColumnText(s, 7));
  g.open = sqlite3_column_int(s, 8) != 0;
  g.end_reason = ColumnText(s, 9);
  g.keep_ms = sqlite3_column_int64(s, 10);
  g.event_keep_ms = sqlite3_column_int64(s, 11);
  return g;
}

}  // namespace

Result<std::unique_ptr<SegmentIndex>> SegmentIndex::Open(const std::string& path) {
  auto db = router::OpenDatabase(path, kSchema);
  if (!db.ok()) return db.error();
  // The files are the truth and a lost second of index is recovered from them at start:
  // no fsync per update.
  if (Status s = router::ExecSql(db.value().get(), "PRAGMA synchronous=NORMAL"); !s.ok()) return s.error();
  std::unique_ptr<SegmentIndex> index(new SegmentIndex(std::move(db.value())));
  auto sum = router::PrepareSql(index->db_.get(), "SELECT COALESCE(SUM(bytes), 0), COUNT(*) FROM segments");
  if (!sum.ok()) return sum.error();
  if (sqlite3_step(sum.value().get()) == SQLITE_ROW) {
    index->total_bytes_ = sqlite3_column_int64(sum.value().get(), 0);
    index->segments_ = sqlite3_column_int64(sum.value().get(), 1);
  }
  return index;
}

Result<int64_t> SegmentIndex::Add(const Segment& g) {
  std::lock_guard lock(mu_);
  auto stmt = router::PrepareSql(db_.get(),
                                 "INSERT INTO segments (camera, start_ms, end_ms, path, bytes, codec, keyframes, open, "
                                 "keep_ms, event_keep_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  sqlite3_stmt* s = stmt.value().get();
  BindText(s, 1, g.camera);
  sqlite3_bind_int64(s, 2, g.start_ms);
  sqlite3_bind_int64(s, 3, g.end_ms);
  BindText(s, 4, g.path);
  sqlite3_bind_int64(s, 5, g.bytes);
  BindText(s, 6, g.codec);
  BindText(s, 7, KeyframesText(g.start_ms, g.keyframes_ms));
  sqlite3_bind_int64(s, 8, g.keep_ms);
  sqlite3_bind_int64(s, 9, g.event_keep_ms);
  if (sqlite3_step(s) != SQLITE_DONE) return router::SqliteError(db_.get(), "recordings index");
  total_bytes_ += g.bytes;
  ++segments_;
  return int64_t(sqlite3_last_insert_rowid(db_.get()));
}

Status SegmentIndex::Update(const std::vector<Progress>& progress) {
  if (progress.empty()) return Status::Ok();
  std::lock_guard lock(mu_);
  if (Status s = router::ExecSql(db_.get(), "BEGIN"); !s.ok()) return s;
  auto stmt = router::PrepareSql(db_.get(),
                                 "UPDATE segments SET end_ms = ?, bytes = ?, keyframes = ? WHERE id = ? AND open = 1");
  if (!stmt.ok()) {
    router::ExecSql(db_.get(), "ROLLBACK");
    return stmt.error();
  }
  auto before = router::PrepareSql(db_.get(), "SELECT bytes FROM segments WHERE id = ? AND open = 1");
  if (!before.ok()) {
    router::ExecSql(db_.get(), "ROLLBACK");
    return before.error();
  }
  int64_t delta = 0;
  for (const Progress& p : progress) {
    sqlite3_stmt* b = before.value().get();
    sqlite3_reset(b);
    sqlite3_bind_int64(b, 1, p.id);
    if (sqlite3_step(b) != SQLITE_ROW) continue;
    delta += p.bytes - sqlite3_column_int64(b, 0);
    sqlite3_stmt* s = stmt.value().get();
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, p.end_ms);
    sqlite3_bind_int64(s, 2, p.bytes);
    BindText(s, 3, KeyframesText(p.start_ms, p.keyframes_ms));
    sqlite3_bind_int64(s, 4, p.id);
    if (sqlite3_step(s) != SQLITE_DONE) {
      Error e = router::SqliteError(db_.get(), "recordings index");
      router::ExecSql(db_.get(), "ROLLBACK");
      return e;
    }
  }
  Status committed = router::ExecSql(db_.get(), "COMMIT");
  if (committed.ok()) total_bytes_ += delta;
  return committed;
}

Status SegmentIndex::Close(const Progress& p, const std::string& end_reason) {
  if (Status s = Update({p}); !s.ok()) return s;
  std::lock_guard lock(mu_);
  auto stmt = router::PrepareSql(db_.get(), "UPDATE segments SET open = 0, end_reason = ? WHERE id = ?");
  if (!stmt.ok()) return stmt.error();
  BindText(stmt.value().get(), 1, end_reason);
  sqlite3_bind_int64(stmt.value().get(), 2, p.id);
  if (sqlite3_step(stmt.value().get()) != SQLITE_DONE) return router::SqliteError(db_.get(), "recordings index");
  return Status::Ok();
}

Status SegmentIndex::Remove(int64_t id) {
  std::lock_guard lock(mu_);
  auto stmt = router::PrepareSql(db_.get(), "DELETE FROM segments WHERE id = ? RETURNING bytes");
  if (!stmt.ok()) return stmt.error();
  sqlite3_bind_int64(stmt.value().get(), 1, id);
  int rc;
  while ((rc = sqlite3_step(stmt.value().get())) == SQLITE_ROW) {
    total_bytes_ -= sqlite3_column_int64(stmt.value().get(), 0);
    --segments_;
  }
  if (rc != SQLITE_DONE) return router::SqliteError(db_.get(), "recordings index");
  return Status::Ok();
}

std::vector<Segment> SegmentIndex::Query(const char* sql, const std::function<void(sqlite3_stmt*)>& bind) const {
  std::lock_guard lock(mu_);
  std::vector<Segment> out;
  auto stmt = router::PrepareSql(db_.get(), sql);
  if (!stmt.ok()) return out;
  bind(stmt.value().get());
  while (sqlite3_step(stmt.value().get()) == SQLITE_ROW) out.push_back(Row(stmt.value().get()));
  return out;
}

std::vector<Segment> SegmentIndex::Overlapping(const std::string& camera, int64_t from_ms, int64_t to_ms) const {
  static const std::string sql =
      std::string(kColumns) + "WHERE camera = ? AND start_ms < ? AND end_ms >= ? ORDER BY start_ms";
  return Query(sql.c_str(), [&](sqlite3_stmt* s) {
    BindText(s, 1, camera);
    sqlite3_bind_int64(s, 2, to_ms);
    sqlite3_bind_int64(s, 3, from_ms);
  });
}

std::vector<Segment> SegmentIndex::OpenSegments() const {
  static const std::string sql = std::string(kColumns) + "WHERE open = 1 ORDER BY start_ms";
  return Query(sql.c_str(), [](sqlite3_stmt*) {});
}

std::vector<Segment> SegmentIndex::Expired(int64_t now_ms, int limit) const {
  static const std::string sql = std::string(kColumns) + "WHERE open = 0 AND end_ms + CASE WHEN " + kEventOverlaps +
                                 " THEN event_keep_ms ELSE keep_ms END < ? ORDER BY start_ms LIMIT ?";
  return Query(sql.c_str(), [&](sqlite3_stmt* s) {
    sqlite3_bind_int64(s, 1, now_ms);
    sqlite3_bind_int(s, 2, limit);
  });
}

std::vector<Segment> SegmentIndex::OldestForSpace(int limit) const {
  static const std::string sql =
      std::string(kColumns) + "WHERE open = 0 ORDER BY " + kEventOverlaps + ", start_ms LIMIT ?";
  return Query(sql.c_str(), [&](sqlite3_stmt* s) { sqlite3_bind_int(s, 1, limit); });
}

Status SegmentIndex::AddEvent(const std::string& camera, int64_t start_ms, int64_t end_ms) {
  std::lock_guard lock(mu_);
  auto stmt = router::PrepareSql(db_.get(), "INSERT INTO events (camera, start_ms, end_ms) VALUES (?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  BindText(stmt.value().get(), 1, camera);
  sqlite3_bind_int64(stmt.value().get(), 2, start_ms);
  sqlite3_bind_int64(stmt.value().get(), 3, end_ms);
  if (sqlite3_step(stmt.value().get()) != SQLITE_DONE) return router::SqliteError(db_.get(), "recordings index");
  // Events older than every segment of their camera protect nothing any more.
  router::ExecSql(db_.get(),
                  "DELETE FROM events WHERE end_ms < (SELECT COALESCE(MIN(start_ms), 0) FROM segments s "
                  "WHERE s.camera = events.camera)");
  return Status::Ok();
}

int64_t SegmentIndex::total_bytes() const {
  std::lock_guard lock(mu_);
  return total_bytes_;
}

int64_t SegmentIndex::segments() const {
  std::lock_guard lock(mu_);
  return segments_;
}

}  // namespace xl::ingest
