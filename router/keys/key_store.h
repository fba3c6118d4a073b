// The CURVE public keys the router lets in, in its SQLite database (table `peer_keys`).
//
// A key belongs to a worker (its name is the worker ID: only that key may speak as that
// worker, on the workers, control and media endpoints), to a desk user (a native client such
// as xl-console: it sees what that user sees in the desk, on the clients endpoint) or to a
// child router (its name is the child's site name; on the children endpoint it may speak only
// for cameras and regions starting with its `prefix`). A key is in the table or not: removing it refuses its next
// handshake and every further message on connections it already has. Thread: the router's one loop thread only
// (router/router.h); not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/sqlite_util.h"
#include "common/status.h"

namespace xl::router {

enum class PeerKind { kWorker, kUser, kChild };

struct PeerKey {
  std::string public_key;  // Z85, 40 characters
  PeerKind kind = PeerKind::kWorker;
  std::string name;  // the worker ID, the desk user name or the child's site name
  int64_t added_ms = 0;
  std::string prefix;  // kChild: the region prefix it speaks for (digits); else ""
  // kChild: its link's live budget — live video streams this router asks of the child while
  // they fit in it (router/cascade/child_links.h); else 0.
  int64_t live_kbps = 0;
};

// A child link's live budget unless given: four typical 2 Mbit/s streams.
constexpr int64_t kDefaultLiveKbps = 8000;
constexpr int64_t kMaxLiveKbps = 100'000'000;

const char* PeerKindName(PeerKind kind);  // "worker", "user", "child"
// The kind named `name`; nullopt for none.
std::optional<PeerKind> PeerKindNamed(const std::string& name);

class KeyStore {
 public:
  static Result<std::unique_ptr<KeyStore>> Open(const std::string& path);

  // Registers `key`. Error for a key that is not Z85, an empty or overlong name, a child key
  // without a prefix of 2 to 20 digits (or another key with one), or a key already registered
  // (kAlreadyExists). A child key's live_kbps 0 stores kDefaultLiveKbps; past kMaxLiveKbps, or
  // set on another kind, is an error.
  Status Add(const PeerKey& key);
  // A child key's new live budget, 1 to kMaxLiveKbps (kNotFound for no such child key).
  Status SetLiveKbps(const std::string& public_key, int64_t kbps);
  // Removes the key (kNotFound when it is not registered).
  Status Remove(const std::string& public_key);
  std::vector<PeerKey> List();
  // The registered key, read from the database (another process, such as `xl key add`
  // through the API of an earlier run, may have added it).
  std::optional<PeerKey> Lookup(const std::string& public_key);
  // The key as last looked up or added in this process: the per-message check, which must
  // not touch the disk. nullptr when unknown or removed.
  const PeerKey* Cached(const std::string& public_key) const;

 private:
  explicit KeyStore(SqlitePtr db) : db_(std::move(db)) {}
  SqlitePtr db_;
  std::map<std::string, PeerKey> cache_;
};

}  // namespace xl::router
