// The monitoring-room desk's users and their sessions, in the router's SQLite database.
// Passwords are kept only as libsodium crypto_pwhash_str hashes (Argon2id); sessions are
// random 256-bit tokens that lapse after 12 hours without use.
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
  static Result<std::unique_ptr<UserStore>> Open(const std::string& path);

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
  // The session's user while the session lives: 12 h after its last use, which is stored
  // at most once a minute.
  std::optional<DeskUser> SessionUser(const std::string& token, int64_t now_ms);
  void EndSession(const std::string& token);

 private:
  explicit UserStore(SqlitePtr db) : db_(std::move(db)) {}
  SqlitePtr db_;
};

}  // namespace xl::router
