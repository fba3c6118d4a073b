#include "router/router.h"

#include "common/json_text.h"
#include "router/registry/camera_csv.h"

#include <spdlog/spdlog.h>

#include <glib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/bearer_token.h"
#include "common/clock.h"
#include "common/loopback.h"
#include "common/prometheus.h"
#include "proto/camera/camera_id.h"
#include "proto/gb28181/channel_url.h"
#include "proto/gb28181/ptz.h"
#include "proto/wire/sealed_video.h"
#include "proto/wire/wire.h"
#include "router/cascade/links_api.h"
#include "router/json_reply.h"
#include "router/workers/worker_outbox.h"

namespace xl::router {

constexpr int kClipFetchTimeoutS = 30;        // a worker slower than this to send a clip: 502
constexpr int kRecordingFetchTimeoutS = 120;  // a worker slower than this with a recording (30 min at most): 503

namespace {
constexpr int kMaxBatch = 512;        // worker messages handled per loop turn
constexpr size_t kMaxSources = 4096;  // senders the inbox tracks without CURVE
constexpr size_t kSockets = 8;        // ZeroMQ sockets polled before the GLib descriptors
constexpr int64_t kRefusalLogMs = 60 * 1000;
// A child router's link is down: "child_link_down:<site>"; this router's own to its parent.
const std::string kChildLinkDown = "child_link_down:";
constexpr const char* kParentLinkDown = "parent_link_down";

// Where the router's key pair lives when not configured: beside the database.
std::string DefaultKeyFile(const std::string& database) {
  const size_t slash = database.rfind('/');
  return (slash == std::string::npos ? std::string() : database.substr(0, slash + 1)) + "router.key";
}
}  // namespace

Router::Router(const RouterConfig& config, zmq::context_t& ctx, std::unique_ptr<AlertLog> log,
               std::unique_ptr<CameraStore> store)
    : config_(config),
      workers_(ctx, zmq::socket_type::router),
      clients_(ctx, zmq::socket_type::router),
      control_socket_(ctx, zmq::socket_type::router),
      media_(ctx, zmq::socket_type::pull),
      video_(ctx, zmq::socket_type::router),
      log_(std::move(log)),
      store_(std::move(store)),
      states_(config.worker_timeout_ms, [this](const wire::Camera& c) { OnCameraChanged(c); }),
      hub_(
          clients_, *log_, states_, relay_, [this](const std::string& id) { return RegionOf(id); },
          [this](const wire::PtzCommand& c) { return Ptz(c); }),
      control_(control_socket_, *store_, config.worker_timeout_ms, config.worker_http),
      api_(*store_, control_, states_, [this](const std::string& id) { states_.Forget(id); }) {}

namespace {

// GET / (index.html) or /web/<file> from `dir`; nothing outside it.
HttpReply ServeWebFile(const std::string& dir, const HttpRequest& req) {
  if (req.method != "GET") return {405, "text/plain", "GET only\n"};
  std::string name = req.path == "/" ? "index.html" : req.path.rfind("/web/", 0) == 0 ? req.path.substr(5) : "";
  if (name.empty() || name.find("..") != std::string::npos || name.find('/') != std::string::npos) {
    return {404, "text/plain", "not found\n"};
  }
  std::ifstream in(dir + "/" + name, std::ios::binary);
  if (!in) return {404, "text/plain", "not found\n"};
  std::ostringstream body;
  body << in.rdbuf();
  const std::string ext = name.substr(name.rfind('.') + 1);
  const char* type = ext == "html"  ? "text/html; charset=utf-8"
                     : ext == "js"  ? "text/javascript; charset=utf-8"
                     : ext == "css" ? "text/css; charset=utf-8"
                     : ext == "wav" ? "audio/wav"
                                    : "application/octet-stream";
  return {200, type, body.str()};
}

}  // namespace

Result<std::unique_ptr<Router>> Router::Create(const RouterConfig& config, zmq::context_t& ctx) {
  auto log = AlertLog::Open(config.database);
  if (!log.ok()) return log.error();
  auto store = CameraStore::Open(config.database);
  if (!store.ok()) return store.error();
  auto keys = KeyStore::Open(config.database);
  if (!keys.ok()) return keys.error();
  auto users = UserStore::Open(config.database, config.session_max_ms);
  if (!users.ok()) return users.error();
  std::unique_ptr<Router> r(new Router(config, ctx, std::move(log.value()), std::move(store.value())));
  r->keys_ = std::move(keys.value());
  r->users_ = std::move(users.value());
  auto cameras = r->log_->LoadCameras();
  if (cameras.ok()) r->states_.Seed(*cameras);
  auto marks = r->log_->LoadMarks();
  if (!marks.ok()) return marks.error();
  r->inbox_.Load(std::move(marks.value()));
  const std::pair<zmq::socket_t*, const std::string*> endpoints[] = {{&r->workers_, &config.worker_endpoint},
                                                                     {&r->clients_, &config.client_endpoint},
                                                                     {&r->control_socket_, &config.control_endpoint},
                                                                     {&r->media_, &config.media_endpoint}};
  if (config.curve) {
    const std::string key_file = config.key_file.empty() ? DefaultKeyFile(config.database) : config.key_file;
    auto pair = LoadOrCreateCurveKeyPair(key_file);
    if (!pair.ok()) return pair.error();
    r->key_pair_ = pair.value();
    Router* self = r.get();
    r->zap_ = std::make_unique<ZapHandler>(
        ctx, *r->keys_, [self](const std::string& user) { return self->users_->Find(user).has_value(); },
        [self](const std::string& ticket) { return self->hub_.TicketValid(ticket); });
    MakeCurveServer(r->workers_, r->key_pair_, kZapWorkers);
    MakeCurveServer(r->clients_, r->key_pair_, kZapClients);
    MakeCurveServer(r->control_socket_, r->key_pair_, kZapControl);
    MakeCurveServer(r->media_, r->key_pair_, kZapMedia);
    MakeTicketServer(r->video_, kZapVideo);
    spdlog::info("router: public key {} (workers and clients need it; key pair in {})", r->key_pair_.public_key,
                 key_file);
  } else {
    for (const auto& [socket, endpoint] : endpoints) {
      if (!IsLoopbackEndpoint(*endpoint)) {
        return Error{"refusing to serve " + *endpoint + " without CURVE: drop --insecure-no-curve, or bind loopback"};
      }
    }
    spdlog::warn("router: CURVE is off (--insecure-no-curve): any local process may speak as a worker or client");
  }
  // Nothing waits on shutdown for peers to read (a stalled client would hold SIGTERM
  // forever): what was acknowledged is in the log already, and the rest is sent again.
  for (zmq::socket_t* s : {&r->workers_, &r->clients_, &r->control_socket_, &r->media_, &r->video_}) {
    s->set(zmq::sockopt::linger, 0);
  }
  r->workers_.set(zmq::sockopt::maxmsgsize, kMaxWorkerMessageBytes);
  r->clients_.set(zmq::sockopt::maxmsgsize, kMaxClientRequestBytes);
  r->control_socket_.set(zmq::sockopt::maxmsgsize, kMaxControlMessageBytes);
  r->media_.set(zmq::sockopt::maxmsgsize, kMaxMediaMessageBytes);
  r->workers_.set(zmq::sockopt::rcvhwm, 100000);
  r->clients_.set(zmq::sockopt::router_mandatory, 1);
  r->clients_.set(zmq::sockopt::sndhwm, 10000);
  r->video_.set(zmq::sockopt::maxmsgsize, kMaxClientRequestBytes);
  r->video_.set(zmq::sockopt::router_mandatory, 1);
  r->video_.set(zmq::sockopt::sndhwm, 10000);
  r->control_socket_.set(zmq::sockopt::router_mandatory, 1);
  // A worker's routing ID is never handed over to a second connection (whatever key it has,
  // it would then receive that worker's cameras): a restarted worker is let in once its dead
  // connection is gone — closed by its OS, or after ZeroMQ heartbeats go unanswered.
  r->control_socket_.set(zmq::sockopt::heartbeat_ivl, 1000);
  r->control_socket_.set(zmq::sockopt::heartbeat_timeout, 5000);
  r->media_.set(zmq::sockopt::rcvhwm, 5000);
  for (const auto& [socket, endpoint] : endpoints) {
    try {
      socket->bind(*endpoint);
    } catch (const zmq::error_t& e) {
      return Error{"cannot bind " + *endpoint + ": " + e.what()};
    }
  }
  std::string video_at = "the clients endpoint";  // without CURVE native clients get their video in clear there
  if (config.curve) {
    try {
      r->video_.bind(config.video_endpoint);
    } catch (const zmq::error_t& e) {
      return Error{"cannot bind " + config.video_endpoint + ": " + e.what()};
    }
    video_at = r->video_.get(zmq::sockopt::last_endpoint);  // the port chosen, for "*"
    r->hub_.SealVideo(r->video_, uint16_t(std::stoi(video_at.substr(video_at.rfind(':') + 1))));
  }
  auto desk = AlertDesk::Open(config.database);
  if (!desk.ok()) return desk.error();
  r->desk_ = std::move(desk.value());
  if (!config.children_endpoint.empty()) {
    if (!config.curve) return Error{"child routers (--children) need CURVE: drop --insecure-no-curve"};
    auto children = ChildLinks::Open(config.database, ctx,
                                     {*r->keys_, r->inbox_, *r->desk_, r->log_->stream(), config.site_name, &r->relay_},
                                     MonotonicMs());
    if (!children.ok()) return children.error();
    r->children_ = std::move(children.value());
    if (Status s = r->children_->Bind(config.children_endpoint, r->key_pair_); !s.ok()) return s.error();
    // A camera below streams across its child's link only while it fits the link's budget.
    r->relay_.SetAdmission([links = r->children_.get()](const std::string& camera, int64_t now_ms) {
      return links->LiveRefusal(camera, now_ms);
    });
  }
  if (!config.parent.endpoint.empty()) {
    if (!config.curve) return Error{"a parent link (--parent) needs CURVE: drop --insecure-no-curve"};
    auto parent = ParentLink::Connect(ctx, config.parent, r->key_pair_, *r->log_, *r->desk_, r->relay_);
    if (!parent.ok()) return parent.error();
    r->parent_ = std::move(parent.value());
    r->parent_->SetCatalog([router = r.get()] { return router->Catalog(); });
    if (r->children_) r->parent_->SetLinkLoads([links = r->children_.get()] { return links->Loads(); });
    r->parent_->SetPtz([router = r.get()](const wire::PtzCommand& c) { return router->Ptz(c); });
  }
  if (config.gb_upper) {
    Router* self = r.get();
    auto gb = GbUpward::Start(
        *config.gb_upper, r->relay_, config.region_names,
        {[self] { return self->Catalog(); }, [self](const wire::PtzCommand& c) { return self->Ptz(c); }});
    if (!gb.ok()) return gb.error();
    r->gb_ = std::move(gb.value());
  }
  auto retention = AlertRetention::Open(config.database, config.retention);
  if (!retention.ok()) return retention.error();
  r->retention_ = std::move(retention.value());
  Router* router = r.get();
  r->desk_api_ = std::make_unique<DeskApi>(DeskApi::Sources{
      *r->users_, *r->desk_, *r->log_, *r->store_, r->states_, r->problems_, config.region_names, config.overdue_ms,
      [router](const std::string& id, const std::string& camera, const std::string& region, const std::string& state,
               const std::string& step, const std::string& user) {
        if (router->feed_) router->feed_->OnHandling(id, camera, region, state, step, user);
      },
      [router](const wire::PtzCommand& c) { return router->Ptz(c); },
      [router](const std::string& user) { router->OnUserChanged(user); },
      [router] { return router->children_ ? router->children_->Cameras() : std::vector<wire::Camera>{}; },
      [router](const std::string& camera) { return router->RegionOf(camera); },
      [router] {
        std::vector<DeskApi::SiteLink> out;
        if (router->children_) {
          for (const ChildLinks::Link& l : router->children_->Links())
            out.push_back({l.prefix, l.site, l.up, l.since_ms});
        }
        return out;
      },
      [] { return MonotonicMs(); }});
  if (r->users_->size() == 0 && !config.admin_password.empty()) {
    if (Status s = r->users_->Add({"admin", "admin", ""}, config.admin_password); !s.ok()) {
      return Error{"desk: cannot create the first admin: " + s.message()};
    }
    spdlog::info("desk: created user admin (the first user; password from XL_ADMIN_PASSWORD)");
  }
  auto http = HttpServer::Listen(config.http_address, config.http_port, config.http_tls);
  if (!http.ok()) return http.error();
  r->http_ = std::move(http.value());
  r->http_->LimitBody("/api/import", kMaxCsvBytes);  // a county's cameras as CSV; everything else is small
  r->feed_ = std::make_unique<DeskFeed>(*r->http_, *r->users_);
  r->websockets_ = std::make_unique<WebSocketOut>(
      *r->http_, r->relay_, [self = r.get()](const std::string& id) { return self->CodecOf(id); },
      [self = r.get()](const std::map<std::string, std::string>& cookies, const std::string& camera) {
        auto me = self->desk_api_->Authenticate(cookies);
        const auto region = self->RegionOf(camera);
        return me && (!region || Sees(*me, *region, camera));
      });
  Router* self = r.get();
  r->key_api_ = std::make_unique<KeyApi>(*r->keys_, *r->users_, r->key_pair_.public_key,
                                         [self](const PeerKey& key) { self->OnKeyRemoved(key); });
  r->clips_ = std::make_unique<ClipProxy>(*r->desk_api_, r->control_, kClipFetchTimeoutS);
  if (r->children_) {  // clips of events below come up the link they came by
    r->clips_->SetFromChild(
        [links = r->children_.get()](const std::string& site, const std::string& event, ClipDone done) {
          links->RequestClip(site, event, MonotonicMs(), std::move(done));
        });
  }
  if (r->parent_) {  // the parent's operators open clips of events here or below
    r->parent_->SetClip([self = r.get()](const std::string& event, ClipDone done) {
      auto place = self->desk_api_->ClipOfEvent(event);
      if (!place.ok()) return done({HttpStatusOf(place.error().code), place.error().message, ""});
      self->clips_->Fetch(*place, event, std::move(done));
    });
  }
  const std::string exports_dir = !config.exports_dir.empty()
                                      ? config.exports_dir
                                      : (std::filesystem::path(config.database).parent_path() / "exports").string();
  auto exports = ExportLog::Open(config.database, exports_dir);
  if (!exports.ok()) return exports.error();
  r->exports_ = std::move(exports.value());
  r->recordings_ = std::make_unique<RecordingDesk>(
      RecordingDesk::Sources{*r->desk_api_, r->control_, *r->log_, *r->desk_, *r->exports_,
                             [self](const std::string& camera) { return self->RegionOf(camera); },
                             [self](const std::string& camera) { return self->store_->Find(camera) != nullptr; },
                             [self](const std::string& camera) {
                               const RegisteredCamera* c = self->store_->Find(camera);
                               return c ? c->worker : std::string();
                             }},
      kRecordingFetchTimeoutS);
  r->playback_ = std::make_unique<PlaybackSocket>(
      *r->http_, *r->recordings_, [self](const std::map<std::string, std::string>& cookies, const std::string& camera) {
        return self->recordings_->MayPlay(cookies, camera);
      });
  r->feeds_ = std::make_unique<RecordingFeeds>(*r->recordings_);
  auto rtsp = RtspOut::Start(config.rtsp, r->relay_,
                             [feeds = r->feeds_.get()](const std::string& camera) { return feeds->Open(camera); });
  if (!rtsp.ok()) return rtsp.error();
  r->rtsp_ = std::move(rtsp.value());
  r->rtsp_->SetLogins(r->users_->RtspLogins());
  r->http_->RouteAsync("/api/", [self](const HttpRequest& req, HttpServer::Responder respond) {
    if (auto clip = ClipProxy::ClipRequest(req)) return self->clips_->Serve(req, *clip, std::move(respond));
    if (RecordingDesk::Handles(req)) return self->recordings_->Serve(req, std::move(respond));
    if (auto reply = self->ApiReply(req, respond)) respond(std::move(*reply));
  });
  // Prometheus shows a bearer token (XL_METRICS_TOKEN); a person, a desk session.
  r->http_->Route("/metrics", [self, token = config.metrics_token](const HttpRequest& req) {
    const bool scraper = BearerMatches(req, token);
    if (!scraper && !self->desk_api_->Authenticate(req.cookies)) {
      return JsonFault(401, "log in first, or scrape with Authorization: Bearer $XL_METRICS_TOKEN");
    }
    return self->Metrics();
  });
  r->http_->Route("/healthz", [](const HttpRequest&) { return HttpReply{200, "text/plain", "ok\n"}; });
  // The desk's page: static files with no data in them (all data comes from the API, which
  // needs a session), so they are served to anyone, the login form included.
  r->http_->Route("/", [dir = config.web_dir](const HttpRequest& req) { return ServeWebFile(dir, req); });
  spdlog::info(
      "router: workers at {}, control at {}, media at {}, clients at {} (video at {}), children at {}, HTTP at "
      "{}://{}:{}, RTSP at rtsp://{}:{}/<camera-id>, log {} (head seq {}), {} cameras registered",
      config.worker_endpoint, config.control_endpoint, config.media_endpoint, config.client_endpoint, video_at,
      r->children_ ? config.children_endpoint : "(none)", r->http_->tls() ? "https" : "http", config.http_address,
      r->http_->port(), config.rtsp.address, r->rtsp_->port(), config.database, r->log_->head(),
      r->store_->cameras().size());
  return r;
}

void Router::OnUserChanged(const std::string& user) {
  if (rtsp_) rtsp_->SetLogins(users_->RtspLogins());
  // Native clients follow their user: dropped when the user is disabled, removed or moved to
  // another region (a client subscribes again under the new scope; a disabled user's key is
  // refused until the user is enabled again).
  const auto active = users_->Find(user);
  hub_.ForgetUser(user, active ? std::optional(active->region) : std::nullopt, MonotonicMs());
  if (users_->Get(user)) return;
  // A removed user's keys go, so a new user of the same name does not inherit them.
  for (const PeerKey& key : keys_->List()) {
    if (key.kind == PeerKind::kUser && key.name == user && keys_->Remove(key.public_key).ok()) {
      spdlog::info("keys: removed client key {} of removed user {}", key.public_key, user);
    }
  }
}

void Router::OnKeyRemoved(const PeerKey& key) {
  hub_.ForgetKey(key.public_key, MonotonicMs());
  // A child router whose last key went is no longer a child: its link and cameras go.
  if (key.kind == PeerKind::kChild && children_ && children_->Forget(key.name)) {
    ClearProblem(kChildLinkDown + key.name);
    spdlog::info("cascade: {} is no longer a child of this router (its key was removed)", key.name);
  }
}

void Router::OnCameraChanged(const wire::Camera& camera) {
  Status s = camera.state() == wire::CAMERA_STATE_REMOVED ? log_->ForgetCamera(camera.id()) : log_->SaveCamera(camera);
  if (!s.ok()) spdlog::error("{}", s.message());
  hub_.OnCameraChanged(camera);
  if (feed_) feed_->OnCamera(camera);
}

std::optional<HttpReply> Router::ApiReply(const HttpRequest& req, const HttpServer::Responder& respond) {
  if (desk_api_->Handles(req.path)) return desk_api_->Handle(req, respond);
  // The registry API: any logged-in user reads (inside their region), only an admin changes.
  auto me = desk_api_->Authenticate(req.cookies);
  if (!me) return JsonFault(401, "log in first (POST /api/login)");
  if (req.path == "/api/keys" || req.path.rfind("/api/keys/", 0) == 0) {
    if (me->role != "admin") return JsonFault(403, "only an admin manages keys");
    return key_api_->Handle(req, *me);
  }
  if (req.path == "/api/links") {  // links to other routers: for admins (ops)
    if (me->role != "admin") return JsonFault(403, "only an admin reads the links");
    if (req.method != "GET") return JsonFault(405, "GET only");
    return JsonReply(200, LinksJson(parent_.get(), children_.get(), gb_.get(), me->region, MonotonicMs()));
  }
  if (req.path == "/api/workers" && me->role != "admin") {  // hosts and load: for admins (ops)
    return JsonFault(403, "only an admin reads the workers");
  }
  if (req.path == "/api/live") {  // the relay's state of every camera: for admins (ops)
    if (me->role != "admin") return JsonFault(403, "only an admin reads the relay's state");
    return HttpReply{200, "application/json", JsonText(relay_.Stats(MonotonicMs()))};
  }
  if (req.method != "GET" && me->role != "admin") return JsonFault(403, "only an admin changes cameras");
  return api_.Handle(req, me->region);
}

namespace {
// Receives up to kMaxBatch [identity, body] messages from a ROUTER socket and hands each to
// `handle(identity, body)`; extra frames are dropped (the last one is taken as the body).
template <typename Handle>
void DrainPeers(zmq::socket_t& socket, Handle handle) {
  for (int i = 0; i < kMaxBatch; ++i) {
    zmq::message_t identity, body;
    if (!socket.recv(identity, zmq::recv_flags::dontwait)) break;
    if (!identity.more() || !socket.recv(body, zmq::recv_flags::dontwait)) continue;
    while (body.more()) {
      zmq::message_t extra;
      if (!socket.recv(extra, zmq::recv_flags::dontwait)) break;
      body.swap(extra);
    }
    handle(identity.to_string(), body);
  }
}
}  // namespace

void Router::DrainWorkers(int64_t now_ms, std::vector<wire::Alert>* batch,
                          std::map<std::string, std::string>* replies) {
  std::vector<wire::Alert>& alerts = *batch;
  std::map<std::string, std::string>& reply_to = *replies;  // source → routing ID of its latest message
  DrainPeers(workers_, [&](const std::string& id, const zmq::message_t& frame) {
    wire::Envelope env;
    ++counters_.worker_messages;
    if (!FromFrame(frame, &env)) {
      ++counters_.malformed;
      spdlog::warn("router: dropped a malformed worker message ({} bytes)", frame.size());
      return;
    }
    const auto sender = WorkerOf(frame);
    if (!sender || (!sender->empty() && *sender != env.source())) {
      Refused("workers", sender ? "worker " + *sender + " sent as '" + env.source() + "'" : "a key that is no worker's",
              now_ms);
      return;
    }
    // Without CURVE anyone names the source: their number is bounded.
    if (sender->empty() && !inbox_.Known(env.source()) && inbox_.size() >= kMaxSources) {
      Refused("workers", "too many sources", now_ms);
      return;
    }
    // Not yet back on the control channel (the router has just started): which cameras are
    // its is not known yet. Not taken, not acknowledged: it sends again in a moment.
    if (!sender->empty() && !control_.Assigned(*sender)) {
      ++counters_.deferred;
      return;
    }
    if (env.seq() == 0) {  // unsequenced: status reports only (each complete, the next follows)
      if (!env.has_status()) return;
    } else {
      reply_to[env.source()] = id;
      using Verdict = delivery::Inbox::Verdict;
      const Verdict verdict = inbox_.Check(env.source(), env.stream(), env.seq(), env.after());
      if (verdict != Verdict::kNext) {
        counters_.resent += verdict == Verdict::kDuplicate;
        return;  // had it, or something before it is still to come
      }
      if (const uint64_t gone = inbox_.Take(env.source(), env.stream(), env.seq(), env.after())) {
        spdlog::warn("worker {}: {} messages given up by its outbox (full) before #{}", env.source(), gone, env.seq());
        counters_.lost += gone;
      }
    }
    states_.Heard(env.source(), now_ms);
    switch (env.body_case()) {
      // Reports on cameras not assigned to the sender (removed or moved a moment ago) are ignored.
      case wire::Envelope::kCamera:
        if (AssignedTo(env.camera().id(), *sender)) states_.Update(env.camera(), now_ms);
        break;
      case wire::Envelope::kStatus:
        if (!sender->empty() && env.status().worker() != *sender) break;
        states_.SetWorkerCpu(env.status().worker(), env.status().cpu_cores());
        OnWorkerOutbox(env.status().worker(), env.status().outbox());
        OnWorkerRecording(env.status().worker(), env.status().recording());
        for (const wire::Camera& c : env.status().cameras()) {
          if (AssignedTo(c.id(), *sender)) states_.Update(c, now_ms);
        }
        break;
      case wire::Envelope::kAlert: {
        if (Status s = ValidateCameraId(env.alert().camera_id()); !s.ok()) {
          spdlog::warn("router: dropped an alert from {}: {}", env.source(), s.message());
          break;
        }
        // Its camera now, or one it ran (an alert raised before the camera moved on arrives
        // later: after a router restart, or from the outbox of a worker that comes back).
        const RegisteredCamera* camera = store_->Find(env.alert().camera_id());
        if (!camera || (!AssignedTo(*camera, *sender) && !states_.RanBy(env.alert().camera_id(), *sender))) {
          Refused("workers",
                  "worker " + env.source() + " sent an alert of camera " + env.alert().camera_id() +
                      ", which it does not run and has not run",
                  now_ms);
          break;
        }
        alerts.push_back(env.alert());
        alerts.back().set_worker(env.source());
        // The registry names the camera and its region, not the worker (which may lag a
        // rename, or lie): region scoping rests on this.
        if (camera) {
          if (!camera->spec.name().empty()) alerts.back().set_camera_name(camera->spec.name());
          if (!camera->spec.region().empty()) alerts.back().set_region(camera->spec.region());
        }
        ++counters_.alerts_by_kind[KindName(env.alert().kind())];
        break;
      }
      default:
        break;
    }
  });
}

void Router::DrainAlerts(int64_t now_ms, bool workers, bool children) {
  std::vector<wire::Alert> alerts;
  std::map<std::string, std::string> reply_to;  // worker → routing ID of its latest message
  if (workers) DrainWorkers(now_ms, &alerts, &reply_to);
  if (children) children_->Drain(now_ms, &alerts);
  if (reply_to.empty() && inbox_.Pending().empty() && alerts.empty()) {
    if (children) children_->Acknowledge();  // hellos are answered with the marks
    return;
  }
  // Durable first (the alerts with the marks of what was taken), then acknowledged, then out
  // to clients. Not durable: nothing is acknowledged, and the senders send it all again.
  std::vector<std::string> reopened;
  const bool writes = !alerts.empty() || !inbox_.Pending().empty();  // else nothing proves the disk has room
  auto seqs = log_->Append(alerts, inbox_.Pending(), &reopened);
  if (!seqs.ok()) {
    inbox_.Discard();
    ++counters_.log_failures;
    OnAlertLogFailed(seqs.error());
    if (children) children_->Acknowledge();  // what was committed before: nothing new
    return;
  }
  if (writes) OnAlertLogWritten();
  for (const std::string& id : reopened) {
    auto a = std::find_if(alerts.begin(), alerts.end(), [&](const wire::Alert& x) { return x.id() == id; });
    spdlog::info("camera {} ({}): event {} open again: its worker is back", a->camera_id(), a->camera_name(), id);
  }
  inbox_.Commit();
  for (const auto& [source, id] : reply_to) {
    const delivery::Mark m = inbox_.Committed(source);
    if (!m.seq) continue;
    wire::DeliveryAck ack;
    ack.set_stream(m.stream);
    ack.set_seq(m.seq);
    zmq::message_t identity(id.data(), id.size());
    workers_.send(identity, zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    workers_.send(ToFrame(ack), zmq::send_flags::dontwait);
  }
  if (children) children_->Acknowledge();
  FanOut(std::move(alerts), *seqs);
}

void Router::FanOut(std::vector<wire::Alert> alerts, const std::vector<uint64_t>& seqs) {
  if (alerts.empty()) return;
  if (gb_) {  // the upper GB/T 28181 platform hears of them as alarms
    const int64_t now = MonotonicMs();
    for (const wire::Alert& a : alerts) gb_->OnAlert(a, now);
  }
  std::vector<wire::LoggedAlert> logged(alerts.size());
  for (size_t i = 0; i < alerts.size(); ++i) {
    logged[i].set_seq(seqs[i]);
    *logged[i].mutable_alert() = std::move(alerts[i]);
  }
  hub_.OnLogged(logged);
  for (const wire::LoggedAlert& l : logged) feed_->OnAlert(l);
}

namespace {
// The keys of the alert log's problems (SystemProblems): one at a time.
constexpr const char* kLogDiskFull = "alert_log_disk_full";
constexpr const char* kLogUnwritable = "alert_log_unwritable";
// A worker's outbox is nearly full: "worker_outbox_full:<worker>".
const std::string kOutboxFull = "worker_outbox_full:";
// A worker's recording has stopped (disk full, folder gone): "recording_stopped:<worker>".
const std::string kRecordingStopped = "recording_stopped:";
}  // namespace

void Router::RaiseProblem(const std::string& key, const std::string& text) {
  const SystemProblems::Change change = problems_.Raise(key, text, NowMs());
  if (change == SystemProblems::Change::kSame) return;
  if (change == SystemProblems::Change::kNew) spdlog::error("router: {}", text);
  if (feed_) feed_->OnSystem(problems_.Json());
}

void Router::ClearProblem(const std::string& key) {
  if (!problems_.Clear(key)) return;
  spdlog::info("router: over: {}", key);
  if (feed_) feed_->OnSystem(problems_.Json());
}

std::vector<wire::Camera> Router::Catalog() const {
  std::vector<wire::Camera> out;
  for (const auto& [id, c] : store_->cameras()) {
    wire::Camera& e = out.emplace_back();
    e.set_id(id);
    e.set_name(c.spec.name());
    e.set_region(c.spec.region());
    auto st = states_.cameras().find(id);
    if (!c.spec.enabled()) {
      e.set_state(wire::CAMERA_STATE_DISABLED);
    } else if (st != states_.cameras().end()) {
      e.set_state(st->second.state());
      e.set_reason(st->second.reason());
      e.set_since_ms(st->second.since_ms());
      e.set_codec(st->second.codec());
      *e.mutable_faults() = st->second.faults();
    }
    e.set_ptz(gb28181::ParseGbUrl(c.spec.url()).has_value());
  }
  if (children_) {
    for (wire::Camera& c : children_->Cameras()) out.push_back(std::move(c));
  }
  return out;
}

void Router::WatchLinks(int64_t now_ms) {
  if (children_) {
    for (const ChildLinks::Change& c : children_->Expire(now_ms)) {
      if (c.up) {
        ClearProblem(kChildLinkDown + c.site);
      } else {
        RaiseProblem(kChildLinkDown + c.site,
                     "link to " + c.site + " down: its alerts are kept there until it is back");
      }
    }
    for (const wire::Camera& c : children_->TakeCameraChanges()) feed_->OnCamera(c);
    OnArrivedSteps(children_->TakeArrivedSteps());
  }
  if (parent_) OnArrivedSteps(parent_->TakeArrivedSteps());
  if (parent_ && parent_->stats().state != parent_state_) {
    parent_state_ = parent_->stats().state;
    if (parent_state_ == ParentLink::State::kDown) {
      RaiseProblem(kParentLinkDown, "link to the parent centre (" + parent_->endpoint() +
                                        ") down: alerts are kept here until it is back");
    } else if (parent_state_ == ParentLink::State::kUp) {
      ClearProblem(kParentLinkDown);
    }
  }
}

void Router::OnArrivedSteps(const std::vector<LoggedStep>& steps) {
  for (const LoggedStep& s : steps) {
    const std::string state = desk_->StateOf(s.alert.id);
    spdlog::info("desk: alert {} {} by {} at {}{}{} (now {})", s.alert.id, s.step.step, s.step.user, s.step.site,
                 s.step.unit.empty() ? "" : " to " + s.step.unit, s.step.note.empty() ? "" : ": " + s.step.note, state);
    feed_->OnHandling(s.alert.id, s.alert.camera_id, s.alert.region, state, s.step.step, s.step.user);
  }
}

void Router::OnWorkerOutbox(const std::string& worker, const wire::OutboxStatus& outbox) {
  const std::string key = kOutboxFull + worker;
  const auto text = OutboxProblem(worker, outbox, problems_.Has(key));
  if (text) {
    RaiseProblem(key, *text);
  } else {
    ClearProblem(key);
  }
}

void Router::OnWorkerRecording(const std::string& worker, const wire::RecordingStatus& recording) {
  const std::string key = kRecordingStopped + worker;
  if (recording.enabled() && !recording.problem().empty()) {
    RaiseProblem(key, "worker " + worker + ": recording stopped: " + recording.problem());
  } else if (problems_.Has(key)) {
    spdlog::info("router: worker {} records again", worker);
    ClearProblem(key);
  }
}

void Router::OnAlertLogFailed(const Error& error) {
  const bool full = error.code == ErrorCode::kResourceExhausted;
  const char* key = full ? kLogDiskFull : kLogUnwritable;
  const std::string text =
      full ? "alert log: disk full (" + config_.database + "); workers keep their alerts until there is room"
           : error.message + "; workers keep their alerts until it can be written";
  ClearProblem(full ? kLogUnwritable : kLogDiskFull);
  RaiseProblem(key, text);
}

void Router::OnAlertLogWritten() {
  if (!problems_.Has(kLogDiskFull) && !problems_.Has(kLogUnwritable)) return;
  spdlog::info("router: the alert log is written again");
  ClearProblem(kLogDiskFull);
  ClearProblem(kLogUnwritable);
}

int64_t Router::ApplyRetention() {
  auto deleted = retention_->Step(NowMs());
  if (!deleted.ok()) {
    spdlog::warn("router: {}", deleted.error().message);
    return 60000;
  }
  if (deleted->events) {
    counters_.retention_events += uint64_t(deleted->events);
    counters_.retention_messages += uint64_t(deleted->messages);
    spdlog::debug("retention: {} events ({} messages) deleted", deleted->events, deleted->messages);
  }
  return deleted->more ? 200 : 10000;
}

void Router::EndOpenEvents(const std::vector<std::string>& cameras, const std::string& reason) {
  std::vector<wire::Alert> ends;
  const int64_t now = NowMs();
  for (const std::string& camera : cameras) {
    auto open = log_->OpenEventsOf(camera);
    if (!open.ok()) {
      spdlog::error("{}", open.error().message);
      continue;
    }
    for (wire::Alert& a : *open) {
      a.set_phase(wire::ALERT_PHASE_END);
      a.set_time_ms(now);
      a.set_end_ms(now);
      a.clear_boxes();
      a.clear_snapshot_jpeg();
      a.clear_crop_jpeg();
      a.set_end_reason(reason);
      spdlog::info("camera {} ({}): event {} ended: {}", a.camera_id(), a.camera_name(), a.id(), reason);
      ends.push_back(std::move(a));
    }
  }
  if (ends.empty()) return;
  auto seqs = log_->Append(ends);
  if (!seqs.ok()) {
    spdlog::error("{}: {} open events not ended", seqs.error().message, ends.size());
    return;
  }
  FanOut(std::move(ends), *seqs);
}

void Router::DrainClients(int64_t now) {
  DrainPeers(clients_, [&](const std::string& id, const zmq::message_t& body) {
    if (auto caller = CallerOf(body)) {
      hub_.OnRequest(id, body, *caller, now);
    } else {
      Refused("clients", "a key that is no desk user's", now);
    }
  });
}

void Router::DrainVideo(int64_t now) {
  // Only holders of a ticket get in (ZAP); a hello says which client's connection this is.
  DrainPeers(video_,
             [&](const std::string& id, const zmq::message_t& body) { hub_.OnVideoHello(id, PeerKeyOf(body), now); });
}

void Router::DrainControl(int64_t now) {
  DrainPeers(control_socket_, [&](const std::string& id, const zmq::message_t& body) {
    const auto sender = WorkerOf(body);
    if (!sender || (!sender->empty() && *sender != id)) {
      Refused("control", sender ? "worker " + *sender + " spoke as '" + id + "'" : "a key that is no worker's", now);
      return;
    }
    if (!control_.OnMessage(id, body, now)) return;
    // A worker process that has just started knows nothing of the events its previous
    // process left open: they end now. (What that process's outbox still holds of them is
    // older than this end, and does not open them again.)
    std::vector<std::string> cameras;
    for (const auto& [camera, state] : states_.cameras()) {
      if (state.worker() == id) cameras.push_back(camera);
    }
    EndOpenEvents(cameras, "worker restarted");
  });
}

std::optional<std::string> Router::WorkerOf(const zmq::message_t& msg) const {
  if (!config_.curve) return std::string();
  const PeerKey* key = keys_->Cached(PeerKeyOf(msg));
  if (!key || key->kind != PeerKind::kWorker) return std::nullopt;
  return key->name;
}

std::optional<ClientCaller> Router::CallerOf(const zmq::message_t& msg) {
  if (!config_.curve) return ClientCaller{"(no CURVE)", "", ""};
  const PeerKey* key = keys_->Cached(PeerKeyOf(msg));
  if (!key || key->kind != PeerKind::kUser) return std::nullopt;
  auto user = users_->Find(key->name);
  if (!user) return std::nullopt;
  return ClientCaller{user->name, user->region, key->public_key};
}

bool Router::AssignedTo(const std::string& camera, const std::string& worker) const {
  const RegisteredCamera* c = store_->Find(camera);
  return c && AssignedTo(*c, worker);
}

bool Router::AssignedTo(const RegisteredCamera& camera, const std::string& worker) {
  return worker.empty() || camera.worker == worker;
}

void Router::Refused(const char* endpoint, const std::string& why, int64_t now_ms) {
  ++counters_.refused;
  if (counters_.refused_logged_ms && now_ms - counters_.refused_logged_ms < kRefusalLogMs) return;
  counters_.refused_logged_ms = now_ms;
  spdlog::warn("router: refused a message on the {} endpoint: {} ({} refused so far)", endpoint, why,
               counters_.refused);
}

std::string Router::CodecOf(const std::string& camera) const {
  if (!store_->Find(camera)) {
    const auto below = children_ ? children_->CameraOf(camera) : std::nullopt;
    return below ? below->codec() : "";
  }
  auto s = states_.cameras().find(camera);
  return s == states_.cameras().end() ? "" : s->second.codec();
}

std::optional<std::string> Router::RegionOf(const std::string& camera) const {
  if (const RegisteredCamera* c = store_->Find(camera)) return c->spec.region();
  const auto below = children_ ? children_->CameraOf(camera) : std::nullopt;
  return below ? std::optional(below->region()) : std::nullopt;
}

Status Router::Ptz(const wire::PtzCommand& command) {
  if (store_->Find(command.camera_id()) || !children_) return control_.SendPtz(command);
  // A camera below: the action is checked here, so the user hears of a typo at once.
  if (auto cmd = gb28181::PtzCmdFor(command.action(), 128, int(command.preset())); !cmd.ok()) return cmd.error();
  return children_->SendPtz(command);
}

void Router::SyncRtspMounts() {
  std::map<std::string, RtspCamera> cameras;
  for (const auto& [id, c] : store_->cameras()) {
    cameras[id] = RtspCamera{CodecOf(id), c.spec.region(), true};
  }
  if (children_) {  // cameras below: their video comes through the links
    for (const wire::Camera& c : children_->Cameras()) {
      if (!c.codec().empty() && !cameras.count(c.id())) cameras[c.id()] = RtspCamera{c.codec(), c.region()};
    }
  }
  rtsp_->SetCameras(cameras);
}

void Router::DrainMedia(int64_t now) {
  zmq::message_t msg;
  for (int i = 0; i < kMaxBatch && media_.recv(msg, zmq::recv_flags::dontwait); ++i) {
    const auto sender = WorkerOf(msg);
    if (!sender) {
      Refused("media", "a key that is no worker's", now);
      continue;
    }
    const auto intake =
        relay_.OnMessage(msg, now, [&](const std::string& camera) { return AssignedTo(camera, *sender); });
    if (intake == LiveRelay::Intake::kRefused) {
      Refused("media", "worker " + *sender + " sent video of a camera not assigned to it", now);
    } else if (intake == LiveRelay::Intake::kMalformed && ++counters_.media_malformed % 100 == 1) {
      spdlog::warn("router: dropped a malformed video frame ({} bytes; {} so far)", msg.size(),
                   counters_.media_malformed);
    }
  }
}

HttpReply Router::Metrics() {
  PromText m;
  std::map<std::string, int> by_state;
  for (const auto& [id, c] : store_->cameras()) {
    auto s = states_.cameras().find(id);
    by_state[!c.spec.enabled()              ? "disabled"
             : s == states_.cameras().end() ? "unknown"
                                            : StateName(s->second.state())]++;
  }
  m.Family("xl_cameras", "gauge", "Registered cameras by state.");
  for (const char* st : {"connecting", "online", "offline", "reconnecting", "disabled", "unknown"}) {
    m.Sample(by_state[st], {{"state", st}});
  }
  int live = 0;
  for (const WorkerInfo& w : control_.Workers()) live += w.live;
  m.Metric("xl_workers_live", "gauge", "Workers heard within the timeout.", live);
  m.Family("xl_alerts_total", "counter", "Alert messages logged since the router started, by kind.");
  for (const auto& [kind, n] : counters_.alerts_by_kind) m.Sample(double(n), {{"kind", kind}});
  m.Metric("xl_alert_log_head", "gauge", "Sequence number of the newest logged alert.", double(log_->head()));
  m.Metric("xl_worker_messages_total", "counter", "Messages received from workers.", double(counters_.worker_messages));
  m.Metric("xl_worker_messages_malformed_total", "counter", "Worker messages dropped as malformed.",
           double(counters_.malformed));
  m.Metric("xl_worker_messages_lost_total", "counter", "Messages workers' outboxes gave up (full) before delivery.",
           double(counters_.lost));
  m.Metric("xl_worker_messages_deferred_total", "counter",
           "Messages of workers not yet assigned their cameras (left for them to send again).",
           double(counters_.deferred));
  m.Metric("xl_worker_messages_resent_total", "counter", "Messages workers sent again that the router had already.",
           double(counters_.resent));
  m.Metric("xl_alert_log_write_failures_total", "counter",
           "Batches of worker messages the alert log could not write (not acknowledged; sent again).",
           double(counters_.log_failures));
  m.Metric("xl_retention_events_deleted_total", "counter",
           "Events deleted by retention (age or size budget), with their messages and handling.",
           double(counters_.retention_events));
  m.Metric("xl_retention_messages_deleted_total", "counter", "Alert messages deleted by retention.",
           double(counters_.retention_messages));
  m.Metric("xl_alert_log_bytes", "gauge", "Bytes of the router's database in use (what a size budget counts).",
           double(retention_->UsedBytes()));
  m.Metric("xl_alert_log_disk_full", "gauge",
           "1 while the alert log's disk is full: nothing is acknowledged, workers keep their alerts.",
           problems_.Has(kLogDiskFull) ? 1.0 : 0.0);
  m.Family("xl_system_problem", "gauge", "The router's own problems (shown on every desk), by key; 1 while raised.");
  for (const auto& [key, p] : problems_.all()) m.Sample(1.0, {{"key", key}});
  m.Metric("xl_refused_messages_total", "counter",
           "Messages refused because their sender's key may not send them (unknown, removed, or another worker's "
           "cameras).",
           double(counters_.refused));
  m.Metric("xl_refused_connections_total", "counter",
           "CURVE handshakes and video logins refused (unknown or misused keys, no ticket).",
           double(zap_ ? zap_->refused() : 0));
  if (parent_) {
    const ParentLink::Stats p = parent_->stats();
    m.Metric("xl_link_parent_up", "gauge", "1 while the parent router answers.", p.state == ParentLink::State::kUp);
    m.Metric("xl_link_parent_lag_alerts", "gauge", "Alerts logged here that the parent does not have yet.",
             double(p.lag));
    m.Metric("xl_link_parent_sent_total", "counter", "Alerts sent to the parent (again ones included).",
             double(p.sent));
    m.Metric("xl_link_parent_resends_total", "counter", "Times sending to the parent went back to its mark.",
             double(p.resends));
    m.Metric("xl_link_parent_refused_total", "counter", "Alerts the parent would not keep (outside our region).",
             double(p.refused));
  }
  if (children_) {
    const auto links = children_->Links();
    m.Family("xl_link_child_up", "gauge", "Child routers' links by site: 1 while the child says hello.");
    for (const auto& l : links) m.Sample(l.up, {{"site", l.site}});
    m.Family("xl_link_child_alerts_total", "counter", "Alerts kept from each child router since the start.");
    for (const auto& l : links) m.Sample(double(l.alerts), {{"site", l.site}});
    m.Family("xl_link_child_refused_total", "counter",
             "Messages refused from each child router since the start (outside its region, malformed).");
    for (const auto& l : links) m.Sample(double(l.refused), {{"site", l.site}});
    m.Family("xl_link_child_live_kbps", "gauge", "Live video crossing each child router's link, kbit/s.");
    for (const auto& l : links) m.Sample(double(l.live_kbps), {{"site", l.site}});
    m.Family("xl_link_child_live_refused_total", "counter",
             "Live streams refused for each child router's link budget since the start.");
    for (const auto& l : links) m.Sample(double(l.live_refused), {{"site", l.site}});
  }
  m.Metric("xl_clients", "gauge", "Connected console and desk clients.", double(hub_.size()));
  m.Metric("xl_live_websocket_viewers", "gauge", "Browsers watching live video.", double(websockets_->viewers()));
  m.Metric("xl_live_rtsp_players", "gauge", "RTSP connections (players), over all sender threads.",
           double(rtsp_->players()));
  m.Metric("xl_live_rtsp_skips_total", "counter", "Times an RTSP player fell behind and was skipped to a keyframe.",
           double(rtsp_->skips()));
  m.Metric("xl_live_viewers", "gauge", "Live video viewers, all kinds.", double(relay_.viewer_count()));
  m.Metric("xl_live_video_key_renewals_total", "counter",
           "Times every camera's video key was renewed for native viewers (a client lost its access).",
           double(hub_.key_renewals()));
  m.Metric("xl_live_frames_in_total", "counter", "Live video frames received from workers.",
           double(relay_.frames_in()));
  m.Metric("xl_live_gaps_total", "counter", "Gaps in live video from workers (viewers waited for a keyframe).",
           double(relay_.gaps()));
  return {200, "text/plain; version=0.0.4", m.text()};
}

void Router::Run(const std::atomic<bool>& stop) {
  // The GLib context (HTTP server) is polled together with the ZeroMQ sockets.
  GMainContext* glib = g_main_context_default();
  g_main_context_acquire(glib);
  std::vector<GPollFD> fds(8);
  std::vector<zmq::pollitem_t> items;
  while (!stop.load()) {
    gint max_priority = 0, timeout = -1;
    g_main_context_prepare(glib, &max_priority);
    int n;
    while ((n = g_main_context_query(glib, max_priority, &timeout, fds.data(), int(fds.size()))) > int(fds.size())) {
      fds.resize(size_t(n));
    }
    items = {{workers_.handle(), 0, ZMQ_POLLIN, 0},
             {clients_.handle(), 0, ZMQ_POLLIN, 0},
             {control_socket_.handle(), 0, ZMQ_POLLIN, 0},
             {media_.handle(), 0, ZMQ_POLLIN, 0},
             {zap_ ? zap_->socket().handle() : nullptr, 0, short(zap_ ? ZMQ_POLLIN : 0), 0},
             {video_.handle(), 0, ZMQ_POLLIN, 0},
             {children_ ? children_->socket().handle() : nullptr, 0, short(children_ ? ZMQ_POLLIN : 0), 0},
             {parent_ ? parent_->socket().handle() : nullptr, 0, short(parent_ ? ZMQ_POLLIN : 0), 0}};
    for (int i = 0; i < n; ++i) {
      short ev = 0;
      if (fds[i].events & G_IO_IN) ev |= ZMQ_POLLIN;
      if (fds[i].events & G_IO_OUT) ev |= ZMQ_POLLOUT;
      items.push_back({nullptr, fds[i].fd, ev, 0});
    }
    const long wait = timeout < 0 ? 100 : std::min(timeout, 100);
    try {
      zmq::poll(items.data(), items.size(), std::chrono::milliseconds(wait));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
    }
    for (int i = 0; i < n; ++i) {
      const short rev = items[kSockets + size_t(i)].revents;
      fds[i].revents = gushort((rev & ZMQ_POLLIN ? G_IO_IN : 0) | (rev & ZMQ_POLLOUT ? G_IO_OUT : 0) |
                               (rev & ZMQ_POLLERR ? G_IO_ERR : 0));
    }
    if (g_main_context_check(glib, max_priority, fds.data(), n)) g_main_context_dispatch(glib);

    const int64_t now = MonotonicMs();
    if (items[4].revents & ZMQ_POLLIN) zap_->OnReadable(now);
    const bool from_children = items[6].revents & ZMQ_POLLIN;
    if ((items[0].revents & ZMQ_POLLIN) || from_children)
      DrainAlerts(now, items[0].revents & ZMQ_POLLIN, from_children);
    if (items[7].revents & ZMQ_POLLIN) parent_->OnReadable(now);
    if (items[1].revents & ZMQ_POLLIN) DrainClients(now);
    if (items[2].revents & ZMQ_POLLIN) DrainControl(now);
    if (items[3].revents & ZMQ_POLLIN) DrainMedia(now);
    if (items[5].revents & ZMQ_POLLIN) DrainVideo(now);
    if (auto lost = states_.Expire(now); !lost.workers.empty()) {
      EndOpenEvents(lost.cameras, "worker lost");
      for (const std::string& w : lost.workers) {
        ClearProblem(kOutboxFull + w);
        ClearProblem(kRecordingStopped + w);
      }
    }
    control_.Pump(now);
    const std::set<std::string> wanted = relay_.Wanted(now);
    control_.SetWanted(wanted, now);
    if (children_) children_->SetWanted(wanted, now);
    if (now - last_mount_sync_ms_ >= 1000) {
      relay_.Prune(now);
      SyncRtspMounts();
      last_mount_sync_ms_ = now;
    }
    if (now >= next_retention_ms_) next_retention_ms_ = now + ApplyRetention();
    if (parent_) parent_->Pump(now);
    if (gb_) gb_->Pump(now);
    if (children_) children_->Pump(now);
    WatchLinks(now);
    hub_.Pump(now);
  }
  g_main_context_release(glib);
}

}  // namespace xl::router
