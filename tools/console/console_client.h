// A router client that never misses an alert: it subscribes, pings, and when the router goes
// silent (restart, network) it reconnects and resubscribes after the last sequence number it
// handled, so the log replays whatever it missed. Live video of watched cameras comes as
// ServerMessage{video} whether the router sends it sealed on its video endpoint (CURVE on:
// opened here, proto/wire/sealed_video.h) or in clear. Single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "proto/wire/curve.h"
#include "proto/wire/sealed_video.h"
#include "xueliang.pb.h"

namespace xl::console {

struct ClientOptions {
  std::string endpoint = "tcp://127.0.0.1:5556";
  std::vector<std::string> prefixes;  // region or camera ID prefixes; empty: everything
  std::optional<uint64_t> after_seq;  // replay alerts after this; none: start live
  int silence_timeout_ms = 5000;      // no message for this long: reconnect
  std::vector<std::string> watch;     // cameras whose live video to receive
  CurveClientKeys keys;               // this client's key pair (a desk user's key) and the router's key
};

class ConsoleClient {
 public:
  ConsoleClient(zmq::context_t& ctx, ClientOptions options);

  // The next message, waiting up to `timeout_ms`; none on timeout. Alerts come once each,
  // in sequence order; heartbeats are consumed here.
  std::optional<wire::ServerMessage> Next(int timeout_ms);

  // The last alert sequence handled (or the live point reached): where a resume starts.
  std::optional<uint64_t> resume_point() const { return resume_; }
  int reconnects() const { return reconnects_; }

 private:
  void Connect();

  zmq::context_t& ctx_;
  ClientOptions options_;
  std::unique_ptr<zmq::socket_t> socket_;
  std::unique_ptr<SealedVideoInbox> video_;  // new with each connection
  std::optional<uint64_t> resume_;
  int64_t last_heard_ms_ = 0;
  int64_t last_ping_ms_ = 0;
  int reconnects_ = -1;
};

}  // namespace xl::console
