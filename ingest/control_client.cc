#include "ingest/control_client.h"

#include <spdlog/spdlog.h>

#include "proto/wire/wire.h"

namespace xl::ingest {

namespace {
constexpr int64_t kBeatMs = 1000;

// FNV-1a over the seed, so the router applies a file's cameras once per version of the file.
std::string Digest(const std::vector<wire::CameraSpec>& seed) {
  uint64_t h = 1469598103934665603ull;
  for (const wire::CameraSpec& s : seed) {
    for (unsigned char c : s.SerializeAsString()) h = (h ^ c) * 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return seed.empty() ? "" : buf;
}
}  // namespace

ControlClient::ControlClient(zmq::context_t& ctx, const std::string& endpoint, const CurveClientKeys& keys,
                             const std::string& worker_id, std::vector<wire::CameraSpec> seed)
    : socket_(ctx, zmq::socket_type::dealer), worker_id_(worker_id) {
  hello_.set_worker(worker_id);
  hello_.set_seed_digest(Digest(seed));
  for (auto& s : seed) *hello_.add_seed() = std::move(s);
  socket_.set(zmq::sockopt::routing_id, worker_id);
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::sndhwm, 100);
  socket_.set(zmq::sockopt::maxmsgsize, kMaxControlMessageBytes);
  MakeCurveClient(socket_, keys);
  socket_.connect(endpoint);
}

void ControlClient::Send(const wire::ControlUp& up) {
  try {
    socket_.send(ToFrame(up), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    spdlog::warn("worker {}: control message not sent: {}", worker_id_, e.what());
  }
}

void ControlClient::ReportGbChannels(const wire::GbChannels& channels) {
  wire::ControlUp up;
  *up.mutable_gb_channels() = channels;
  Send(up);
}

ControlClient::Received ControlClient::Poll(int64_t now_ms) {
  Received got;
  zmq::message_t frame;
  while (socket_.recv(frame, zmq::recv_flags::dontwait)) {
    wire::ControlDown down;
    if (!FromFrame(frame, &down) || down.body_case() == wire::ControlDown::BODY_NOT_SET) {
      spdlog::warn("worker {}: dropped a malformed control message ({} bytes)", worker_id_, frame.size());
      continue;
    }
    if (down.has_assignment()) {
      answered_ = true;
      got.assignment = std::move(*down.mutable_assignment());
    } else if (down.has_watch()) {
      got.watch = std::move(*down.mutable_watch());
    } else if (down.has_ptz()) {
      got.ptz.push_back(std::move(*down.mutable_ptz()));
    }
  }
  if (now_ms - last_sent_ms_ >= kBeatMs) {
    wire::ControlUp up;
    if (!answered_) {
      *up.mutable_hello() = hello_;
    } else {
      up.mutable_heartbeat()->set_worker(worker_id_);
      up.mutable_heartbeat()->set_applied_version(applied_);
      up.mutable_heartbeat()->set_http_port(uint32_t(http_port_));
      up.mutable_heartbeat()->set_http_token(http_token_);
    }
    Send(up);
    last_sent_ms_ = now_ms;
  }
  return got;
}

}  // namespace xl::ingest
