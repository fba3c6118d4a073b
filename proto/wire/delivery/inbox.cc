#include "proto/wire/delivery/inbox.h"

namespace xl::delivery {

Mark Inbox::Current(const std::string& source) const {
  if (auto it = pending_.find(source); it != pending_.end()) return it->second;
  return Committed(source);
}

Mark Inbox::Committed(const std::string& source) const {
  auto it = committed_.find(source);
  return it == committed_.end() ? Mark{} : it->second;
}

Inbox::Verdict Inbox::Check(const std::string& source, uint64_t stream, uint64_t seq, uint64_t after) const {
  const Mark m = Current(source);
  // A stream we have not seen (a new outbox) counts as having nothing of it yet.
  const uint64_t last = m.stream == stream ? m.seq : 0;
  if (seq <= last) return Verdict::kDuplicate;
  // Everything between `after` and `seq` is gone at the sender; if we have `after` (or all
  // before it), `seq` comes next.
  return after <= last ? Verdict::kNext : Verdict::kAhead;
}

uint64_t Inbox::Take(const std::string& source, uint64_t stream, uint64_t seq, uint64_t) {
  const Mark m = Current(source);
  const uint64_t last = m.stream == stream ? m.seq : 0;
  pending_[source] = {stream, seq};
  // A new stream starting past 1 gave up its first messages before we saw any.
  return seq > last + 1 ? seq - last - 1 : 0;
}

void Inbox::Commit() {
  for (auto& [source, mark] : pending_) committed_[source] = mark;
  pending_.clear();
}

}  // namespace xl::delivery
