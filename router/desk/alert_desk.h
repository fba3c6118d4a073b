// The closed handling loop of an alert event, stored step by step in the router's SQLite
// database (every step with its user, time and note; nothing is overwritten):
//
//   new ──ack──► acknowledged ──dispatch (unit)──► dispatched ──handle (note)──► handled ──close──► closed
//
// The user who acknowledges is the event's first responder.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "common/sqlite_util.h"
#include "common/status.h"

namespace xl::router {

struct HandlingStep {
  std::string step;  // "ack", "dispatch", "handle", "close"
  std::string user;
  std::string unit;  // dispatch: to whom
  std::string note;
  int64_t at_ms = 0;
};

class AlertDesk {
 public:
  static Result<std::unique_ptr<AlertDesk>> Open(const std::string& path);

  // The state an event is in: "new", "acknowledged", "dispatched", "handled" or "closed".
  std::string StateOf(const std::string& alert_id);
  // The states of many events at once (one query per 500): alert id → state, for each id.
  std::map<std::string, std::string> StatesOf(const std::vector<std::string>& alert_ids);
  // Records `step` by `user` when it follows the event's state (dispatch needs a unit,
  // handle a note); returns the state after it, or why not: kConflict when the step does
  // not follow the event's state, kInvalidArgument for a bad step or a missing unit or note,
  // kInternal when the database fails.
  Result<std::string> Advance(const std::string& alert_id, const HandlingStep& step);
  std::vector<HandlingStep> History(const std::string& alert_id);
  // The state an event with `history` is in.
  static std::string StateAfter(const std::vector<HandlingStep>& history);

 private:
  explicit AlertDesk(SqlitePtr db) : db_(std::move(db)) {}
  SqlitePtr db_;
};

}  // namespace xl::router
