// The monitoring-room desk's users and their sessions, in the router's SQLite database.
// Passwords are kept only as libsodium crypto_pwhash_str hashes (Argon2id); sessions are
// random 256-bit tokens, stored only as their hashes, that lapse after 12 hours without use
// and, whatever their use, after the absolute lifetime (default 12 h: a duty shift).
//
// Roles: operator (watches, handles alerts), commander (everything below its region), admin
// (users and cameras). Every user sees only cameras and alerts inside their `region`
// (a region code prefix; "" is the whole system).
// Thread: the router's one loop thread only (router/router.h); not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/sqlite_util.h"
#include "common/status.h"

namespace xl::router {

struct DeskUser {
  std::string name;
  std::string role;    // "operator", "commander" or "admin"
  std::string region;  // what the user sees: a region code prefix, "" for everything
};

// True when `user` may see a camera of `region` with `camera_id`.
bool Sees(const DeskUser& user, const std::string& region, const std::string& camera_id);

class UserStore {
 public:
  static Result<std::unique_ptr<UserStore>> Open(const std::string& path, int64_t session_max_ms = 12LL * 3600 * 1000);

  // Adds a user. Error for a taken or empty name, an unknown role, a region that is not a
  // region code, or a password shorter than 8 characters.
  Status Add(const DeskUser& user, const std::string& password);
  // The user when `password` is theirs; nullopt otherwise.
  std::optional<DeskUser> Check(const std::string& name, const std::string& password);
  std::optional<DeskUser> Find(const std::string& name);
  std::vector<DeskUser> List();
  size_t size();

  // A new session for `name`; its token for the cookie.
  Result<std::string> StartSession(const std::string& name, int64_t now_ms);
  // The session's user while the session lives: 12 h after its last use (stored at most
  // once a minute) and no longer than the absolute lifetime after it started.
  std::optional<DeskUser> SessionUser(const std::string& token, int64_t now_ms);
  void EndSession(const std::string& token);

 private:
  UserStore(SqlitePtr db, int64_t session_max_ms) : db_(std::move(db)), session_max_ms_(session_max_ms) {}
  SqlitePtr db_;
  int64_t session_max_ms_;
};

}  // namespace xl::router
