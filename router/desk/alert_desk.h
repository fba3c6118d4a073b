// The closed handling loop of an alert event, stored step by step in the router's SQLite
// database (every step with its user, site, time and note; nothing is overwritten):
//
//   new ──ack──► acknowledged ──dispatch (unit)──► dispatched ──handle (note)──► handled ──close──► closed
//
// In a cascade (router/cascade/) an alert is handled at every level that has it: its steps
// travel both ways and every router keeps each step once (by its uid). An alert's state is
// its steps replayed in the order (time taken, uid): a step that does not follow the state
// reached before it (two centres acknowledged at once) is kept but not applied, so the same
// steps give the same state everywhere: the first acknowledgement wins, and its user is the
// event's first responder.
//
// The table is also this router's handling log: a step's `seq` (its row) orders what is sent
// over each link; each link's mark (how far this router has the peer's log) is kept beside it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/sqlite_util.h"
#include "common/status.h"
#include "proto/wire/delivery/inbox.h"

namespace xl::router {

struct HandlingStep {
  std::string step;  // "ack", "dispatch", "handle", "close"
  std::string user;
  std::string unit;  // dispatch: to whom
  std::string note;
  int64_t at_ms = 0;
  std::string site;     // where it was taken, seen from here: "" here, "东街镇/东村" below, a centre's name above
  bool applied = true;  // in a history: false when another step had already moved the state on
};

// The alert a step is about, as relaying the step needs it.
struct StepAlert {
  std::string id;
  std::string camera_id;
  std::string region;
  std::string site;  // where it was raised, seen from here ("" here)
};

// A step as this router keeps it.
struct LoggedStep {
  uint64_t seq = 0;  // its row: its place in this router's handling log
  std::string uid;   // the same at every router
  StepAlert alert;
  std::string link;  // the link it came by: "" taken here, "parent" or "child:<site>"
  HandlingStep step;
};

class AlertDesk {
 public:
  static Result<std::unique_ptr<AlertDesk>> Open(const std::string& path);

  // The state an event is in: "new", "acknowledged", "dispatched", "handled" or "closed".
  std::string StateOf(const std::string& alert_id);
  // The states of many events at once (one query per 500): alert id → state, for each id.
  std::map<std::string, std::string> StatesOf(const std::vector<std::string>& alert_ids);
  // Records `step` by `user`, taken here, when it follows the event's state (dispatch needs a
  // unit, handle a note); its time is made later than every step the event has. Returns the
  // state after it, or why not: kConflict when the step does not follow the event's state,
  // kInvalidArgument for a bad step or a missing unit or note, kInternal when the database fails.
  Result<std::string> Advance(const StepAlert& alert, const HandlingStep& step);
  // The event's steps in their order, each marked applied or not.
  std::vector<HandlingStep> History(const std::string& alert_id);
  // The state after `history` (in order), marking each step applied or not.
  static std::string Replay(std::vector<HandlingStep>& history);
  // Why `step` cannot be kept (an unknown step, a dispatch without a unit, a handling
  // without a note); "" when it can.
  static std::string Invalid(const HandlingStep& step);

  // Keeps `steps` that came by `link` (those kept already are skipped) and sets the link's
  // mark to `mark`, in one transaction. Returns the steps new here, with their seq.
  Result<std::vector<LoggedStep>> Receive(const std::string& link, const delivery::Mark& mark,
                                          std::vector<LoggedStep> steps);
  // How far this router has the handling log of the peer at `link` (zero when nothing yet).
  delivery::Mark MarkOf(const std::string& link);
  // Up to `n` steps after `seq` that go over `link`: to "parent" every step that did not come
  // from it; to "child:<site>" those on the child's alerts that did not come from it.
  Result<std::vector<LoggedStep>> ReadFor(const std::string& link, uint64_t seq, int n);
  // The newest seq in the handling log.
  uint64_t head() const { return head_; }

 private:
  explicit AlertDesk(SqlitePtr db) : db_(std::move(db)) {}
  SqlitePtr db_;
  uint64_t head_ = 0;
};

}  // namespace xl::router
