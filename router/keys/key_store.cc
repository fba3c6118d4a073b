#include "router/keys/key_store.h"

#include "common/clock.h"
#include "proto/wire/curve.h"

namespace xl::router {

namespace {
const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS peer_keys(
  public_key TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  added_ms INTEGER NOT NULL);
)sql";
const char* kColumns = "public_key, kind, name, added_ms, prefix, live_kbps";

PeerKey KeyAt(sqlite3_stmt* s) {
  return {ColumnText(s, 0), PeerKindNamed(ColumnText(s, 1)).value_or(PeerKind::kWorker),
          ColumnText(s, 2), sqlite3_column_int64(s, 3),
          ColumnText(s, 4), sqlite3_column_int64(s, 5)};
}

bool IsRegionPrefix(const std::string& p) {
  return p.size() >= 2 && p.size() <= 20 && p.find_first_not_of("0123456789") == std::string::npos;
}
}  // namespace

const char* PeerKindName(PeerKind kind) {
  return kind == PeerKind::kUser ? "user" : kind == PeerKind::kChild ? "child" : "worker";
}

std::optional<PeerKind> PeerKindNamed(const std::string& name) {
  for (PeerKind k : {PeerKind::kWorker, PeerKind::kUser, PeerKind::kChild}) {
    if (name == PeerKindName(k)) return k;
  }
  return std::nullopt;
}

Result<std::unique_ptr<KeyStore>> KeyStore::Open(const std::string& path) {
  auto db = OpenDatabase(path, kSchema);
  if (!db.ok()) return db.error();
  // Child keys (router/cascade/) came later: a database made before has no prefix column.
  if (Status s = AddColumnIfMissing(db->get(), "peer_keys", "prefix", "TEXT NOT NULL DEFAULT ''"); !s.ok()) {
    return Error{"keys: " + s.message()};
  }
  // So did live budgets: a child registered before has the default.
  if (Status s = AddColumnIfMissing(db->get(), "peer_keys", "live_kbps", "INTEGER NOT NULL DEFAULT 0"); !s.ok()) {
    return Error{"keys: " + s.message()};
  }
  const std::string defaults = "UPDATE peer_keys SET live_kbps = " + std::to_string(kDefaultLiveKbps) +
                               " WHERE kind = 'child' AND live_kbps = 0";
  if (Status s = ExecSql(db->get(), defaults.c_str()); !s.ok()) {
    return Error{"keys: " + s.message()};
  }
  std::unique_ptr<KeyStore> store(new KeyStore(std::move(db.value())));
  for (PeerKey& k : store->List()) store->cache_[k.public_key] = k;
  return store;
}

Status KeyStore::Add(const PeerKey& key) {
  if (!IsCurveKey(key.public_key)) return Error{"a public key is 40 Z85 characters (as `xl key gen` prints it)"};
  if (key.name.empty() || key.name.size() > 64)
    return Error{"a key's worker, user or site name must be 1 to 64 characters"};
  if ((key.kind == PeerKind::kChild) != !key.prefix.empty() ||
      (key.kind == PeerKind::kChild && !IsRegionPrefix(key.prefix))) {
    return Error{"a child router's key needs the region prefix it speaks for (2 to 20 digits), and only it"};
  }
  if (key.live_kbps < 0 || key.live_kbps > kMaxLiveKbps || (key.kind != PeerKind::kChild && key.live_kbps != 0)) {
    return Error{"a live budget is for a child router's key only, 1 to " + std::to_string(kMaxLiveKbps) + " kbit/s"};
  }
  if (Lookup(key.public_key)) {
    return Error{"key " + key.public_key.substr(0, 8) + "… is already registered", ErrorCode::kAlreadyExists};
  }
  auto put = PrepareSql(
      db_.get(), "INSERT INTO peer_keys(public_key, kind, name, added_ms, prefix, live_kbps) VALUES(?,?,?,?,?,?)");
  if (!put.ok()) return put.error();
  PeerKey stored = key;
  if (stored.added_ms == 0) stored.added_ms = NowMs();
  if (stored.kind == PeerKind::kChild && stored.live_kbps == 0) stored.live_kbps = kDefaultLiveKbps;
  BindText(put->get(), 1, stored.public_key);
  BindText(put->get(), 2, PeerKindName(stored.kind));
  BindText(put->get(), 3, stored.name);
  sqlite3_bind_int64(put->get(), 4, stored.added_ms);
  BindText(put->get(), 5, stored.prefix);
  sqlite3_bind_int64(put->get(), 6, stored.live_kbps);
  if (sqlite3_step(put->get()) != SQLITE_DONE) return Internal(std::string("keys: ") + sqlite3_errmsg(db_.get()));
  cache_[stored.public_key] = stored;
  return Status();
}

Status KeyStore::SetLiveKbps(const std::string& public_key, int64_t kbps) {
  if (kbps < 1 || kbps > kMaxLiveKbps) {
    return Error{"a live budget is 1 to " + std::to_string(kMaxLiveKbps) + " kbit/s (got " + std::to_string(kbps) +
                 ")"};
  }
  auto set = PrepareSql(db_.get(), "UPDATE peer_keys SET live_kbps = ? WHERE public_key = ? AND kind = 'child'");
  if (!set.ok()) return set.error();
  sqlite3_bind_int64(set->get(), 1, kbps);
  BindText(set->get(), 2, public_key);
  if (sqlite3_step(set->get()) != SQLITE_DONE) return Internal(std::string("keys: ") + sqlite3_errmsg(db_.get()));
  if (sqlite3_changes(db_.get()) == 0) return NotFound("no child key " + public_key);
  Lookup(public_key);
  return Status();
}

Status KeyStore::Remove(const std::string& public_key) {
  auto del = PrepareSql(db_.get(), "DELETE FROM peer_keys WHERE public_key = ?");
  if (!del.ok()) return del.error();
  BindText(del->get(), 1, public_key);
  if (sqlite3_step(del->get()) != SQLITE_DONE) return Internal(std::string("keys: ") + sqlite3_errmsg(db_.get()));
  const bool known = cache_.erase(public_key) > 0;
  if (sqlite3_changes(db_.get()) == 0 && !known) return NotFound("no key " + public_key);
  return Status();
}

std::vector<PeerKey> KeyStore::List() {
  std::vector<PeerKey> keys;
  auto q = PrepareSql(db_.get(), (std::string("SELECT ") + kColumns + " FROM peer_keys ORDER BY kind, name").c_str());
  if (!q.ok()) return keys;
  while (sqlite3_step(q->get()) == SQLITE_ROW) keys.push_back(KeyAt(q->get()));
  return keys;
}

std::optional<PeerKey> KeyStore::Lookup(const std::string& public_key) {
  auto q = PrepareSql(db_.get(), (std::string("SELECT ") + kColumns + " FROM peer_keys WHERE public_key = ?").c_str());
  if (!q.ok()) return std::nullopt;
  BindText(q->get(), 1, public_key);
  if (sqlite3_step(q->get()) != SQLITE_ROW) {
    cache_.erase(public_key);
    return std::nullopt;
  }
  PeerKey key = KeyAt(q->get());
  cache_[public_key] = key;
  return key;
}

const PeerKey* KeyStore::Cached(const std::string& public_key) const {
  auto it = cache_.find(public_key);
  return it == cache_.end() ? nullptr : &it->second;
}

}  // namespace xl::router
