#include "proto/wire/delivery/outbox.h"

#include <random>

namespace xl::delivery {

namespace {
// AUTOINCREMENT: a sequence number is never used twice, even once everything is acknowledged.
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS outbox_meta (stream INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  body BLOB NOT NULL,
  keep INTEGER NOT NULL,  -- Keep::Kind
  shrunk BLOB             -- kShrunk: what to keep instead
);
)";

int64_t Size(sqlite3_stmt* s, int body, int shrunk) {
  return sqlite3_column_int64(s, body) + sqlite3_column_int64(s, shrunk);
}
}  // namespace

Result<std::unique_ptr<Outbox>> Outbox::Open(const OutboxConfig& config) {
  auto db = router::OpenDatabase(config.path, kSchema);
  if (!db.ok()) return db.error();
  // A committed message survives the process dying (what this is for); a power cut may take
  // the last ones, in exchange for no fsync per alert.
  if (Status s = router::ExecSql(db->get(), "PRAGMA synchronous=NORMAL"); !s.ok()) return s.error();
  std::unique_ptr<Outbox> box(new Outbox(config, std::move(db.value())));
  if (Status s = box->Load(); !s.ok()) return Internal(config.path + ": " + s.message());
  return box;
}

Outbox::~Outbox() = default;

Status Outbox::Load() {
  sqlite3* db = db_.get();
  auto prepare = [&](router::StmtPtr& out, const char* sql) -> Status {
    auto s = router::PrepareSql(db, sql);
    if (!s.ok()) return s.error();
    out = std::move(s.value());
    return Status::Ok();
  };
  for (auto [stmt, sql] : {
           std::pair{&insert_, "INSERT INTO outbox (body, keep, shrunk) VALUES (?, ?, ?)"},
           std::pair{&read_, "SELECT seq, body FROM outbox WHERE seq >= ? ORDER BY seq LIMIT ?"},
           std::pair{&erase_upto_, "DELETE FROM outbox WHERE seq <= ?"},
           std::pair{&erase_one_, "DELETE FROM outbox WHERE seq = ?"},
           std::pair{&shrink_, "UPDATE outbox SET body = shrunk, shrunk = NULL, keep = 0 WHERE seq = ?"},
           std::pair{&oldest_, "SELECT MIN(seq) FROM outbox"},
           std::pair{&before_, "SELECT IFNULL(MAX(seq), 0) FROM outbox WHERE seq < ?"},
           std::pair{&count_upto_,
                     "SELECT COUNT(*), IFNULL(SUM(length(body) + IFNULL(length(shrunk), 0)), 0) FROM outbox "
                     "WHERE seq <= ?"},
       }) {
    if (Status s = prepare(*stmt, sql); !s.ok()) return s;
  }
  router::StmtPtr q;
  if (Status s = prepare(q, "SELECT stream FROM outbox_meta"); !s.ok()) return s;
  if (sqlite3_step(q.get()) == SQLITE_ROW) {
    stream_ = uint64_t(sqlite3_column_int64(q.get(), 0));
  } else {
    std::random_device rd;
    stream_ = ((uint64_t(rd()) << 32) | rd()) & 0x7FFFFFFFFFFFFFFF;  // fits SQLite's INTEGER
    if (!stream_) stream_ = 1;
    const std::string sql = "INSERT INTO outbox_meta VALUES (" + std::to_string(stream_) + ")";
    if (Status s = router::ExecSql(db, sql.c_str()); !s.ok()) return s;
  }
  const auto [kept, bytes] = CountUpTo(UINT64_MAX >> 1);
  stats_.kept = kept;
  stats_.kept_bytes = bytes;
  shown_ = stats_;
  if (Status s = prepare(q, "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'"); !s.ok()) return s;
  if (sqlite3_step(q.get()) == SQLITE_ROW) next_ = uint64_t(sqlite3_column_int64(q.get(), 0)) + 1;
  return Status::Ok();
}

Result<uint64_t> Outbox::Append(const std::string& message, const Keep& keep) {
  Locked lock(*this);
  sqlite3_stmt* s = insert_.get();
  sqlite3_reset(s);
  sqlite3_bind_blob(s, 1, message.data(), int(message.size()), SQLITE_STATIC);
  sqlite3_bind_int(s, 2, keep.kind);
  if (keep.kind == Keep::kShrunk) {
    sqlite3_bind_blob(s, 3, keep.shrunk.data(), int(keep.shrunk.size()), SQLITE_STATIC);
  } else {
    sqlite3_bind_null(s, 3);
  }
  const int rc = sqlite3_step(s);
  sqlite3_clear_bindings(s);
  if (rc != SQLITE_DONE) return Internal(config_.path + ": cannot keep a message: " + sqlite3_errmsg(db_.get()));
  const uint64_t seq = uint64_t(sqlite3_last_insert_rowid(db_.get()));
  next_ = seq + 1;
  ++stats_.kept;
  stats_.kept_bytes += int64_t(message.size() + (keep.kind == Keep::kShrunk ? keep.shrunk.size() : 0));
  MakeRoom();
  return seq;
}

void Outbox::MakeRoom() {
  // Each pass gives up one kind of thing, oldest first, until the kept bytes fit.
  static constexpr const char* kPasses[] = {
      "SELECT seq, length(body), 0 FROM outbox WHERE keep = 1 ORDER BY seq LIMIT 64",
      "SELECT seq, length(body), IFNULL(length(shrunk), 0) FROM outbox WHERE keep = 2 ORDER BY seq LIMIT 64",
      "SELECT seq, length(body), IFNULL(length(shrunk), 0) FROM outbox ORDER BY seq LIMIT 64",
  };
  for (int pass = 0; pass < 3 && stats_.kept_bytes > config_.max_bytes; ++pass) {
    for (;;) {
      auto q = router::PrepareSql(db_.get(), kPasses[pass]);
      if (!q.ok()) return;
      std::vector<std::pair<uint64_t, int64_t>> rows;
      while (sqlite3_step(q->get()) == SQLITE_ROW) {
        rows.emplace_back(uint64_t(sqlite3_column_int64(q->get(), 0)), Size(q->get(), 1, 2));
      }
      if (rows.empty()) break;
      for (auto [seq, size] : rows) {
        if (stats_.kept_bytes <= config_.max_bytes) return;
        if (pass == 0) {
          sqlite3_reset(shrink_.get());
          sqlite3_bind_int64(shrink_.get(), 1, int64_t(seq));
          if (sqlite3_step(shrink_.get()) != SQLITE_DONE) return;
          stats_.kept_bytes -= size;  // the body goes; the shrunk form (counted already) stays
          ++stats_.shrunk;
        } else {
          Delete(seq);
          stats_.kept_bytes -= size;
          --stats_.kept;
          ++(pass == 1 ? stats_.dropped : stats_.lost);
        }
      }
    }
  }
}

void Outbox::Delete(uint64_t seq) {
  sqlite3_reset(erase_one_.get());
  sqlite3_bind_int64(erase_one_.get(), 1, int64_t(seq));
  sqlite3_step(erase_one_.get());
}

std::vector<Outbox::Message> Outbox::Due(int64_t now_ms) {
  Locked lock(*this);
  std::vector<Message> out;
  if (!stats_.kept) {
    next_send_ = next_;
    return out;
  }
  sqlite3_reset(oldest_.get());
  if (sqlite3_step(oldest_.get()) != SQLITE_ROW) return out;
  const uint64_t first = uint64_t(sqlite3_column_int64(oldest_.get(), 0));
  first_kept_ = first;
  if (next_send_ < first) next_send_ = first;
  if (next_send_ > first && now_ms - last_progress_ms_ >= config_.resend_after_ms) {
    next_send_ = first;  // silence: the receiver may have lost what is outstanding
    ++stats_.resends;
    last_progress_ms_ = now_ms;
  }
  const uint64_t outstanding = next_send_ - first;
  if (outstanding >= config_.window) return out;
  sqlite3_stmt* r = read_.get();
  sqlite3_reset(r);
  sqlite3_bind_int64(r, 1, int64_t(next_send_));
  sqlite3_bind_int64(r, 2, int64_t(config_.window - outstanding));
  while (sqlite3_step(r) == SQLITE_ROW) {
    const auto* data = static_cast<const char*>(sqlite3_column_blob(r, 1));
    out.push_back({uint64_t(sqlite3_column_int64(r, 0)), 0, std::string(data, size_t(sqlite3_column_bytes(r, 1)))});
  }
  if (out.empty()) return out;
  sqlite3_reset(before_.get());
  sqlite3_bind_int64(before_.get(), 1, int64_t(out.front().seq));
  if (sqlite3_step(before_.get()) == SQLITE_ROW) out.front().after = uint64_t(sqlite3_column_int64(before_.get(), 0));
  for (size_t i = 1; i < out.size(); ++i) out[i].after = out[i - 1].seq;
  return out;
}

void Outbox::MarkSent(uint64_t seq, int64_t now_ms) {
  Locked lock(*this);
  // Nothing was outstanding (first_kept_: from the Due that returned `seq`): the wait for an
  // acknowledgement starts now.
  if (next_send_ <= first_kept_) last_progress_ms_ = now_ms;
  if (seq >= next_send_) next_send_ = seq + 1;
}

void Outbox::OnAck(uint64_t stream, uint64_t seq, int64_t now_ms) {
  Locked lock(*this);
  if (stream != stream_) return;
  const auto [n, bytes] = CountUpTo(seq);
  if (!n) return;
  sqlite3_reset(erase_upto_.get());
  sqlite3_bind_int64(erase_upto_.get(), 1, int64_t(seq));
  if (sqlite3_step(erase_upto_.get()) != SQLITE_DONE) return;
  stats_.kept -= n;
  stats_.kept_bytes -= bytes;
  stats_.acked += n;
  last_progress_ms_ = now_ms;
}

std::pair<uint64_t, int64_t> Outbox::CountUpTo(uint64_t seq) {
  sqlite3_stmt* q = count_upto_.get();
  sqlite3_reset(q);
  sqlite3_bind_int64(q, 1, int64_t(seq));
  if (sqlite3_step(q) != SQLITE_ROW) return {0, 0};
  return {uint64_t(sqlite3_column_int64(q, 0)), sqlite3_column_int64(q, 1)};
}

OutboxStats Outbox::stats() const {
  std::lock_guard<std::mutex> lock(shown_mu_);
  return shown_;
}

}  // namespace xl::delivery
