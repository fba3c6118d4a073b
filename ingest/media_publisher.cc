#include "ingest/media_publisher.h"

namespace xl::ingest {

MediaPublisher::MediaPublisher(zmq::context_t& ctx, const std::string& endpoint, const CurveClientKeys& keys,
                               size_t max_queued_bytes)
    : ctx_(ctx), endpoint_(endpoint), keys_(keys), max_queued_bytes_(max_queued_bytes) {
  thread_ = std::thread([this] { Run(); });
}

MediaPublisher::~MediaPublisher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void MediaPublisher::Publish(const wire::VideoFrame& frame) {
  std::string bytes = frame.SerializeAsString();
  {
    std::lock_guard<std::mutex> lock(mu_);
    queued_bytes_ += bytes.size();
    queue_.push_back(std::move(bytes));
    while (queued_bytes_ > max_queued_bytes_ && queue_.size() > 1) {
      queued_bytes_ -= queue_.front().size();
      queue_.pop_front();
      dropped_.fetch_add(1);
    }
  }
  cv_.notify_one();
}

void MediaPublisher::Run() {
  zmq::socket_t socket(ctx_, zmq::socket_type::push);
  socket.set(zmq::sockopt::sndhwm, 2000);
  socket.set(zmq::sockopt::linger, 0);
  MakeCurveClient(socket, keys_);
  socket.connect(endpoint_);
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) break;
    std::string bytes = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= bytes.size();
    lock.unlock();
    zmq::message_t msg(bytes.data(), bytes.size());
    auto ok = socket.send(msg, zmq::send_flags::dontwait);
    (ok ? sent_ : dropped_).fetch_add(1);
    lock.lock();
  }
}

}  // namespace xl::ingest
