// The durable alert log (SQLite, WAL). Every alert gets the next sequence number of the log
// when it is written; clients resume by that number. Also keeps the last known state of
// every camera, so a restarted router knows its cameras before the workers report in.
// Thread: the router's one loop thread only (router/router.h); not thread-safe.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/wire/delivery/inbox.h"
#include "xueliang.pb.h"

namespace xl::router {

// One event (all messages sharing an alert id) as a list shows it.
struct EventSummary {
  std::string id;
  std::string camera_id;
  std::string region;
  std::string kind;  // "motion", "face", ...
  int64_t start_ms = 0;
  bool ended = false;  // its end message is logged
  uint64_t last_seq = 0;
};

class AlertLog {
 public:
  // Opens or creates the database at `path`.
  static Result<std::unique_ptr<AlertLog>> Open(const std::string& path);
  ~AlertLog();

  // Writes `alerts` and the senders' delivery `marks` in one transaction, durable on return
  // (synchronous=FULL); returns the alerts' sequence numbers, strictly increasing, in the
  // same order. On error nothing is written; a full disk is kResourceExhausted.
  //
  // An event the router ended (an END with an end_reason, e.g. "worker lost") is open again
  // when a message of it newer than that END arrives (its worker was only away): those
  // events' IDs are added to `reopened`. Older messages (sent again from a dead worker's
  // outbox) are logged and leave it ended.
  Result<std::vector<uint64_t>> Append(const std::vector<wire::Alert>& alerts,
                                       const std::map<std::string, delivery::Mark>& marks = {},
                                       std::vector<std::string>* reopened = nullptr);
  // The delivery marks of every sender, as last appended.
  Result<std::map<std::string, delivery::Mark>> LoadMarks();

  // Up to `limit` logged alerts with seq > `after`, in order.
  Result<std::vector<wire::LoggedAlert>> ReadAfter(uint64_t after, int limit);

  // The newest `limit` events by their latest message, newest first; with `before_seq`, only
  // events whose latest message is older than it (the next page).
  Result<std::vector<EventSummary>> RecentEvents(int limit, uint64_t before_seq = UINT64_MAX);
  // Up to `limit` events of `camera_id` that started in [from_ms, to_ms), oldest first.
  Result<std::vector<EventSummary>> EventsOf(const std::string& camera_id, int64_t from_ms, int64_t to_ms, int limit);
  // The latest message of every event of `camera_id` not ended yet.
  Result<std::vector<wire::Alert>> OpenEventsOf(const std::string& camera_id);
  // Every message of event `alert_id` in order; empty when there is no such event.
  Result<std::vector<wire::LoggedAlert>> EventMessages(const std::string& alert_id);

  // The highest sequence number written so far (0 for an empty log).
  uint64_t head() const { return head_; }
  // The log's identity: random, chosen when its database was made, never 0.
  uint64_t stream() const { return stream_; }

  Status SaveCamera(const wire::Camera& camera);
  Status ForgetCamera(const std::string& id);
  Result<std::vector<wire::Camera>> LoadCameras();

 private:
  explicit AlertLog(sqlite3* db) : db_(db) {}
  Status Exec(const char* sql);
  Status Prepare(const char* sql, sqlite3_stmt** stmt);
  // True when `a` (not an END) is newer than the router-made END that ended its event.
  bool EndedByRouterBefore(const wire::Alert& a);
  // Rows of (seq, snapshot, body) from `stmt` (already bound) as logged alerts.
  Result<std::vector<wire::LoggedAlert>> ReadRows(sqlite3_stmt* stmt);

  sqlite3* db_;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* read_ = nullptr;
  sqlite3_stmt* save_camera_ = nullptr;
  sqlite3_stmt* forget_camera_ = nullptr;
  sqlite3_stmt* save_mark_ = nullptr;
  sqlite3_stmt* ending_ = nullptr;  // the END that ended an ended event: (time_ms, body)
  sqlite3_stmt* reopen_ = nullptr;
  uint64_t head_ = 0;
  uint64_t stream_ = 0;
};

}  // namespace xl::router
