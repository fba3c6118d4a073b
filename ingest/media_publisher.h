// Sends live video (wire::VideoFrame) to the router's media endpoint over a ZeroMQ PUSH
// socket of its own, so video never delays states and alerts. Thread-safe Publish().
// Live video is perishable: when the router cannot keep up, frames are dropped (oldest
// first, and whatever ZeroMQ will not take at once) rather than queued without bound; the
// router sees the gap in a camera's `seq` and waits for the next keyframe.
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

class MediaPublisher {
 public:
  MediaPublisher(zmq::context_t& ctx, const std::string& endpoint, const CurveClientKeys& keys,
                 size_t max_queued_bytes = 32 << 20);
  ~MediaPublisher();

  void Publish(const wire::VideoFrame& frame);

  uint64_t sent() const { return sent_.load(); }
  uint64_t dropped() const { return dropped_.load(); }

 private:
  void Run();

  zmq::context_t& ctx_;
  const std::string endpoint_;
  const CurveClientKeys keys_;
  const size_t max_queued_bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;  // guarded by mu_
  size_t queued_bytes_ = 0;        // guarded by mu_
  bool stopping_ = false;          // guarded by mu_
  std::atomic<uint64_t> sent_{0}, dropped_{0};
  std::thread thread_;
};

}  // namespace xl::ingest
