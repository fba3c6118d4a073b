// The sending end of acknowledged delivery: every message is kept on disk (SQLite, WAL) under
// the next sequence number of this outbox's stream until the receiver acknowledges it, and
// is sent again after the receiver has been silent for a while — so a sender or receiver
// killed at any moment loses nothing and, with the receiver's Inbox, delivers exactly once,
// in order. Used worker → router (alerts, camera states) and child router → parent router.
//
// Bounded: when the kept messages exceed `max_bytes`, the oldest messages first give up what
// they may lose (a snapshot: their `shrunk` form), then droppable messages (periodic reports)
// go, and only then the oldest messages whatever they are; everything given up is counted.
//
// Thread-safe: any thread may Append; one thread (the one owning the socket) calls Due,
// MarkSent and OnAck. stats() never waits for a write to the disk (a status report on a
// worker's main loop must not stall while an fsync takes seconds).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/sqlite_util.h"
#include "common/status.h"

namespace xl::delivery {

struct OutboxConfig {
  std::string path;                       // the SQLite file; created when missing
  int64_t max_bytes = int64_t(64) << 20;  // what the kept messages may take
  int64_t resend_after_ms = 3000;         // no acknowledgement for this long: send again from the oldest
  size_t window = 256;                    // at most this many messages sent and not acknowledged
};

// What may become of a message when space runs short.
struct Keep {
  enum Kind { kWhole, kShrunk, kDroppable };
  Kind kind = kWhole;
  std::string shrunk;  // kShrunk: the smaller form to keep instead
  static Keep Whole() { return {}; }
  static Keep Shrink(std::string smaller) { return {kShrunk, std::move(smaller)}; }
  static Keep Droppable() { return {kDroppable, {}}; }
};

struct OutboxStats {
  uint64_t kept = 0;       // messages not yet acknowledged
  int64_t kept_bytes = 0;  // their size
  uint64_t acked = 0;      // acknowledged since Open
  uint64_t resends = 0;    // times sending went back to the oldest message
  uint64_t shrunk = 0;     // messages that lost their heavy part (a snapshot)
  uint64_t dropped = 0;    // droppable messages given up
  uint64_t lost = 0;       // whole messages given up because space ran out
};

class Outbox {
 public:
  // Opens (creating if needed) the outbox at config.path; what it held is sent again.
  static Result<std::unique_ptr<Outbox>> Open(const OutboxConfig& config);
  ~Outbox();

  // Keeps `message` under the next sequence number (returned); durable against the process
  // dying on return.
  Result<uint64_t> Append(const std::string& message, const Keep& keep = Keep::Whole());

  struct Message {
    uint64_t seq;
    uint64_t after;  // the message kept before it (0: none); what lies between is gone
    std::string bytes;
  };
  // The messages to send now, in order: those not yet sent, within the window; after
  // resend_after_ms without an acknowledgement of anything outstanding, from the oldest kept
  // again. Nothing is marked sent until MarkSent.
  std::vector<Message> Due(int64_t now_ms);
  // `seq` (from Due) went out.
  void MarkSent(uint64_t seq, int64_t now_ms);
  // The receiver has everything of `stream` up to `seq`: it is deleted. Acknowledgements of
  // another stream, or of nothing new, change nothing.
  void OnAck(uint64_t stream, uint64_t seq, int64_t now_ms);

  uint64_t stream() const { return stream_; }  // random, chosen when the outbox was made
  OutboxStats stats() const;

 private:
  Outbox(const OutboxConfig& config, router::SqlitePtr db) : config_(config), db_(std::move(db)) {}
  Status Load();
  // Holds mu_ for a public call; on leaving, shows stats_ to stats() (under shown_mu_).
  class Locked {
   public:
    explicit Locked(Outbox& o) : o_(o), lock_(o.mu_) {}
    ~Locked() {
      std::lock_guard<std::mutex> shown(o_.shown_mu_);
      o_.shown_ = o_.stats_;
    }

   private:
    Outbox& o_;
    std::lock_guard<std::mutex> lock_;
  };
  // Gives up what it may until the kept bytes fit max_bytes. Requires mu_.
  void MakeRoom();
  void Delete(uint64_t seq);  // requires mu_
  // How many messages up to `seq` are kept, and their bytes.
  std::pair<uint64_t, int64_t> CountUpTo(uint64_t seq);

  const OutboxConfig config_;
  mutable std::mutex mu_;
  router::SqlitePtr db_;
  router::StmtPtr insert_, read_, erase_upto_, erase_one_, shrink_, oldest_, before_, count_upto_;
  uint64_t stream_ = 0;
  uint64_t next_ = 1;             // next to append
  uint64_t next_send_ = 1;        // next not yet sent
  uint64_t first_kept_ = 0;       // the oldest kept, as the last Due found it
  int64_t last_progress_ms_ = 0;  // last ack that moved first_, or the first send after a quiet spell
  OutboxStats stats_;             // under mu_
  mutable std::mutex shown_mu_;   // never held across I/O
  OutboxStats shown_;             // stats_ as of the end of the last call
};

}  // namespace xl::delivery
