// xl-router's core: receives from workers, logs alerts durably, keeps camera states, owns
// the camera registry and assigns cameras to workers, serves clients and the HTTP API.
// Single-threaded: one poll loop owns every socket, the database and the GLib context the
// HTTP server runs on.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "common/http_server.h"
#include "common/status.h"
#include "proto/wire/curve.h"
#include "proto/wire/delivery/inbox.h"
#include "router/alerts/alert_log.h"
#include "router/alerts/client_hub.h"
#include "router/alerts/retention.h"
#include "router/cascade/child_links.h"
#include "router/cascade/parent_link.h"
#include "router/desk/clip_proxy.h"
#include "router/desk/desk_api.h"
#include "router/desk/desk_feed.h"
#include "router/gb_upward/gb_upward.h"
#include "router/gb_upward/upper_config.h"
#include "router/keys/key_api.h"
#include "router/keys/key_store.h"
#include "router/keys/zap_handler.h"
#include "router/live/live_relay.h"
#include "router/live/rtsp_out.h"
#include "router/live/websocket_out.h"
#include "router/recordings/export_log.h"
#include "router/recordings/playback_socket.h"
#include "router/recordings/recording_desk.h"
#include "router/recordings/recording_feed.h"
#include "router/registry/camera_store.h"
#include "router/registry/registry_api.h"
#include "router/system_problems.h"
#include "router/workers/camera_states.h"
#include "router/workers/worker_control.h"

namespace xl::router {

struct RouterConfig {
  std::string worker_endpoint = "tcp://127.0.0.1:5555";   // workers PUSH here
  std::string client_endpoint = "tcp://127.0.0.1:5556";   // clients (DEALER) connect here
  std::string control_endpoint = "tcp://127.0.0.1:5557";  // workers' control channel (DEALER)
  std::string media_endpoint = "tcp://127.0.0.1:5558";    // workers' live video (PUSH)
  std::string video_endpoint = "tcp://127.0.0.1:5559";    // native clients' sealed live video (with CURVE)
  std::string children_endpoint;          // child routers connect here (with CURVE; router/cascade/); "": none
  ParentLinkConfig parent;                // this router's parent, if any
  std::optional<GbUpperConfig> gb_upper;  // a GB/T 28181 upper platform this router reports to, if any
  std::string site_name = "parent";       // this centre's name on its children's desks (the steps taken here)
  std::string key_file;  // the router's CURVE key pair, created on first start; "": router.key beside the database
  bool curve = true;     // false only for benchmarks, and only with every endpoint on loopback
  std::string http_address = "127.0.0.1";  // REST API and /metrics
  int http_port = 8080;                    // 0: any free port (logged)
  TlsFiles http_tls;                       // with a certificate: HTTPS only, cookies Secure
  RtspOutConfig rtsp;                      // live RTSP re-serve
  std::string database = "xueliang.db";
  std::string exports_dir;     // evidence exports (router/recordings/export_log.h); "": exports/ beside the database
  std::string admin_password;  // with no desk users yet: creates user "admin" with it
  std::string metrics_token;   // /metrics also answers "Authorization: Bearer <it>" (Prometheus)
  int64_t session_max_ms = 12LL * 3600 * 1000;      // a desk session ends this long after login, however used
  int64_t overdue_ms = 5 * 60 * 1000;               // a desk alert not acknowledged this long is overdue
  std::map<std::string, std::string> region_names;  // region code → name (the desk's tree)
  std::string web_dir = XL_WEB_DIR;                 // the desk's page assets (router/web), served at / and /web/
  int64_t worker_timeout_ms = 15000;                // a worker silent this long has lost its cameras
  std::map<std::string, std::string> worker_http;   // worker ID → its HTTP URL where the router cannot
                                                    // use the address it connects from (NAT)
  RetentionPolicy retention;                        // how long events are kept (router/alerts/retention.h)
};

class Router {
 public:
  // Opens the database, binds the endpoints and the HTTP port.
  static Result<std::unique_ptr<Router>> Create(const RouterConfig& config, zmq::context_t& ctx);

  // Serves until `stop` becomes true.
  void Run(const std::atomic<bool>& stop);

  int http_port() const { return http_->port(); }

  // Mounts every camera whose codec is known on the RTSP server: registered here or below.
  void SyncRtspMounts();
  // The codec a camera (registered here, or of a child router's catalog) was last seen with
  // ("" when unknown).
  std::string CodecOf(const std::string& camera) const;
  // The region of a camera registered here or below; nullopt when there is no such camera.
  std::optional<std::string> RegionOf(const std::string& camera) const;
  // Passes a PTZ command on: to the worker running a camera registered here, or down the link
  // to the child whose catalog holds it. Error for an unknown action or camera, or one that
  // takes no PTZ (not a GB28181 channel), and when its worker or link is down.
  Status Ptz(const wire::PtzCommand& command);

 private:
  Router(const RouterConfig& config, zmq::context_t& ctx, std::unique_ptr<AlertLog> log,
         std::unique_ptr<CameraStore> store);
  // A desk user was added, changed or removed: RTSP logins and native clients follow.
  void OnUserChanged(const std::string& user);
  // Takes what workers (and child routers) sent: alerts are logged with the senders' marks
  // in one transaction, then acknowledged, then fanned out.
  void DrainAlerts(int64_t now_ms, bool workers, bool children);
  // Reads workers' messages into `alerts` (their marks pending in inbox_); `reply_to` gets
  // the routing ID of each sender to acknowledge.
  void DrainWorkers(int64_t now_ms, std::vector<wire::Alert>* alerts, std::map<std::string, std::string>* reply_to);
  // Links to children or the parent that went up or down: problems raised or cleared; the
  // children's cameras that changed go to the desks.
  void WatchLinks(int64_t now_ms);
  // Handling steps that came from the parent or children: logged, and the desks told.
  void OnArrivedSteps(const std::vector<LoggedStep>& steps);
  // This router's catalog as its parent gets it: the registry's cameras with their states,
  // and the children's cameras.
  std::vector<wire::Camera> Catalog() const;
  // Logged `alerts` (with their sequence numbers) go out to native clients and desks.
  void FanOut(std::vector<wire::Alert> alerts, const std::vector<uint64_t>& seqs);
  // Ends every open event of `cameras` with a router-made END message saying `reason`.
  void EndOpenEvents(const std::vector<std::string>& cameras, const std::string& reason);
  // The alert log could not be written (nothing of the batch is acknowledged; workers send it
  // again): a system problem, raised on the desks and logged once. Written again: cleared.
  void OnAlertLogFailed(const Error& error);
  void OnAlertLogWritten();
  // A worker's status told how full its outbox is: a problem while it is nearly full.
  void OnWorkerOutbox(const std::string& worker, const wire::OutboxStatus& outbox);
  // A worker's status told how its recording goes: a problem while it has stopped ("recording
  // stopped: disk full: …"), cleared once it records again.
  void OnWorkerRecording(const std::string& worker, const wire::RecordingStatus& recording);
  // Raises (logged when new) or clears (logged) a system problem, and tells the desks.
  void RaiseProblem(const std::string& key, const std::string& text);  // since: now (wall clock)
  void ClearProblem(const std::string& key);
  // One retention step (router/alerts/retention.h); how long until the next, in ms.
  int64_t ApplyRetention();
  void DrainClients(int64_t now_ms);
  void DrainControl(int64_t now_ms);
  void DrainMedia(int64_t now_ms);
  void DrainVideo(int64_t now_ms);
  HttpReply Metrics();
  // /api/ apart from clips: the desk API, else the registry API for a logged-in user.
  // Answered now, or (nullopt) later through `respond`.
  std::optional<HttpReply> ApiReply(const HttpRequest& request, const HttpServer::Responder& respond);
  void OnCameraChanged(const wire::Camera& camera);
  // A key was removed: its native clients go; a child router with no key left is forgotten.
  void OnKeyRemoved(const PeerKey& key);
  // The worker a message on a worker endpoint came from: its key's name. nullopt when its key
  // is not (or no longer) a registered worker key; "" without CURVE (anyone, loopback only).
  std::optional<std::string> WorkerOf(const zmq::message_t& msg) const;
  // The desk user a message on the clients endpoint came from; nullopt when its key is not
  // (or no longer) a registered user key or the user is gone. Without CURVE: everything.
  std::optional<ClientCaller> CallerOf(const zmq::message_t& msg);
  // True when `camera` is registered and assigned to `worker` ("" without CURVE: any worker).
  bool AssignedTo(const std::string& camera, const std::string& worker) const;
  static bool AssignedTo(const RegisteredCamera& camera, const std::string& worker);
  // Counts a message refused for its sender and logs it, at most once a minute.
  void Refused(const char* endpoint, const std::string& why, int64_t now_ms);

  RouterConfig config_;
  // Before the sockets: the ZAP handler must outlive every CURVE socket of the context.
  std::unique_ptr<KeyStore> keys_;
  std::unique_ptr<ZapHandler> zap_;
  CurveKeyPair key_pair_;
  zmq::socket_t workers_;
  zmq::socket_t clients_;
  zmq::socket_t control_socket_;
  zmq::socket_t media_;
  zmq::socket_t video_;  // sealed live video to native clients (ClientHub::SealVideo); bound with CURVE only
  std::unique_ptr<AlertLog> log_;
  std::unique_ptr<CameraStore> store_;
  CameraStates states_;
  SystemProblems problems_;
  LiveRelay relay_;
  ClientHub hub_;
  WorkerControl control_;
  RegistryApi api_;
  std::unique_ptr<UserStore> users_;
  std::unique_ptr<AlertDesk> desk_;
  std::unique_ptr<AlertRetention> retention_;
  int64_t next_retention_ms_ = 0;
  std::unique_ptr<DeskApi> desk_api_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<DeskFeed> feed_;    // after http_: it serves on it
  std::unique_ptr<ClipProxy> clips_;  // after http_: its pending requests are answered first
  std::unique_ptr<ExportLog> exports_;
  std::unique_ptr<RecordingDesk> recordings_;  // after http_, like clips_
  std::unique_ptr<PlaybackSocket> playback_;   // after recordings_: it asks it
  std::unique_ptr<RecordingFeeds> feeds_;      // after recordings_ (it asks it), before rtsp_ (its players hold feeds)
  std::unique_ptr<RtspOut> rtsp_;
  std::unique_ptr<WebSocketOut> websockets_;
  std::unique_ptr<KeyApi> key_api_;
  std::unique_ptr<ChildLinks> children_;  // with CURVE only
  std::unique_ptr<ParentLink> parent_;    // when configured
  ParentLink::State parent_state_ = ParentLink::State::kConnecting;
  std::unique_ptr<GbUpward> gb_;  // when configured; after relay_: its calls watch the relay
  int64_t last_mount_sync_ms_ = 0;
  struct Counters {
    uint64_t worker_messages = 0;
    uint64_t malformed = 0;
    uint64_t lost = 0;          // given up by workers' outboxes (full)
    uint64_t resent = 0;        // messages received again (duplicates, skipped)
    uint64_t deferred = 0;      // from workers not yet assigned their cameras (sent again later)
    uint64_t log_failures = 0;  // batches the alert log could not write (not acknowledged)
    uint64_t retention_events = 0;
    uint64_t retention_messages = 0;
    uint64_t media_malformed = 0;
    uint64_t refused = 0;  // messages from keys that may not send them
    int64_t refused_logged_ms = 0;
    std::map<std::string, uint64_t> alerts_by_kind;
  } counters_;
  delivery::Inbox inbox_;  // what each worker's outbox has delivered
};

}  // namespace xl::router
