// The monitoring-room desk's users and their sessions, in the router's SQLite database.
// Passwords are kept only as libsodium crypto_pwhash_str hashes (Argon2id), and as the RTSP
// digest's HA1 (MD5 of name:realm:password — what RTSP digest needs; it opens only RTSP); sessions are
// random 256-bit tokens, stored only as their hashes, that lapse after 12 hours without use
// and, whatever their use, after the absolute lifetime (default 12 h: a duty shift).
//
// Roles: operator (watches, handles alerts), commander (everything below its region), admin
// (users and cameras). Every user sees only cameras and alerts inside their `region`
// (a region code prefix; "" is the whole system).
// Thread: the router's one loop thread only (router/router.h); not thread-safe. The router
// is the only writer of its sessions and users (xl works through its API).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/sqlite_util.h"
#include "common/status.h"

namespace xl::router {

struct DeskUser {
  std::string name;
  std::string role;    // "operator", "commander" or "admin"
  std::string region;  // what the user sees: a region code prefix, "" for everything
  bool disabled = false;
};

// What a login checks against, read on the loop thread and checked off it.
struct Credentials {
  DeskUser user;
  std::string password_hash;  // Argon2id (crypto_pwhash_str)
  bool has_rtsp_digest = false;
};

// The realm of the RTSP re-serve's digest authentication (router/live/rtsp_out.h).
inline constexpr const char* kRtspRealm = "xueliang";

// A password's Argon2id hash, and the RTSP digest HA1 = MD5(name:realm:password). Slow (about
// 0.1 s, 64 MiB): call off the loop thread (common/off_loop.h). Thread-safe.
struct PasswordHashes {
  std::string argon2, rtsp_ha1;
  std::string error;  // non-empty when hashing failed (out of memory)
};
PasswordHashes HashPassword(const std::string& name, const std::string& password);
std::string RtspDigest(const std::string& name, const std::string& password);  // the HA1 alone; fast
// True when `password` matches `hash`; with `hash` empty (no such user) false after the same
// work, so timing does not tell names apart. Slow; thread-safe.
bool PasswordMatches(const std::string& hash, const std::string& password);
// Error when `password` is too weak to set (fewer than 8 characters).
Status CheckPasswordRule(const std::string& password);

// True when `user` may see a camera of `region` with `camera_id`.
bool Sees(const DeskUser& user, const std::string& region, const std::string& camera_id);

class UserStore {
 public:
  static Result<std::unique_ptr<UserStore>> Open(const std::string& path, int64_t session_max_ms = 12LL * 3600 * 1000);

  // Error for a taken or empty name, an unknown role or a region that is not a region code.
  Status ValidateNew(const DeskUser& user);
  // Adds a user with the hashes of their password (HashPassword). Errors as ValidateNew.
  Status Add(const DeskUser& user, const PasswordHashes& hashes);
  // Add with the password hashed here, on the calling thread (set-up and tests).
  Status Add(const DeskUser& user, const std::string& password);
  // A user who may act: exists and is not disabled.
  std::optional<DeskUser> Find(const std::string& name);
  // Any user, disabled or not.
  std::optional<DeskUser> Get(const std::string& name);
  // The user's hash for a login check; nullopt for no such user (disabled users included:
  // the caller refuses them after the check, so timing does not tell them apart).
  std::optional<Credentials> CredentialsOf(const std::string& name);
  std::vector<DeskUser> List();  // all, disabled ones included
  size_t size();

  // Changes a user. Every change that takes rights away (disabled, new password, role or
  // region changed, removed) ends the user's sessions: their open pages and sockets close.
  Status SetPassword(const std::string& name, const PasswordHashes& hashes);
  // Stores the RTSP digest learnt at a login, for users created before it was kept.
  Status SetRtspDigest(const std::string& name, const std::string& rtsp_ha1);
  Status SetDisabled(const std::string& name, bool disabled);
  Status SetRoleAndRegion(const std::string& name, const std::string& role, const std::string& region);
  Status Remove(const std::string& name);
  // (name, HA1, region) of every enabled user with an RTSP digest, for the RTSP re-serve.
  struct RtspLogin {
    std::string name, ha1, region;
  };
  std::vector<RtspLogin> RtspLogins();

  // A new session for `name`; its token for the cookie.
  Result<std::string> StartSession(const std::string& name, int64_t now_ms);
  // The session's user while the session lives: 12 h after its last use (stored at most
  // once a minute) and no longer than the absolute lifetime after it started.
  std::optional<DeskUser> SessionUser(const std::string& token, int64_t now_ms);
  void EndSession(const std::string& token);
  void EndSessionsOf(const std::string& name);

 private:
  UserStore(SqlitePtr db, int64_t session_max_ms) : db_(std::move(db)), session_max_ms_(session_max_ms) {}
  // Runs one UPDATE/DELETE on user `name`; NotFound when no row changed.
  Status ChangeUser(const char* sql, const std::string& name, const std::vector<std::string>& values);
  SqlitePtr db_;
  int64_t session_max_ms_;
  // Sessions read since they were last changed, by token hash: every request and every open
  // socket's twice-a-second check asks, so only the first asks SQLite. Every write to a
  // session or its user (end, new password, disabled, moved, removed) drops its entries.
  struct CachedSession {
    DeskUser user;
    int64_t last_ms, created_ms;
  };
  static constexpr size_t kMaxCachedSessions = 100000;
  std::unordered_map<std::string, CachedSession> sessions_;
};

}  // namespace xl::router
