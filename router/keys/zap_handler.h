// The router's ZAP handler (ZeroMQ RFC 27): decides every CURVE handshake on the router's
// endpoints. It binds inproc://zeromq.zap.01 in the router's ZeroMQ context, so it must be
// created before any endpoint is bound and destroyed after they are closed.
//
// Let in: on the workers, control and media endpoints a registered worker key; on the clients
// endpoint a registered user key whose desk user exists; on the children endpoint a
// registered child router's key; on the video endpoint (PLAIN) a
// ticket a native client holds, its ZAP user ID then being the ticket. (ZAP does not see the peer's routing
// ID: the router checks that each control message's key is the worker it speaks as, and the
// control socket never hands a worker's routing ID over to a second connection.) Everything else is refused, logged (at
// most once a minute per source address) and counted. An accepted peer's ZAP user ID is its public key (PeerKeyOf on
// its messages). Thread: the router's one loop thread only; poll socket() and call OnReadable.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <zmq.hpp>

#include "router/keys/key_store.h"

namespace xl::router {

class ZapHandler {
 public:
  // `user_exists` says whether a desk user of that name exists (and may log in);
  // `ticket_valid` whether a native client holds that video ticket (ClientHub).
  ZapHandler(zmq::context_t& ctx, KeyStore& keys, std::function<bool(const std::string&)> user_exists,
             std::function<bool(const std::string&)> ticket_valid);

  zmq::socket_t& socket() { return socket_; }
  // Answers every pending request.
  void OnReadable(int64_t now_ms);
  uint64_t refused() const { return refused_; }

 private:
  // "" when the handshake may proceed, else why not (for the log).
  std::string Decide(const std::string& domain, const std::string& public_key);

  zmq::socket_t socket_;
  KeyStore& keys_;
  std::function<bool(const std::string&)> user_exists_;
  std::function<bool(const std::string&)> ticket_valid_;
  uint64_t refused_ = 0;
  std::map<std::string, int64_t> logged_ms_;  // source address → when a refusal was last logged
};

}  // namespace xl::router
