// The worker's end of the control channel (ZeroMQ DEALER, identity = worker id): says Hello
// with its file's cameras until the router answers, then a heartbeat every second with the
// assignment it has applied; hands each Assignment received to the caller.
// Single-threaded: call Poll() from the worker's main loop.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "proto/wire/curve.h"

#include "xueliang.pb.h"

namespace xl::ingest {

class ControlClient {
 public:
  ControlClient(zmq::context_t& ctx, const std::string& endpoint, const CurveClientKeys& keys,
                const std::string& worker_id, std::vector<wire::CameraSpec> seed);

  struct Received {
    std::optional<wire::Assignment> assignment;  // the newest since the last call
    std::optional<wire::Watch> watch;            // likewise
    std::vector<wire::PtzCommand> ptz;           // every one, in order
  };
  // Sends what is due and returns what arrived since the last call.
  Received Poll(int64_t now_ms);
  // Reports `version` as applied from the next heartbeat on.
  void Applied(uint64_t version) { applied_ = version; }
  // This worker's HTTP port (0: none) and the bearer token it asks of the router, sent with
  // every heartbeat over the encrypted channel.
  void SetHttp(int port, std::string token) {
    http_port_ = port;
    http_token_ = std::move(token);
  }
  // Reports a GB28181 device's channels (best effort: the caller repeats it now and then).
  void ReportGbChannels(const wire::GbChannels& channels);

 private:
  void Send(const wire::ControlUp& up);

  zmq::socket_t socket_;
  std::string worker_id_;
  wire::WorkerHello hello_;
  bool answered_ = false;
  uint64_t applied_ = 0;
  int http_port_ = 0;
  std::string http_token_;
  int64_t last_sent_ms_ = -1000000;
};

}  // namespace xl::ingest
