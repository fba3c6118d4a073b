#include "router/router.h"

#include <spdlog/spdlog.h>

#include "xl/camera_id.h"
#include "xl/clock.h"
#include "xl/wire.h"

namespace xl::router {

namespace {
constexpr int kMaxBatch = 512;  // worker messages handled per loop turn
}

Router::Router(const RouterConfig& config, zmq::context_t& ctx, std::unique_ptr<AlertLog> log)
    : config_(config),
      workers_(ctx, zmq::socket_type::pull),
      clients_(ctx, zmq::socket_type::router),
      log_(std::move(log)),
      registry_(config.worker_timeout_ms, [this](const wire::Camera& c) { OnCameraChanged(c); }),
      hub_(clients_, *log_, registry_) {}

Result<std::unique_ptr<Router>> Router::Create(const RouterConfig& config, zmq::context_t& ctx) {
  auto log = AlertLog::Open(config.database);
  if (!log.ok()) return log.error();
  std::unique_ptr<Router> r(new Router(config, ctx, std::move(log.value())));
  auto cameras = r->log_->LoadCameras();
  if (cameras.ok()) r->registry_.Seed(*cameras);
  r->workers_.set(zmq::sockopt::rcvhwm, 100000);
  r->clients_.set(zmq::sockopt::router_mandatory, 1);
  r->clients_.set(zmq::sockopt::sndhwm, 10000);
  try {
    r->workers_.bind(config.worker_endpoint);
    r->clients_.bind(config.client_endpoint);
  } catch (const zmq::error_t& e) {
    return Error{"cannot bind " + config.worker_endpoint + " / " + config.client_endpoint + ": " + e.what()};
  }
  spdlog::info("router: workers at {}, clients at {}, log {} (head seq {})", config.worker_endpoint,
               config.client_endpoint, config.database, r->log_->head());
  return r;
}

void Router::OnCameraChanged(const wire::Camera& camera) {
  if (Status s = log_->SaveCamera(camera); !s.ok()) spdlog::error("{}", s.message());
  hub_.OnCameraChanged(camera);
}

void Router::CheckSequence(const wire::Envelope& env) {
  SourceSeq& last = sources_[env.source()];
  if (last.instance == env.instance() && env.seq() != last.seq + 1) {
    spdlog::warn("worker {}: {} messages lost (seq {} after {})", env.source(), env.seq() - last.seq - 1, env.seq(),
                 last.seq);
  }
  last = {env.instance(), env.seq()};
}

void Router::DrainWorkers(int64_t now_ms) {
  std::vector<wire::Alert> alerts;
  zmq::message_t frame;
  for (int i = 0; i < kMaxBatch && workers_.recv(frame, zmq::recv_flags::dontwait); ++i) {
    wire::Envelope env;
    if (!FromFrame(frame, &env)) {
      spdlog::warn("router: dropped a malformed worker message ({} bytes)", frame.size());
      continue;
    }
    CheckSequence(env);
    registry_.Heard(env.source(), now_ms);
    switch (env.body_case()) {
      case wire::Envelope::kCamera:
        registry_.Update(env.camera(), now_ms);
        break;
      case wire::Envelope::kStatus:
        for (const wire::Camera& c : env.status().cameras()) registry_.Update(c, now_ms);
        break;
      case wire::Envelope::kAlert:
        if (Status s = ValidateCameraId(env.alert().camera_id()); !s.ok()) {
          spdlog::warn("router: dropped an alert from {}: {}", env.source(), s.message());
          break;
        }
        alerts.push_back(env.alert());
        break;
      default:
        break;
    }
  }
  if (alerts.empty()) return;
  // Durable first, then out to clients.
  auto seqs = log_->Append(alerts);
  if (!seqs.ok()) {
    spdlog::error("{}; {} alerts not delivered", seqs.error().message, alerts.size());
    return;
  }
  std::vector<wire::LoggedAlert> logged(alerts.size());
  for (size_t i = 0; i < alerts.size(); ++i) {
    logged[i].set_seq((*seqs)[i]);
    *logged[i].mutable_alert() = std::move(alerts[i]);
  }
  hub_.OnLogged(logged);
}

void Router::Run(const std::atomic<bool>& stop) {
  zmq::pollitem_t items[] = {{workers_.handle(), 0, ZMQ_POLLIN, 0}, {clients_.handle(), 0, ZMQ_POLLIN, 0}};
  while (!stop.load()) {
    try {
      zmq::poll(items, 2, std::chrono::milliseconds(100));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      throw;
    }
    const int64_t now = MonotonicMs();
    if (items[0].revents & ZMQ_POLLIN) DrainWorkers(now);
    if (items[1].revents & ZMQ_POLLIN) {
      for (int i = 0; i < kMaxBatch; ++i) {
        zmq::message_t identity, body;
        if (!clients_.recv(identity, zmq::recv_flags::dontwait)) break;
        if (!identity.more() || !clients_.recv(body, zmq::recv_flags::dontwait)) continue;
        while (body.more()) {  // ignore extra frames
          zmq::message_t extra;
          if (!clients_.recv(extra, zmq::recv_flags::dontwait)) break;
          body.swap(extra);
        }
        hub_.OnRequest(identity.to_string(), body, now);
      }
    }
    registry_.Expire(now);
    hub_.Pump(now);
  }
}

}  // namespace xl::router
