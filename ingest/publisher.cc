#include "ingest/publisher.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "common/clock.h"
#include "proto/wire/wire.h"

namespace xl::ingest {

namespace {
constexpr auto kTick = std::chrono::milliseconds(10);  // how often acknowledgements are read

// What the outbox may give up of `env` when it is full: an alert's snapshot (never its text).
delivery::Keep KeepOf(const wire::Envelope& env) {
  if (env.has_alert() && !env.alert().snapshot_jpeg().empty()) {
    wire::Envelope light = env;
    light.mutable_alert()->clear_snapshot_jpeg();
    return delivery::Keep::Shrink(light.SerializeAsString());
  }
  return delivery::Keep::Whole();
}
}  // namespace

Publisher::Publisher(zmq::context_t& ctx, const std::string& endpoint, const CurveClientKeys& keys,
                     const std::string& source, std::unique_ptr<delivery::Outbox> outbox)
    : ctx_(ctx),
      endpoint_(endpoint),
      keys_(keys),
      source_(source),
      instance_(static_cast<uint64_t>(NowMs())),
      outbox_(std::move(outbox)) {
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
    if (envelope.has_status()) {
      status_ = envelope.SerializeAsString();  // periodic and complete: only the newest is worth sending
    } else {
      pending_.push_back(std::move(envelope));
    }
    appended_ = true;
  }
  cv_.notify_one();
}

void Publisher::Keep(const wire::Envelope& envelope) {
  auto seq = outbox_->Append(envelope.SerializeAsString(), KeepOf(envelope));
  if (!seq.ok()) {
    ++unwritable_;
    if (!unwritable_logged_.exchange(true))
      spdlog::error("worker {}: {}: messages are lost", source_, seq.error().message);
    return;
  }
  if (unwritable_logged_.exchange(false)) spdlog::info("worker {}: the outbox is written again", source_);
  if (envelope.has_alert()) {  // an event's start and end for the operator; its updates for debugging
    const wire::Alert& a = envelope.alert();
    spdlog::log(a.phase() == wire::ALERT_PHASE_UPDATE ? spdlog::level::debug : spdlog::level::info,
                "camera {} ({}): alert {} {} {} kept as #{}", a.camera_id(), a.camera_name(), a.id(),
                KindName(a.kind()), PhaseName(a.phase()), *seq);
  }
}

wire::Envelope Publisher::Stamp() const {
  wire::Envelope stamp;
  stamp.set_source(source_);
  stamp.set_instance(instance_);
  stamp.set_sent_ms(NowMs());
  return stamp;
}

void Publisher::Run() {
  zmq::socket_t socket(ctx_, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);     // nothing is lost: the outbox keeps it
  socket.set(zmq::sockopt::immediate, 1);  // no queueing for a router not connected
  socket.set(zmq::sockopt::sndhwm, 1000);
  MakeCurveClient(socket, keys_);
  socket.connect(endpoint_);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, kTick, [&] { return stopping_ || appended_; });
    appended_ = false;
    lock.unlock();
    const int64_t now = MonotonicMs();
    zmq::message_t msg;
    while (socket.recv(msg, zmq::recv_flags::dontwait)) {
      wire::DeliveryAck ack;
      if (FromFrame(msg, &ack)) outbox_->OnAck(ack.stream(), ack.seq(), now);
    }
    std::string status;
    std::deque<wire::Envelope> pending;
    {
      std::lock_guard<std::mutex> hold(mu_);
      status.swap(status_);
      pending.swap(pending_);
    }
    for (const wire::Envelope& env : pending) Keep(env);  // on disk before it is sent
    if (!status.empty()) {  // unsequenced: not kept, not acknowledged; the next one follows
      Stamp().AppendToString(&status);
      if (socket.send(zmq::buffer(status), zmq::send_flags::dontwait)) ++sent_;
    }
    // Not connected (immediate: nothing is queued for a router not there) or full: nothing
    // is read from the outbox until it can go.
    if (!(socket.get(zmq::sockopt::events) & ZMQ_POLLOUT)) {
      lock.lock();
      continue;
    }
    for (const delivery::Outbox::Message& m : outbox_->Due(now)) {
      // The delivery fields follow the stored message: protobuf merges concatenated messages.
      wire::Envelope stamp = Stamp();
      stamp.set_stream(outbox_->stream());
      stamp.set_seq(m.seq);
      stamp.set_after(m.after);
      std::string bytes = m.bytes;
      stamp.AppendToString(&bytes);
      if (!socket.send(zmq::buffer(bytes), zmq::send_flags::dontwait)) break;  // not connected, or full
      outbox_->MarkSent(m.seq, now);
      ++sent_;
    }
    lock.lock();
  }
}

}  // namespace xl::ingest
