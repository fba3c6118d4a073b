#include "ingest/publisher.h"

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "proto/wire/wire.h"

namespace xl::ingest {

Publisher::Publisher(zmq::context_t& ctx, const std::string& endpoint, const CurveClientKeys& keys,
                     const std::string& source)
    : ctx_(ctx), endpoint_(endpoint), keys_(keys), source_(source), instance_(static_cast<uint64_t>(NowMs())) {
  thread_ = std::thread([this] { Run(); });
}

Publisher::~Publisher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Publisher::Publish(wire::Envelope envelope) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(envelope));
  }
  cv_.notify_one();
}

uint64_t Publisher::sent() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sent_;
}

void Publisher::Run() {
  zmq::socket_t socket(ctx_, zmq::socket_type::push);
  socket.set(zmq::sockopt::sndhwm, 100000);
  socket.set(zmq::sockopt::linger, 2000);
  MakeCurveClient(socket, keys_);
  socket.connect(endpoint_);
  uint64_t seq = 0;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) break;  // stopping, and everything handed to ZeroMQ
    wire::Envelope env = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    env.set_source(source_);
    env.set_instance(instance_);
    env.set_seq(++seq);
    env.set_sent_ms(NowMs());
    // Blocks only when ZeroMQ's own queue is full: the router is far behind or away.
    socket.send(ToFrame(env), zmq::send_flags::none);
    lock.lock();
    ++sent_;
  }
}

}  // namespace xl::ingest
