// Handling steps over a link between routers (router/desk/alert_desk.h keeps them): each side
// sends the other its handling log, filtered for the link, and keeps what the other sent.
//
// Sending: one run at a time (up to 64 steps), again from the peer's mark when a run is not
// acknowledged in time; the peer keeps each step once (by uid), so sending again is safe.
// Receiving: a run that follows the link's mark is kept with the new mark in one transaction
// and acknowledged with it; one that does not (a run lost before it) is answered with the
// mark, and the sender goes back to it.
//
// Thread: the router's loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "router/desk/alert_desk.h"
#include "xueliang.pb.h"

namespace xl::router {

class StepSender {
 public:
  // Sends over `link` ("parent" or "child:<site>"); a step taken here goes to a child as
  // taken at `own_site` (this router's name).
  StepSender(AlertDesk& desk, std::string link, std::string own_site, int64_t resend_ms = 3000);

  // The peer has this router's steps up to `seq` of log `stream` (this router's log is
  // `own_stream`): sending goes on after it.
  void OnMark(uint64_t stream, uint64_t seq, uint64_t own_stream);
  // The link went down: nothing is sent until the peer tells its mark again.
  void Reset() { known_ = false; }
  // The run to send now, if one is due.
  std::optional<wire::HandlingSteps> Due(uint64_t own_stream, int64_t now_ms);

  uint64_t acked() const { return acked_; }
  uint64_t resends() const { return resends_; }

 private:
  AlertDesk& desk_;
  const std::string link_, child_, own_site_;  // child_: the child's site for a child link, else ""
  const int64_t resend_ms_;
  bool known_ = false;  // the peer told its mark since the link (re)started
  uint64_t acked_ = 0;  // the peer's mark
  uint64_t sent_ = 0;   // the last seq of the run in flight; 0: none
  int64_t sent_ms_ = 0;
  uint64_t scanned_ = 0;  // nothing for the peer after acked_ up to here
  uint64_t resends_ = 0;
};

// Makes a step of the peer one to keep here (sites seen from here); false, with why, when it
// is refused.
using AdoptStep = std::function<bool(LoggedStep& step, std::string* why)>;

struct TakenSteps {
  delivery::Mark mark;            // to acknowledge
  std::vector<LoggedStep> fresh;  // new here: the desks are told
  size_t refused = 0;
  std::string why;  // of the first refused
};
// Takes run `run` of the peer at `link`, whose mark here is `mark` (see above). Error when
// the database failed: nothing is acknowledged, the peer sends again.
Result<TakenSteps> TakeSteps(AlertDesk& desk, const std::string& link, const delivery::Mark& mark,
                             const wire::HandlingSteps& run, const AdoptStep& adopt);
// `mark` as it crosses a link.
wire::DeliveryAck AckOf(const delivery::Mark& mark);

}  // namespace xl::router
