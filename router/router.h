// xl-router's core: receives from workers, logs alerts durably, keeps camera states and
// serves clients. Single-threaded: one poll loop owns both sockets and the database.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <zmq.hpp>

#include "router/alert_log.h"
#include "router/camera_registry.h"
#include "router/client_hub.h"
#include "xl/status.h"

namespace xl::router {

struct RouterConfig {
  std::string worker_endpoint = "tcp://*:5555";  // workers PUSH here
  std::string client_endpoint = "tcp://*:5556";  // clients (DEALER) connect here
  std::string database = "xueliang.db";
  int64_t worker_timeout_ms = 15000;  // a worker silent this long has lost its cameras
};

class Router {
 public:
  // Opens the database and binds both endpoints.
  static Result<std::unique_ptr<Router>> Create(const RouterConfig& config, zmq::context_t& ctx);

  // Serves until `stop` becomes true.
  void Run(const std::atomic<bool>& stop);

 private:
  Router(const RouterConfig& config, zmq::context_t& ctx, std::unique_ptr<AlertLog> log);
  void DrainWorkers(int64_t now_ms);
  void OnCameraChanged(const wire::Camera& camera);
  void CheckSequence(const wire::Envelope& env);

  RouterConfig config_;
  zmq::socket_t workers_;
  zmq::socket_t clients_;
  std::unique_ptr<AlertLog> log_;
  CameraRegistry registry_;
  ClientHub hub_;
  struct SourceSeq {
    uint64_t instance = 0;
    uint64_t seq = 0;
  };
  std::map<std::string, SourceSeq> sources_;
};

}  // namespace xl::router
