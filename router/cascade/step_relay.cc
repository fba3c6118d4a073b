#include "router/cascade/step_relay.h"

#include <algorithm>

namespace xl::router {

namespace {
constexpr int kRunSteps = 64;
constexpr size_t kMaxUid = 64;

// `path` seen from below child `child`: "东街镇/东村" → "东村", "东街镇" → "".
std::string Below(const std::string& path, const std::string& child) {
  return path.size() > child.size() ? path.substr(child.size() + 1) : "";
}
}  // namespace

StepSender::StepSender(AlertDesk& desk, std::string link, std::string own_site, int64_t resend_ms)
    : desk_(desk),
      link_(std::move(link)),
      child_(link_.starts_with("child:") ? link_.substr(6) : ""),
      own_site_(std::move(own_site)),
      resend_ms_(resend_ms) {}

void StepSender::OnMark(uint64_t stream, uint64_t seq, uint64_t own_stream) {
  if (stream != own_stream) seq = 0;  // the peer has nothing of this log
  if (!known_ || seq < acked_) {
    // The first mark since the link came, or the peer has less than it said (its database is
    // new): from its mark.
    scanned_ = seq;
    sent_ = 0;
  }
  known_ = true;
  acked_ = seq;
  if (sent_ && seq >= sent_) sent_ = 0;
}

std::optional<wire::HandlingSteps> StepSender::Due(uint64_t own_stream, int64_t now_ms) {
  if (!known_) return std::nullopt;
  if (sent_) {
    if (now_ms - sent_ms_ < resend_ms_) return std::nullopt;  // in flight
    sent_ = 0;  // not acknowledged in time: lost with a connection; again from the mark
    scanned_ = acked_;
    ++resends_;
  }
  const uint64_t from = std::max(acked_, scanned_);
  if (desk_.head() <= from) return std::nullopt;
  auto rows = desk_.ReadFor(link_, from, kRunSteps);
  if (!rows.ok()) return std::nullopt;  // tried again next turn
  if (rows->empty()) {
    scanned_ = desk_.head();
    return std::nullopt;
  }
  wire::HandlingSteps run;
  run.set_stream(own_stream);
  run.set_after(acked_);
  for (const LoggedStep& s : *rows) {
    wire::HandlingStep* w = run.add_steps();
    w->set_seq(s.seq);
    w->set_uid(s.uid);
    w->set_alert_id(s.alert.id);
    w->set_camera_id(s.alert.camera_id);
    w->set_region(s.alert.region);
    // Sites as the receiver sees them: a child sees the alert from below itself and a step
    // taken here at this router's name; the parent adds this router's name itself.
    w->set_alert_site(child_.empty() ? s.alert.site : Below(s.alert.site, child_));
    w->set_site(!child_.empty() && s.step.site.empty() ? own_site_ : s.step.site);
    w->set_step(s.step.step);
    w->set_user(s.step.user);
    w->set_unit(s.step.unit);
    w->set_note(s.step.note);
    w->set_at_ms(s.step.at_ms);
  }
  sent_ = scanned_ = rows->back().seq;
  sent_ms_ = now_ms;
  return run;
}

wire::DeliveryAck AckOf(const delivery::Mark& mark) {
  wire::DeliveryAck ack;
  ack.set_stream(mark.stream);
  ack.set_seq(mark.seq);
  return ack;
}

Result<TakenSteps> TakeSteps(AlertDesk& desk, const std::string& link, const delivery::Mark& mark,
                             const wire::HandlingSteps& run, const AdoptStep& adopt) {
  TakenSteps out;
  out.mark = mark;
  if (out.mark.stream != run.stream()) out.mark = {run.stream(), 0};  // a log new here
  if (run.after() > out.mark.seq) return out;  // a run before it was lost: the sender goes back to the mark
  std::vector<LoggedStep> keep;
  uint64_t last = out.mark.seq;
  for (const wire::HandlingStep& w : run.steps()) {
    if (w.seq() <= last) continue;  // had it already, or out of order
    last = w.seq();
    LoggedStep s;
    s.uid = w.uid();
    s.alert = {w.alert_id(), w.camera_id(), w.region(), w.alert_site()};
    s.step = {w.step(), w.user(), w.unit(), w.note(), w.at_ms(), w.site()};
    std::string why = AlertDesk::Invalid(s.step);
    if (why.empty() && (s.uid.empty() || s.uid.size() > kMaxUid)) why = "a step without a proper uid";
    if (why.empty() && s.alert.id.empty()) why = "a step without its alert";
    if (why.empty() && !adopt(s, &why) && why.empty()) why = "refused";
    if (!why.empty()) {
      if (out.refused++ == 0) out.why = "step " + w.step() + " on alert " + w.alert_id() + ": " + why;
      continue;
    }
    keep.push_back(std::move(s));
  }
  if (last == out.mark.seq) return out;
  auto fresh = desk.Receive(link, {run.stream(), last}, std::move(keep));
  if (!fresh.ok()) return fresh.error();
  out.mark.seq = last;
  out.fresh = std::move(*fresh);
  return out;
}

}  // namespace xl::router
