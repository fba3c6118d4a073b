// The router's clients (ZeroMQ ROUTER socket; clients are DEALERs).
//
// Protocol: a client sends ClientRequest{subscribe}, then pings at least every 5 s. It gets
// the states of the cameras it selects, every logged alert after `after_seq` (replayed from
// the log in order), `live_at_seq`, then live alerts and state changes, and a heartbeat every
// second. Alerts always arrive in log order with no gaps among those the client selects.
// A client that cannot keep up is never waited for: it falls back to replaying from the log
// where it left off, so it loses nothing and slows nobody.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "router/alert_log.h"
#include "xueliang.pb.h"

namespace xl::router {

class CameraRegistry;

class ClientHub {
 public:
  ClientHub(zmq::socket_t& socket, AlertLog& log, const CameraRegistry& cameras);

  // Handles one message from a client (identity frame + body frame).
  void OnRequest(const std::string& identity, const zmq::message_t& body, int64_t now_ms);
  // Sends freshly logged alerts to the live clients that select them.
  void OnLogged(const std::vector<wire::LoggedAlert>& logged);
  void OnCameraChanged(const wire::Camera& camera);
  // Advances replays, sends heartbeats, forgets silent clients. Call every ~100 ms.
  void Pump(int64_t now_ms);

  size_t size() const { return clients_.size(); }

 private:
  struct Client {
    std::vector<std::string> prefixes;
    uint64_t cursor = 0;  // every alert up to here has been handled for this client
    bool live = false;    // false: replaying from the log
    bool cameras_stale = false;  // a camera update was lost: resend all when live again
    int64_t last_heard_ms = 0;
    int64_t last_heartbeat_ms = 0;
  };

  bool Selects(const Client& c, const wire::Alert& a) const;
  bool Selects(const Client& c, const wire::Camera& cam) const;
  // Sends without blocking; false when the client's queue is full or it is gone.
  bool Send(const std::string& identity, const wire::ServerMessage& msg);
  void SendCameras(const std::string& identity, const Client& c);
  void Replay(const std::string& identity, Client& c);

  zmq::socket_t& socket_;
  AlertLog& log_;
  const CameraRegistry& cameras_;
  std::map<std::string, Client> clients_;
};

}  // namespace xl::router
