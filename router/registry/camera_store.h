// The camera registry: which cameras exist, how to reach them and which worker runs each.
// SQLite-backed (same file as the alert log); after a worker's YAML seeded it, this is the
// truth. Credentials are kept in their own table and leave the router only towards the
// worker that runs the camera. Every write is one transaction: all or nothing.
// Thread: the router's one loop thread only (router/router.h); not thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/sqlite_util.h"
#include "common/status.h"
#include "xueliang.pb.h"

namespace xl::router {

struct RegisteredCamera {
  wire::CameraSpec spec;  // with credentials
  std::string worker;     // assigned worker, empty when none
};

class CameraStore {
 public:
  static Result<std::unique_ptr<CameraStore>> Open(const std::string& path);

  const std::map<std::string, RegisteredCamera>& cameras() const { return cameras_; }
  // nullptr when unknown.
  const RegisteredCamera* Find(const std::string& id) const;

  // Adds or replaces `specs` (already validated); a replaced camera keeps its worker, and its
  // pinned worker when the replacement names none and reaches the same GB28181 device.
  Status Put(const std::vector<wire::CameraSpec>& specs);
  // Removes the camera; false when it was not there.
  Result<bool> Remove(const std::string& id);
  // Records (camera id, worker) assignments.
  Status Assign(const std::vector<std::pair<std::string, std::string>>& assignments);

  // The digest of the last seed applied from `worker`'s file ("" when none).
  std::string SeedDigest(const std::string& worker) const;
  Status SetSeedDigest(const std::string& worker, const std::string& digest);

 private:
  explicit CameraStore(SqlitePtr db) : db_(std::move(db)) {}
  Status Migrate();
  Status Load();
  Status InTransaction(const std::function<Status()>& body);

  SqlitePtr db_;
  std::map<std::string, RegisteredCamera> cameras_;
  std::map<std::string, std::string> seed_digests_;
};

}  // namespace xl::router
