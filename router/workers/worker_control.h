// The control channel to the workers (ZeroMQ ROUTER, a worker's id is its identity): who is
// alive, what each must run, and the worker files' seeds into the registry.
//
// A worker says Hello at start (with its file's cameras as a seed) and a heartbeat every
// second with the assignment version it has applied. The router sends each live worker its
// complete camera set whenever it changes, and again until the worker has applied it.
// A worker silent for longer than the timeout is lost; its cameras go to the others.
// Thread: the router's one loop thread only (router/router.h); not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "router/live/watch_told.h"
#include "router/registry/camera_store.h"

namespace xl::router {

struct WorkerInfo {
  std::string id;
  bool live = false;
  int64_t last_seen_ms = 0;  // monotonic
  uint64_t sent_version = 0;
  uint64_t applied_version = 0;
  size_t cameras = 0;      // cameras assigned
  std::string http_url;    // its HTTP port (event clips), "" when it has none
  std::string http_token;  // the bearer token its HTTP port asks of the router; never shown
};

class WorkerControl {
 public:
  // `http_urls`: worker ID → its HTTP URL as an admin configured it (behind NAT); other
  // workers are reached on the address their connection comes from.
  WorkerControl(zmq::socket_t& socket, CameraStore& store, int64_t worker_timeout_ms,
                std::map<std::string, std::string> http_urls = {});

  // One message from the socket: `identity` frame and body. True when it is a worker's hello:
  // a worker process that has just started (it says hello until it has an assignment).
  bool OnMessage(const std::string& identity, const zmq::message_t& body, int64_t now_ms);
  // The registry changed: recompute and resend assignments on the next Pump.
  void MarkDirty() { dirty_ = true; }
  // Expires silent workers, plans assignments and sends what is due. Call often.
  void Pump(int64_t now_ms);
  // The cameras whose live video is wanted now; each worker is told its share when it
  // changes (and every few seconds, in case a message was lost).
  void SetWanted(const std::set<std::string>& cameras, int64_t now_ms);

  std::vector<WorkerInfo> Workers() const;
  // Where worker `id`'s HTTP port is ("http://HOST:PORT"); "" when unknown or none.
  std::string HttpUrl(const std::string& id) const;
  // The bearer token worker `id`'s HTTP port asks for; "" when unknown.
  std::string HttpToken(const std::string& id) const;
  // True when worker `id` is live and has been sent its cameras: what it reports can be
  // checked against its assignment.
  bool Assigned(const std::string& id) const;
  // True when `camera_id` is assigned to a live worker that has applied that assignment.
  bool Handed(const std::string& camera_id) const;
  // Passes a PTZ command to the worker that runs the camera. Error when the camera is
  // unknown, not a GB28181 channel, or not running on a live worker.
  Status SendPtz(const wire::PtzCommand& command);

 private:
  struct Peer {
    WorkerInfo info;
    std::string sent_cameras;       // serialized camera list last sent
    uint64_t covering_version = 0;  // first version whose camera list equals sent_cameras
    int64_t sent_ms = 0;
    bool must_send = false;  // joined or restarted: send even an unchanged list
    WatchTold watch;         // the cameras it was last told to send live
  };
  void ApplySeed(const std::string& worker, const wire::WorkerHello& hello);
  // A GB28181 device's channels, as reported by the worker it registered to.
  void ApplyGbChannels(const std::string& worker, const wire::GbChannels& channels);
  void Send(Peer& peer, int64_t now_ms);  // the peer's current camera list, as a new version
  void SendTo(const std::string& worker, const wire::ControlDown& down);

  zmq::socket_t& socket_;
  CameraStore& store_;
  int64_t worker_timeout_ms_;
  std::map<std::string, Peer> peers_;
  std::map<std::string, std::string> http_urls_;
  bool dirty_ = true;
  bool rebalance_ = false;
};

}  // namespace xl::router
