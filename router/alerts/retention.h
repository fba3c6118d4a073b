// Retention of the alert log: the router's disk does not fill over months. Whole events go,
// oldest first (by their latest message): every message of the event with its snapshots, its
// row in the desk's event list and its handling history (the `handling` table of
// router/desk/alert_desk.h) — never a part of an event without the rest. Handling steps of
// alerts that are not here (steps from another centre of the cascade) go by their own age.
//
// An event goes when its latest message was logged more than `max_age_days` ago, or, with a
// size budget, while the database's pages in use exceed `max_size_mb`. Deletion runs in small
// batches (Step), each its own short transaction, on the router's loop between messages.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/sqlite_util.h"
#include "common/status.h"

namespace xl::router {

struct RetentionPolicy {
  int max_age_days = 90;    // events older than this go (1–36500)
  int64_t max_size_mb = 0;  // 0: no size budget; otherwise the oldest events go while the log is larger
  int batch = 200;          // events per Step
};

class AlertRetention {
 public:
  // Opens its own connection to the router's database at `path` (the alert log and the desk
  // must have created their tables there already).
  static Result<std::unique_ptr<AlertRetention>> Open(const std::string& path, const RetentionPolicy& policy);

  struct Deleted {
    int64_t events = 0;
    int64_t messages = 0;
    bool more = false;  // a whole batch went: call again soon
  };
  // Deletes up to policy.batch events that are due at `now_ms` (wall clock), in one
  // transaction. A full disk is kResourceExhausted (deleting needs a little room for the
  // journal); nothing is deleted then.
  Result<Deleted> Step(int64_t now_ms);
  // Bytes of the database's pages in use (its file size less its free pages).
  int64_t UsedBytes();

 private:
  AlertRetention(SqlitePtr db, const RetentionPolicy& policy) : db_(std::move(db)), policy_(policy) {}
  SqlitePtr db_;
  RetentionPolicy policy_;
};

}  // namespace xl::router
