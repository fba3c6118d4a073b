#include "router/desk/user_store.h"

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

DeskUser UserAt(sqlite3_stmt* s, int first) {
  return {ColumnText(s, first), ColumnText(s, first + 1), ColumnText(s, first + 2)};
}
}  // namespace

bool Sees(const DeskUser& user, const std::string& region, const std::string& camera_id) {
  return RegionMatches(user.region, region, camera_id);
}

Result<std::unique_ptr<UserStore>> UserStore::Open(const std::string& path, int64_t session_max_ms) {
  if (sodium_init() < 0) return Error{"libsodium cannot start"};
  auto db = OpenDatabase(path, kSchema);
  if (!db.ok()) return db.error();
  return std::unique_ptr<UserStore>(new UserStore(std::move(db.value()), session_max_ms));
}

Status UserStore::Add(const DeskUser& user, const std::string& password) {
  if (user.name.empty() || user.name.size() > 64) return Error{"a user name must be 1 to 64 characters"};
  if (user.role != "operator" && user.role != "commander" && user.role != "admin") {
    return Error{"role must be operator, commander or admin (got '" + user.role + "')"};
  }
  if (!user.region.empty()) {
    if (Status s = ValidateRegionCode(user.region); !s.ok()) return s;
  }
  if (password.size() < 8) return Error{"a password must have at least 8 characters"};
  if (Find(user.name)) return Error{"user " + user.name + " already exists", ErrorCode::kAlreadyExists};
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return Error{"out of memory hashing the password"};
  }
  auto put = PrepareSql(db_.get(), "INSERT INTO users(name, password_hash, role, region) VALUES(?,?,?,?)");
  if (!put.ok()) return put.error();
  BindText(put->get(), 1, user.name);
  BindText(put->get(), 2, hash);
  BindText(put->get(), 3, user.role);
  BindText(put->get(), 4, user.region);
  if (sqlite3_step(put->get()) != SQLITE_DONE) return Error{std::string("users: ") + sqlite3_errmsg(db_.get())};
  return Status::Ok();
}

std::optional<DeskUser> UserStore::Check(const std::string& name, const std::string& password) {
  auto q = PrepareSql(db_.get(), "SELECT password_hash, name, role, region FROM users WHERE name = ?");
  if (!q.ok()) return std::nullopt;
  BindText(q->get(), 1, name);
  if (sqlite3_step(q->get()) != SQLITE_ROW) {
    // An unknown name costs a hash too, so timing does not tell names apart.
    char dummy[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(dummy, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
      return std::nullopt;  // out of memory: refused all the same
    }
    return std::nullopt;
  }
  const std::string hash = ColumnText(q->get(), 0);
  if (crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) != 0) return std::nullopt;
  return UserAt(q->get(), 1);
}

std::optional<DeskUser> UserStore::Find(const std::string& name) {
  auto q = PrepareSql(db_.get(), "SELECT name, role, region FROM users WHERE name = ?");
  if (!q.ok()) return std::nullopt;
  BindText(q->get(), 1, name);
  if (sqlite3_step(q->get()) != SQLITE_ROW) return std::nullopt;
  return UserAt(q->get(), 0);
}

std::vector<DeskUser> UserStore::List() {
  std::vector<DeskUser> out;
  auto q = PrepareSql(db_.get(), "SELECT name, role, region FROM users ORDER BY name");
  if (!q.ok()) return out;
  while (sqlite3_step(q->get()) == SQLITE_ROW) out.push_back(UserAt(q->get(), 0));
  return out;
}

size_t UserStore::size() { return List().size(); }

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
  auto q = PrepareSql(db_.get(),
                      "SELECT u.name, u.role, u.region, s.last_ms, s.created_ms FROM desk_sessions s "
                      "JOIN users u ON u.name = s.user WHERE s.token_hash = ?");
  if (!q.ok()) return std::nullopt;
  BindText(q->get(), 1, hash);
  if (sqlite3_step(q->get()) != SQLITE_ROW) return std::nullopt;
  // Idle too long, or older than a duty shift whatever its use: over.
  if (now_ms - sqlite3_column_int64(q->get(), 3) > kSessionIdleMs ||
      now_ms - sqlite3_column_int64(q->get(), 4) > session_max_ms_) {
    EndSession(token);
    return std::nullopt;
  }
  DeskUser user = UserAt(q->get(), 0);
  // The idle clock moves in steps of a minute: a write (an fsync) per request would stall the
  // router when a page opens 16 tiles at once.
  if (now_ms - sqlite3_column_int64(q->get(), 3) < kSessionTouchMs) return user;
  auto touch = PrepareSql(db_.get(), "UPDATE desk_sessions SET last_ms = ? WHERE token_hash = ?");
  if (touch.ok()) {
    sqlite3_bind_int64(touch->get(), 1, now_ms);
    BindText(touch->get(), 2, hash);
    sqlite3_step(touch->get());
  }
  return user;
}

void UserStore::EndSession(const std::string& token) {
  auto del = PrepareSql(db_.get(), "DELETE FROM desk_sessions WHERE token_hash = ?");
  if (!del.ok()) return;
  BindText(del->get(), 1, HashToken(token));
  sqlite3_step(del->get());
}

}  // namespace xl::router
