// Sends the worker's messages to the router over one ZeroMQ PUSH socket.
// Thread-safe: any thread may Publish(); one internal thread owns the socket, stamps each
// envelope with this source's next sequence number and sends in order. While the router is
// unreachable, messages wait in ZeroMQ's queue and are delivered on reconnection.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "proto/wire/curve.h"

#include "xueliang.pb.h"

namespace xl::ingest {

class Publisher {
 public:
  // Connects to `endpoint` (e.g. "tcp://127.0.0.1:5555") as `source`.
  Publisher(zmq::context_t& ctx, const std::string& endpoint, const CurveClientKeys& keys, const std::string& source);
  // Sends what is queued (waiting up to 2 s for the router), then closes.
  ~Publisher();

  void Publish(wire::Envelope envelope);

  uint64_t sent() const;

 private:
  void Run();

  zmq::context_t& ctx_;
  const std::string endpoint_;
  const CurveClientKeys keys_;
  const std::string source_;
  const uint64_t instance_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<wire::Envelope> queue_;  // guarded by mu_
  bool stopping_ = false;             // guarded by mu_
  uint64_t sent_ = 0;                 // guarded by mu_
  std::thread thread_;
};

}  // namespace xl::ingest
