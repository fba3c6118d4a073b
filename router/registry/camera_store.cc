#include "router/registry/camera_store.h"

#include <functional>

#include "common/clock.h"
#include "proto/gb28181/channel_url.h"

namespace xl::router {

namespace {
const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS registry(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  region TEXT NOT NULL,
  url TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  profile TEXT NOT NULL,
  worker TEXT NOT NULL DEFAULT '',
  updated_ms INTEGER NOT NULL,
  pinned TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS credentials(
  camera_id TEXT PRIMARY KEY REFERENCES registry(id) ON DELETE CASCADE,
  username TEXT NOT NULL,
  password TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seeds(
  worker TEXT PRIMARY KEY,
  digest TEXT NOT NULL);
)sql";

Status StepDone(sqlite3* db, sqlite3_stmt* s) {
  if (sqlite3_step(s) != SQLITE_DONE) return Internal(std::string("camera registry: ") + sqlite3_errmsg(db));
  return Status::Ok();
}
}  // namespace

Result<std::unique_ptr<CameraStore>> CameraStore::Open(const std::string& path) {
  auto db = OpenDatabase(path, kSchema);
  if (!db.ok()) return db.error();
  std::unique_ptr<CameraStore> store(new CameraStore(std::move(db.value())));
  if (Status s = store->Migrate(); !s.ok()) return Internal(path + ": " + s.message());
  if (Status s = store->Load(); !s.ok()) return Internal(path + ": " + s.message());
  return store;
}

// Databases written before a column existed get it.
Status CameraStore::Migrate() {
  return AddColumnIfMissing(db_.get(), "registry", "pinned", "TEXT NOT NULL DEFAULT ''");
}

Status CameraStore::Load() {
  auto cams = PrepareSql(db_.get(),
                         "SELECT r.id, r.name, r.region, r.url, r.enabled, r.profile, r.worker, "
                         "COALESCE(c.username, ''), COALESCE(c.password, ''), r.pinned "
                         "FROM registry r LEFT JOIN credentials c ON c.camera_id = r.id");
  if (!cams.ok()) return cams.error();
  while (sqlite3_step(cams->get()) == SQLITE_ROW) {
    sqlite3_stmt* s = cams->get();
    RegisteredCamera c;
    c.spec.set_id(ColumnText(s, 0));
    c.spec.set_name(ColumnText(s, 1));
    c.spec.set_region(ColumnText(s, 2));
    c.spec.set_url(ColumnText(s, 3));
    c.spec.set_enabled(sqlite3_column_int(s, 4) != 0);
    c.spec.set_profile(ColumnText(s, 5));
    c.worker = ColumnText(s, 6);
    c.spec.set_username(ColumnText(s, 7));
    c.spec.set_password(ColumnText(s, 8));
    c.spec.set_pinned_worker(ColumnText(s, 9));
    cameras_[c.spec.id()] = std::move(c);
  }
  auto seeds = PrepareSql(db_.get(), "SELECT worker, digest FROM seeds");
  if (!seeds.ok()) return seeds.error();
  while (sqlite3_step(seeds->get()) == SQLITE_ROW) {
    seed_digests_[ColumnText(seeds->get(), 0)] = ColumnText(seeds->get(), 1);
  }
  return Status::Ok();
}

const RegisteredCamera* CameraStore::Find(const std::string& id) const {
  auto it = cameras_.find(id);
  return it == cameras_.end() ? nullptr : &it->second;
}

Status CameraStore::InTransaction(const std::function<Status()>& body) {
  if (Status s = ExecSql(db_.get(), "BEGIN IMMEDIATE"); !s.ok()) return Internal("camera registry: " + s.message());
  Status s = body();
  if (s.ok()) s = ExecSql(db_.get(), "COMMIT");
  if (!s.ok()) ExecSql(db_.get(), "ROLLBACK");
  return s;
}

Status CameraStore::Put(const std::vector<wire::CameraSpec>& specs) {
  auto put = PrepareSql(db_.get(),
                        "INSERT INTO registry(id, name, region, url, enabled, profile, updated_ms, pinned) "
                        "VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET name=excluded.name, "
                        "region=excluded.region, url=excluded.url, enabled=excluded.enabled, "
                        "profile=excluded.profile, updated_ms=excluded.updated_ms, pinned=excluded.pinned");
  auto cred = PrepareSql(db_.get(), "INSERT OR REPLACE INTO credentials(camera_id, username, password) VALUES(?,?,?)");
  auto nocred = PrepareSql(db_.get(), "DELETE FROM credentials WHERE camera_id = ?");
  if (!put.ok()) return put.error();
  if (!cred.ok()) return cred.error();
  if (!nocred.ok()) return nocred.error();
  const int64_t now = NowMs();
  // The pin comes from where a device registered, not from whoever edits the camera: an
  // unpinned replacement for the same GB28181 device keeps it.
  std::vector<wire::CameraSpec> kept = specs;
  for (wire::CameraSpec& spec : kept) {
    const RegisteredCamera* old = Find(spec.id());
    if (!old || !spec.pinned_worker().empty()) continue;
    const auto before = gb28181::ParseGbUrl(old->spec.url()), after = gb28181::ParseGbUrl(spec.url());
    if (before && after && before->device_id == after->device_id) spec.set_pinned_worker(old->spec.pinned_worker());
  }
  Status s = InTransaction([&]() -> Status {
    for (const wire::CameraSpec& spec : kept) {
      sqlite3_stmt* p = put->get();
      sqlite3_reset(p);
      BindText(p, 1, spec.id());
      BindText(p, 2, spec.name());
      BindText(p, 3, spec.region());
      BindText(p, 4, spec.url());
      sqlite3_bind_int(p, 5, spec.enabled() ? 1 : 0);
      BindText(p, 6, spec.profile());
      sqlite3_bind_int64(p, 7, now);
      BindText(p, 8, spec.pinned_worker());
      if (Status st = StepDone(db_.get(), p); !st.ok()) return st;
      sqlite3_stmt* c = spec.username().empty() && spec.password().empty() ? nocred->get() : cred->get();
      sqlite3_reset(c);
      BindText(c, 1, spec.id());
      if (c == cred->get()) {
        BindText(c, 2, spec.username());
        BindText(c, 3, spec.password());
      }
      if (Status st = StepDone(db_.get(), c); !st.ok()) return st;
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  for (const wire::CameraSpec& spec : kept) cameras_[spec.id()].spec = spec;
  return Status::Ok();
}

Result<bool> CameraStore::Remove(const std::string& id) {
  if (!cameras_.count(id)) return false;
  auto del = PrepareSql(db_.get(), "DELETE FROM registry WHERE id = ?");
  if (!del.ok()) return del.error();
  BindText(del->get(), 1, id);
  if (Status s = StepDone(db_.get(), del->get()); !s.ok()) return s.error();
  cameras_.erase(id);
  return true;
}

Status CameraStore::Assign(const std::vector<std::pair<std::string, std::string>>& assignments) {
  if (assignments.empty()) return Status::Ok();
  auto set = PrepareSql(db_.get(), "UPDATE registry SET worker = ? WHERE id = ?");
  if (!set.ok()) return set.error();
  Status s = InTransaction([&]() -> Status {
    for (const auto& [id, worker] : assignments) {
      sqlite3_reset(set->get());
      BindText(set->get(), 1, worker);
      BindText(set->get(), 2, id);
      if (Status st = StepDone(db_.get(), set->get()); !st.ok()) return st;
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  for (const auto& [id, worker] : assignments) {
    if (auto it = cameras_.find(id); it != cameras_.end()) it->second.worker = worker;
  }
  return Status::Ok();
}

std::string CameraStore::SeedDigest(const std::string& worker) const {
  auto it = seed_digests_.find(worker);
  return it == seed_digests_.end() ? "" : it->second;
}

Status CameraStore::SetSeedDigest(const std::string& worker, const std::string& digest) {
  auto set = PrepareSql(db_.get(), "INSERT OR REPLACE INTO seeds(worker, digest) VALUES(?,?)");
  if (!set.ok()) return set.error();
  BindText(set->get(), 1, worker);
  BindText(set->get(), 2, digest);
  if (Status s = StepDone(db_.get(), set->get()); !s.ok()) return s;
  seed_digests_[worker] = digest;
  return Status::Ok();
}

}  // namespace xl::router
