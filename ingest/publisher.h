// Sends the worker's messages (alerts, camera states, status reports) to the router over one
// ZeroMQ DEALER socket, with acknowledged delivery: each message is kept in the worker's
// outbox on disk (proto/wire/delivery/outbox.h) by the publisher thread within a tick (10 ms)
// of Publish (the caller, the worker's loop, never waits for the disk), and stays there until
// the router has committed it: a router down for hours or killed at any moment, or a worker
// killed (but for its last tick), loses and duplicates no alert. When the outbox is full, snapshots go
// first, never an alert's text while anything else can go. Status reports (periodic, each
// complete) are not kept: only the newest is sent, unsequenced.
//
// Thread-safe: any thread may Publish(); one internal thread owns the socket, sends what the
// outbox says is due and takes the router's acknowledgements. It never blocks on the
// network, so stopping takes milliseconds whatever the router does.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "proto/wire/curve.h"
#include "proto/wire/delivery/outbox.h"

#include "xueliang.pb.h"

namespace xl::ingest {

class Publisher {
 public:
  // Connects to `endpoint` (e.g. "tcp://127.0.0.1:5555") as `source`, sending what `outbox`
  // holds and what is published.
  Publisher(zmq::context_t& ctx, const std::string& endpoint, const CurveClientKeys& keys, const std::string& source,
            std::unique_ptr<delivery::Outbox> outbox);
  // Stops at once; what is not acknowledged stays in the outbox for the next start.
  ~Publisher();

  // Has `envelope` kept in the outbox and sent. An outbox that cannot be written (disk full,
  // or gone) is logged once and counted; the message is then lost.
  void Publish(wire::Envelope envelope);

  uint64_t sent() const { return sent_; }
  uint64_t unwritable() const { return unwritable_; }
  delivery::OutboxStats outbox() const { return outbox_->stats(); }

 private:
  void Run();
  void Keep(const wire::Envelope& envelope);  // into the outbox (publisher thread)
  wire::Envelope Stamp() const;               // who sends, and when: appended to what is sent

  zmq::context_t& ctx_;
  const std::string endpoint_;
  const CurveClientKeys keys_;
  const std::string source_;
  const uint64_t instance_;
  std::unique_ptr<delivery::Outbox> outbox_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;               // guarded by mu_
  bool appended_ = false;               // guarded by mu_: something new to send
  std::string status_;                  // guarded by mu_: the newest status report not sent yet
  std::deque<wire::Envelope> pending_;  // guarded by mu_: published, not yet in the outbox
  std::atomic<uint64_t> sent_{0}, unwritable_{0};
  std::atomic<bool> unwritable_logged_{false};
  std::thread thread_;
};

}  // namespace xl::ingest
