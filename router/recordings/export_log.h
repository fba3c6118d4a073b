// Evidence exports and their audit log. An export is a time range of one camera's recording
// as one MP4 file with a JSON manifest beside it (camera, range, source segments, the file's
// SHA-256, the exporting user and time), kept in the exports folder:
//
//   <dir>/<export id>.mp4
//   <dir>/<export id>.json
//
// Every export is a row of the `exports` table in the router's database (the audit log);
// rows are never changed or deleted. Files are written off the loop thread (Write), rows on
// it (Record). Not thread-safe otherwise.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/sqlite_util.h"
#include "common/status.h"

namespace xl::router {

struct ExportRecord {
  std::string id;  // "E<yyyymmdd-HHMMSS>-<6 hex>", also the files' name
  std::string camera, region, user;
  int64_t from_ms = 0, to_ms = 0;  // as asked
  int64_t at_ms = 0;               // when it was made (wall clock)
  int64_t bytes = 0;
  std::string sha256;     // of the MP4, lower-case hex
  std::string worker;     // where the recording came from
  int64_t starts_ms = 0;  // the file's first frame (the keyframe at or before from_ms); not in the audit log
};

class ExportLog {
 public:
  // Opens the audit table in the database at `db_path` and (creating) the folder `dir`.
  static Result<std::unique_ptr<ExportLog>> Open(const std::string& db_path, const std::string& dir);

  // A new export's ID, unique (time and random).
  static std::string NewId(int64_t now_ms);
  // Writes `mp4` and its manifest for `record` (its bytes and sha256 filled in here) into
  // `dir`: temporary files renamed into place, so a file present is whole. Self-contained
  // (no loop state): call off the loop. Returns the manifest written.
  static Result<nlohmann::json> Write(const std::string& dir, ExportRecord& record, const std::string& mp4,
                                      const nlohmann::json& sources);

  // Adds `record` to the audit log.
  Status Record(const ExportRecord& record);
  // The export `id`, or nullopt.
  std::optional<ExportRecord> Find(const std::string& id);
  // Up to `limit` newest exports.
  std::vector<ExportRecord> Newest(int limit);
  // Where export `id`'s file with `extension` ("mp4", "json") is.
  std::string PathOf(const std::string& id, const std::string& extension) const;
  const std::string& dir() const { return dir_; }

 private:
  ExportLog(SqlitePtr db, std::string dir) : db_(std::move(db)), dir_(std::move(dir)) {}
  SqlitePtr db_;
  std::string dir_;
};

}  // namespace xl::router
