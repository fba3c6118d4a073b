#include "tools/console/console_client.h"

#include "common/clock.h"
#include "proto/wire/wire.h"

namespace xl::console {

ConsoleClient::ConsoleClient(zmq::context_t& ctx, ClientOptions options)
    : ctx_(ctx), options_(std::move(options)), resume_(options_.after_seq) {
  Connect();
}

void ConsoleClient::Connect() {
  socket_ = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::dealer);
  socket_->set(zmq::sockopt::linger, 0);
  socket_->set(zmq::sockopt::rcvhwm, 100000);
  MakeCurveClient(*socket_, options_.keys);
  socket_->connect(options_.endpoint);
  video_ = std::make_unique<SealedVideoInbox>(ctx_, options_.endpoint, 100000);
  wire::ClientRequest req;
  wire::Subscribe* sub = req.mutable_subscribe();
  for (const std::string& p : options_.prefixes) sub->add_prefixes(p);
  if (resume_) sub->set_after_seq(*resume_);
  socket_->send(ToFrame(req), zmq::send_flags::dontwait);
  for (const std::string& camera : options_.watch) {
    wire::ClientRequest watch;
    watch.mutable_watch()->set_camera_id(camera);
    socket_->send(ToFrame(watch), zmq::send_flags::dontwait);
  }
  last_heard_ms_ = last_ping_ms_ = MonotonicMs();
  ++reconnects_;
}

std::optional<wire::ServerMessage> ConsoleClient::Next(int timeout_ms) {
  const int64_t deadline = MonotonicMs() + timeout_ms;
  for (;;) {
    const int64_t now = MonotonicMs();
    if (now - last_heard_ms_ > options_.silence_timeout_ms) Connect();
    // Watchers ping every second: the router takes a silent watcher as not reading.
    if (now - last_ping_ms_ >= (options_.watch.empty() ? 2000 : 1000)) {
      wire::ClientRequest ping;
      ping.set_ping(true);
      socket_->send(ToFrame(ping), zmq::send_flags::dontwait);
      last_ping_ms_ = now;
    }
    const int64_t wait = std::min<int64_t>({deadline - now, 200});
    if (wait < 0) return std::nullopt;
    zmq::pollitem_t items[2] = {{socket_->handle(), 0, ZMQ_POLLIN, 0}, video_->PollItem()};
    try {
      zmq::poll(items, 2, std::chrono::milliseconds(wait));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) return std::nullopt;  // a signal (SIGTERM): let the caller look at its stop flag
      throw;
    }
    zmq::message_t frame;
    // The client connection first: a camera's key must be taken before its first frames,
    // which come on the other connection and cannot be opened without it.
    if (!(items[0].revents & ZMQ_POLLIN) || !socket_->recv(frame, zmq::recv_flags::dontwait)) {
      if ((items[1].revents & ZMQ_POLLIN) && video_->socket()->recv(frame, zmq::recv_flags::dontwait)) {
        if (auto video = video_->Open(frame)) {
          wire::ServerMessage msg;
          *msg.mutable_video() = std::move(*video);
          return msg;
        }
      }
      continue;
    }
    last_heard_ms_ = MonotonicMs();
    wire::ServerMessage msg;
    if (!FromFrame(frame, &msg)) continue;
    if (video_->OnServerMessage(msg)) continue;  // sealed video's ticket or key
    switch (msg.body_case()) {
      case wire::ServerMessage::kHeartbeatSeq:
        continue;
      case wire::ServerMessage::kResubscribe:
        Connect();  // the router restarted: resume where we left off
        continue;
      case wire::ServerMessage::kAlert:
        if (resume_ && msg.alert().seq() <= *resume_) continue;  // seen before a reconnect
        resume_ = msg.alert().seq();
        return msg;
      case wire::ServerMessage::kLiveAtSeq:
        if (!resume_ || msg.live_at_seq() > *resume_) resume_ = msg.live_at_seq();
        return msg;
      default:
        return msg;
    }
  }
}

}  // namespace xl::console
