#include "router/desk/user_store.h"

#include <glib.h>
#include <sodium.h>

#include "proto/camera/camera_id.h"

namespace xl::router {

namespace {
const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS users(
  name TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  region TEXT NOT NULL);
DROP TABLE IF EXISTS sessions;
CREATE TABLE IF NOT EXISTS desk_sessions(
  token_hash TEXT PRIMARY KEY,
  user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
  created_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL);
)sql";
constexpr int64_t kSessionIdleMs = 12LL * 3600 * 1000;

// What the database keeps of a session token: its BLAKE2b hash, so a copy of the database
// logs nobody in.
std::string HashToken(const std::string& token) {
  unsigned char hash[32];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr, 0);
  char hex[sizeof hash * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return hex;
}
constexpr int64_t kSessionTouchMs = 60 * 1000;  // how often a session's last use is written

// Columns added since the table was first made, for databases made before them.
Status Migrate(sqlite3* db) {
  if (Status s = AddColumnIfMissing(db, "users", "disabled", "INTEGER NOT NULL DEFAULT 0"); !s.ok()) return s;
  return AddColumnIfMissing(db, "users", "rtsp_ha1", "TEXT NOT NULL DEFAULT ''");
}

constexpr const char* kUserColumns = "name, role, region, disabled";
DeskUser UserAt(sqlite3_stmt* s, int first) {
  return {ColumnText(s, first), ColumnText(s, first + 1), ColumnText(s, first + 2),
          sqlite3_column_int(s, first + 3) != 0};
}

std::string Md5Hex(const std::string& text) {
  gchar* hex = g_compute_checksum_for_string(G_CHECKSUM_MD5, text.data(), gssize(text.size()));
  std::string out = hex ? hex : "";
  g_free(hex);
  return out;
}
}  // namespace

PasswordHashes HashPassword(const std::string& name, const std::string& password) {
  PasswordHashes out;
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    out.error = "out of memory hashing the password";
    return out;
  }
  out.argon2 = hash;
  out.rtsp_ha1 = RtspDigest(name, password);
  return out;
}

std::string RtspDigest(const std::string& name, const std::string& password) {
  return Md5Hex(name + ":" + kRtspRealm + ":" + password);
}

bool PasswordMatches(const std::string& hash, const std::string& password) {
  if (hash.empty()) {
    char dummy[crypto_pwhash_STRBYTES];
    crypto_pwhash_str(dummy, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                      crypto_pwhash_MEMLIMIT_INTERACTIVE);
    return false;
  }
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

Status CheckPasswordRule(const std::string& password) {
  if (password.size() < 8) return Error{"a password must have at least 8 characters"};
  return Status::Ok();
}

bool Sees(const DeskUser& user, const std::string& region, const std::string& camera_id) {
  return RegionMatches(user.region, region, camera_id);
}

Result<std::unique_ptr<UserStore>> UserStore::Open(const std::string& path, int64_t session_max_ms) {
  if (sodium_init() < 0) return Error{"libsodium cannot start"};
  auto db = OpenDatabase(path, kSchema);
  if (!db.ok()) return db.error();
  if (Status s = Migrate(db->get()); !s.ok()) return Error{"users: " + s.message()};
  return std::unique_ptr<UserStore>(new UserStore(std::move(db.value()), session_max_ms));
}

Status UserStore::ValidateNew(const DeskUser& user) {
  if (user.name.empty() || user.name.size() > 64) return Error{"a user name must be 1 to 64 characters"};
  if (user.name.find_first_of(":\"\\ \t\r\n") != std::string::npos) {
    return Error{"a user name may not contain spaces, quotes, backslashes or ':'"};  // RTSP digest
  }
  if (user.role != "operator" && user.role != "commander" && user.role != "admin") {
    return Error{"role must be operator, commander or admin (got '" + user.role + "')"};
  }
  if (!user.region.empty()) {
    if (Status s = ValidateRegionCode(user.region); !s.ok()) return s;
  }
  if (Get(user.name)) return Error{"user " + user.name + " already exists", ErrorCode::kAlreadyExists};
  return Status::Ok();
}

Status UserStore::Add(const DeskUser& user, const PasswordHashes& hashes) {
  if (Status s = ValidateNew(user); !s.ok()) return s;
  if (!hashes.error.empty()) return Error{hashes.error, ErrorCode::kInternal};
  auto put = PrepareSql(db_.get(),
                        "INSERT INTO users(name, password_hash, role, region, disabled, rtsp_ha1) VALUES(?,?,?,?,?,?)");
  if (!put.ok()) return put.error();
  BindText(put->get(), 1, user.name);
  BindText(put->get(), 2, hashes.argon2);
  BindText(put->get(), 3, user.role);
  BindText(put->get(), 4, user.region);
  sqlite3_bind_int(put->get(), 5, user.disabled ? 1 : 0);
  BindText(put->get(), 6, hashes.rtsp_ha1);
  if (sqlite3_step(put->get()) != SQLITE_DONE) return Error{std::string("users: ") + sqlite3_errmsg(db_.get())};
  return Status::Ok();
}

Status UserStore::Add(const DeskUser& user, const std::string& password) {
  if (Status s = CheckPasswordRule(password); !s.ok()) return s;
  if (Status s = ValidateNew(user); !s.ok()) return s;
  return Add(user, HashPassword(user.name, password));
}

std::optional<DeskUser> UserStore::Get(const std::string& name) {
  auto q = PrepareSql(db_.get(), (std::string("SELECT ") + kUserColumns + " FROM users WHERE name = ?").c_str());
  if (!q.ok()) return std::nullopt;
  BindText(q->get(), 1, name);
  if (sqlite3_step(q->get()) != SQLITE_ROW) return std::nullopt;
  return UserAt(q->get(), 0);
}

std::optional<DeskUser> UserStore::Find(const std::string& name) {
  auto user = Get(name);
  if (!user || user->disabled) return std::nullopt;
  return user;
}

std::optional<Credentials> UserStore::CredentialsOf(const std::string& name) {
  auto q = PrepareSql(
      db_.get(),
      (std::string("SELECT password_hash, rtsp_ha1, ") + kUserColumns + " FROM users WHERE name = ?").c_str());
  if (!q.ok()) return std::nullopt;
  BindText(q->get(), 1, name);
  if (sqlite3_step(q->get()) != SQLITE_ROW) return std::nullopt;
  return Credentials{UserAt(q->get(), 2), ColumnText(q->get(), 0), !ColumnText(q->get(), 1).empty()};
}

std::vector<DeskUser> UserStore::List() {
  std::vector<DeskUser> out;
  auto q = PrepareSql(db_.get(), (std::string("SELECT ") + kUserColumns + " FROM users ORDER BY name").c_str());
  if (!q.ok()) return out;
  while (sqlite3_step(q->get()) == SQLITE_ROW) out.push_back(UserAt(q->get(), 0));
  return out;
}

Status UserStore::ChangeUser(const char* sql, const std::string& name, const std::vector<std::string>& values) {
  auto q = PrepareSql(db_.get(), sql);
  if (!q.ok()) return q.error();
  int i = 1;
  for (const std::string& v : values) BindText(q->get(), i++, v);
  BindText(q->get(), i, name);
  if (sqlite3_step(q->get()) != SQLITE_DONE) return Error{std::string("users: ") + sqlite3_errmsg(db_.get())};
  if (sqlite3_changes(db_.get()) == 0) return NotFound("no user " + name);
  return Status::Ok();
}

Status UserStore::SetPassword(const std::string& name, const PasswordHashes& hashes) {
  if (!hashes.error.empty()) return Error{hashes.error, ErrorCode::kInternal};
  Status s = ChangeUser("UPDATE users SET password_hash = ?, rtsp_ha1 = ? WHERE name = ?", name,
                        {hashes.argon2, hashes.rtsp_ha1});
  if (s.ok()) EndSessionsOf(name);
  return s;
}

Status UserStore::SetRtspDigest(const std::string& name, const std::string& rtsp_ha1) {
  return ChangeUser("UPDATE users SET rtsp_ha1 = ? WHERE name = ?", name, {rtsp_ha1});
}

Status UserStore::SetDisabled(const std::string& name, bool disabled) {
  Status s = ChangeUser("UPDATE users SET disabled = ? WHERE name = ?", name, {disabled ? "1" : "0"});
  if (s.ok() && disabled) EndSessionsOf(name);
  return s;
}

Status UserStore::SetRoleAndRegion(const std::string& name, const std::string& role, const std::string& region) {
  if (role != "operator" && role != "commander" && role != "admin") {
    return Error{"role must be operator, commander or admin (got '" + role + "')"};
  }
  if (!region.empty()) {
    if (Status s = ValidateRegionCode(region); !s.ok()) return s;
  }
  Status s = ChangeUser("UPDATE users SET role = ?, region = ? WHERE name = ?", name, {role, region});
  if (s.ok()) EndSessionsOf(name);
  return s;
}

Status UserStore::Remove(const std::string& name) {
  EndSessionsOf(name);
  return ChangeUser("DELETE FROM users WHERE name = ?", name, {});
}

std::vector<UserStore::RtspLogin> UserStore::RtspLogins() {
  std::vector<RtspLogin> out;
  auto q = PrepareSql(db_.get(), "SELECT name, rtsp_ha1, region FROM users WHERE disabled = 0 AND rtsp_ha1 != ''");
  if (!q.ok()) return out;
  while (sqlite3_step(q->get()) == SQLITE_ROW) {
    out.push_back({ColumnText(q->get(), 0), ColumnText(q->get(), 1), ColumnText(q->get(), 2)});
  }
  return out;
}

size_t UserStore::size() {
  auto q = PrepareSql(db_.get(), "SELECT COUNT(*) FROM users");
  return q.ok() && sqlite3_step(q->get()) == SQLITE_ROW ? size_t(sqlite3_column_int64(q->get(), 0)) : 0;
}

Result<std::string> UserStore::StartSession(const std::string& name, int64_t now_ms) {
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char hex[sizeof raw * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  auto put = PrepareSql(db_.get(), "INSERT INTO desk_sessions(token_hash, user, created_ms, last_ms) VALUES(?,?,?,?)");
  if (!put.ok()) return put.error();
  BindText(put->get(), 1, HashToken(hex));
  BindText(put->get(), 2, name);
  sqlite3_bind_int64(put->get(), 3, now_ms);
  sqlite3_bind_int64(put->get(), 4, now_ms);
  if (sqlite3_step(put->get()) != SQLITE_DONE) return Error{std::string("sessions: ") + sqlite3_errmsg(db_.get())};
  return std::string(hex);
}

std::optional<DeskUser> UserStore::SessionUser(const std::string& token, int64_t now_ms) {
  if (token.size() != 64) return std::nullopt;
  const std::string hash = HashToken(token);
  auto cached = sessions_.find(hash);
  if (cached == sessions_.end()) {
    auto q = PrepareSql(db_.get(),
                        "SELECT u.name, u.role, u.region, u.disabled, s.last_ms, s.created_ms FROM desk_sessions s "
                        "JOIN users u ON u.name = s.user WHERE s.token_hash = ? AND u.disabled = 0");
    if (!q.ok()) return std::nullopt;
    BindText(q->get(), 1, hash);
    if (sqlite3_step(q->get()) != SQLITE_ROW) return std::nullopt;
    if (sessions_.size() >= kMaxCachedSessions) sessions_.clear();
    cached = sessions_
                 .emplace(hash, CachedSession{UserAt(q->get(), 0), sqlite3_column_int64(q->get(), 4),
                                              sqlite3_column_int64(q->get(), 5)})
                 .first;
  }
  CachedSession& s = cached->second;
  // Idle too long, or older than a duty shift whatever its use: over.
  if (now_ms - s.last_ms > kSessionIdleMs || now_ms - s.created_ms > session_max_ms_) {
    EndSession(token);
    return std::nullopt;
  }
  // The idle clock moves in steps of a minute: a write (an fsync) per request would stall the
  // router when a page opens 16 tiles at once.
  if (now_ms - s.last_ms < kSessionTouchMs) return s.user;
  s.last_ms = now_ms;
  auto touch = PrepareSql(db_.get(), "UPDATE desk_sessions SET last_ms = ? WHERE token_hash = ?");
  if (touch.ok()) {
    sqlite3_bind_int64(touch->get(), 1, now_ms);
    BindText(touch->get(), 2, hash);
    sqlite3_step(touch->get());
  }
  return s.user;
}

void UserStore::EndSessionsOf(const std::string& name) {
  std::erase_if(sessions_, [&](const auto& entry) { return entry.second.user.name == name; });
  auto del = PrepareSql(db_.get(), "DELETE FROM desk_sessions WHERE user = ?");
  if (!del.ok()) return;
  BindText(del->get(), 1, name);
  sqlite3_step(del->get());
}

void UserStore::EndSession(const std::string& token) {
  sessions_.erase(HashToken(token));
  auto del = PrepareSql(db_.get(), "DELETE FROM desk_sessions WHERE token_hash = ?");
  if (!del.ok()) return;
  BindText(del->get(), 1, HashToken(token));
  sqlite3_step(del->get());
}

}  // namespace xl::router
