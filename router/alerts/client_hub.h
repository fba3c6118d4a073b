// The router's clients (ZeroMQ ROUTER socket; clients are DEALERs).
//
// Protocol: a client sends ClientRequest{subscribe}, then pings at least every 5 s. It gets
// the states of the cameras it selects, every logged alert after `after_seq` (replayed from
// the log in order), `live_at_seq`, then live alerts and state changes, and a heartbeat every
// second. Alerts always arrive in log order with no gaps among those the client selects.
// A client that cannot keep up is never waited for: it falls back to replaying from the log
// where it left off, so it loses nothing and slows nobody.
//
// Every client is a desk user (by its CURVE key): it selects, replays, watches and moves
// only cameras inside that user's region, whatever it asks for.
//
// Live video: ClientRequest{watch} makes the client a viewer of one camera in the LiveRelay;
// frames then arrive from a keyframe on (see router/live/): with SealVideo() (CURVE on) as
// sealed frames on the video endpoint — the client gets a VideoAccess (its ticket) and the
// camera's VideoKey here, and becomes a viewer once its video connection has said hello
// (proto/wire/sealed_video.h); without, as ServerMessage{video} here. A client
// watching video pings every second; one not heard for 3 s is taken as not reading (its
// queues are filling) and gets no frames until it speaks again, then from a keyframe.
// Thread: the router's one loop thread only (router/router.h); not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>
#include <zmq.hpp>

#include <functional>
#include <memory>
#include <optional>

#include "common/status.h"
#include "router/alerts/alert_log.h"
#include "router/live/live_relay.h"
#include "router/live/video_keys.h"
#include "xueliang.pb.h"

namespace xl::router {

class CameraStates;

// Who sent a request: a desk user and the region it sees ("" for everything).
struct ClientCaller {
  std::string user;
  std::string region;
  std::string key;  // its CURVE public key ("" without CURVE)
};

class ClientHub {
 public:
  // `region_of` gives a registered camera's region (nullopt when the ID is not registered);
  // `ptz` passes a PTZ command on towards the camera (an error says why it cannot).
  ClientHub(zmq::socket_t& socket, AlertLog& log, const CameraStates& cameras, LiveRelay& relay,
            std::function<std::optional<std::string>(const std::string&)> region_of,
            std::function<Status(const wire::PtzCommand&)> ptz);
  ~ClientHub();

  // Live video to native clients goes sealed over `video` (the video endpoint, which clients
  // reach on `port`) instead of in clear over the client socket. Call before any client comes.
  void SealVideo(zmq::socket_t& video, uint16_t port);
  // Handles one message from a client (identity frame + body frame) sent by `caller`.
  void OnRequest(const std::string& identity, const zmq::message_t& body, const ClientCaller& caller, int64_t now_ms);
  // A video connection `identity` said hello with `ticket` (its ZAP user ID): it is the video
  // connection of the client that holds the ticket (a later hello with it replaces an earlier).
  void OnVideoHello(const std::string& identity, const std::string& ticket, int64_t now_ms);
  // True when a client holds `ticket` (the ZAP handler lets its video connection in).
  bool TicketValid(const std::string& ticket) const { return tickets_.count(ticket) > 0; }
  // Drops every client that spoke with `public_key` (the key was revoked).
  void ForgetKey(const std::string& public_key, int64_t now_ms);
  // Drops the clients of desk user `user` unless they still speak for `region` (nullopt: the
  // user may no longer act). A dropped client subscribes again under the user's new scope.
  void ForgetUser(const std::string& user, const std::optional<std::string>& region, int64_t now_ms);
  // Sends freshly logged alerts to the live clients that select them.
  void OnLogged(const std::vector<wire::LoggedAlert>& logged);
  void OnCameraChanged(const wire::Camera& camera);
  // Advances replays, sends heartbeats, forgets silent clients. Call every ~100 ms.
  void Pump(int64_t now_ms);

  size_t size() const { return clients_.size(); }
  uint64_t key_renewals() const { return key_renewals_; }

 private:
  // One client watching one camera.
  class Viewer : public LiveViewer {
   public:
    // Sends to `*identity` on `socket`: the client's own identity on the client socket, or
    // (with `keys`: sealed) its video connection's on the video socket, "" until it has one.
    // `identity` and `last_heard_ms` are the client's (it outlives the viewer).
    Viewer(zmq::socket_t& socket, const std::string* identity, const int64_t* last_heard_ms, VideoKeys* keys)
        : socket_(socket), identity_(identity), last_heard_ms_(last_heard_ms), keys_(keys) {}
    bool Offer(const LiveFramePtr& frame) override;
    bool gone() const { return gone_; }  // the client (or its video connection) disconnected
    bool added = false;                  // in the relay (sealed: once the video connection is there)

   private:
    zmq::socket_t& socket_;
    const std::string* identity_;
    const int64_t* last_heard_ms_;
    VideoKeys* keys_;
    bool gone_ = false;
  };
  struct Client {
    ClientCaller caller;  // what it may see, whatever it selects
    std::vector<std::string> prefixes;
    uint64_t cursor = 0;         // every alert up to here has been handled for this client
    bool live = false;           // false: replaying from the log
    bool cameras_stale = false;  // a camera update was lost: resend all when live again
    int64_t last_heard_ms = 0;
    int64_t last_heartbeat_ms = 0;
    std::map<std::string, std::unique_ptr<Viewer>> watching;  // by camera id
    std::string ticket;                                       // sealed video: what its video connection logs in with
    std::string video_identity;  // sealed video: its video connection, "" until it said hello
  };
  // `identity` is the client's key in clients_ (its viewers keep a pointer to it).
  void Watch(const std::string& identity, Client& c, const wire::WatchRequest& req, int64_t now_ms);
  void Forget(std::map<std::string, Client>::iterator it, int64_t now_ms);
  // Forgets every client whose caller `match`es, logging `why`; renews the video keys if any went.
  void ForgetWhere(const std::function<bool(const ClientCaller&)>& match, const std::string& why, int64_t now_ms);

  // True when `caller` may see a registered camera `camera_id`.
  bool Visible(const ClientCaller& caller, const std::string& camera_id) const;
  bool Selects(const Client& c, const wire::Alert& a) const;
  bool Selects(const Client& c, const wire::Camera& cam) const;
  // Sends without blocking; false when the client's queue is full or it is gone.
  bool Send(const std::string& identity, const wire::ServerMessage& msg);
  void SendCameras(const std::string& identity, const Client& c);
  void Replay(const std::string& identity, Client& c);

  zmq::socket_t& socket_;
  AlertLog& log_;
  const CameraStates& cameras_;
  LiveRelay& relay_;
  std::function<std::optional<std::string>(const std::string&)> region_of_;
  std::function<Status(const wire::PtzCommand&)> ptz_;
  // Every camera gets a new key, sent to each client still watching it (a client lost its
  // access: what follows must be closed to it).
  void RenewKeys();
  // Sends `camera`'s current key to client `identity` (sealed video).
  void SendKey(const std::string& identity, const std::string& camera);
  // Tells the client its watch of `camera` was refused (the relay's admission), and why.
  void Refuse(const std::string& identity, const std::string& camera, const std::string& why);

  std::map<std::string, Client> clients_;
  zmq::socket_t* video_ = nullptr;  // set by SealVideo
  uint16_t video_port_ = 0;
  VideoKeys keys_;
  std::map<std::string, std::string> tickets_;  // ticket → the identity of the client holding it
  uint64_t key_renewals_ = 0;
};

}  // namespace xl::router
