// The receiving end of acknowledged delivery (the sender is an Outbox): takes each sender's
// messages exactly once and in order, whatever was sent again. Per sender it knows the last
// message taken (a Mark); the owner stores the marks in the same transaction as what the
// messages carried, and acknowledges only after that commit:
//
//   for each message: Check → kNext: use it and Take it; otherwise skip it
//   commit what was used, with Pending() marks → Commit(), acknowledge Marks of the senders
//   commit failed → Discard() (nothing is acknowledged; the senders send again)
//
// Single-threaded. Bounded by the number of senders, which the owner authenticates.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace xl::delivery {

struct Mark {
  uint64_t stream = 0;  // the sender's outbox
  uint64_t seq = 0;     // the last message taken from it
};

class Inbox {
 public:
  enum class Verdict {
    kNext,       // the next message: use it, then Take it
    kDuplicate,  // had already: skip it (acknowledging again is right)
    kAhead,      // something before it is missing: skip it; the sender will send again
  };
  // What to do with message `seq` of `stream` from `source`, whose sender kept `after` before
  // it (Envelope.after). A new stream starts at its first kept message.
  Verdict Check(const std::string& source, uint64_t stream, uint64_t seq, uint64_t after) const;
  // Records message `seq` of `stream` (verdict kNext) as taken, not yet committed. Returns
  // how many messages before it its sender gave up (counted as lost).
  uint64_t Take(const std::string& source, uint64_t stream, uint64_t seq, uint64_t after);

  // Taken and not yet committed, by source.
  const std::map<std::string, Mark>& Pending() const { return pending_; }
  void Commit();
  void Discard() { pending_.clear(); }

  // Whether `source` has a mark, and how many sources have one.
  bool Known(const std::string& source) const { return committed_.count(source) || pending_.count(source); }
  size_t size() const { return committed_.size() + pending_.size(); }

  // The committed mark of `source` (zero when none).
  Mark Committed(const std::string& source) const;
  // Sets the committed marks (from storage, at start); nothing is pending.
  void Load(std::map<std::string, Mark> marks) {
    committed_ = std::move(marks);
    pending_.clear();
  }

 private:
  Mark Current(const std::string& source) const;  // pending, else committed

  std::map<std::string, Mark> committed_, pending_;
};

}  // namespace xl::delivery
