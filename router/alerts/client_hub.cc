#include "router/alerts/client_hub.h"

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "proto/camera/camera_id.h"
#include "proto/wire/sealed_video.h"
#include "proto/wire/wire.h"
#include "router/workers/camera_states.h"

namespace xl::router {

namespace {
constexpr int64_t kClientTimeoutMs = 15000;
constexpr int64_t kHeartbeatMs = 1000;
constexpr int kReplayBatch = 200;
constexpr int64_t kVideoStallMs = 3000;
}  // namespace

ClientHub::ClientHub(zmq::socket_t& socket, AlertLog& log, const CameraStates& cameras, LiveRelay& relay,
                     std::function<std::optional<std::string>(const std::string&)> region_of,
                     std::function<Status(const wire::PtzCommand&)> ptz)
    : socket_(socket),
      log_(log),
      cameras_(cameras),
      relay_(relay),
      region_of_(std::move(region_of)),
      ptz_(std::move(ptz)) {}

ClientHub::~ClientHub() {
  for (auto& [identity, c] : clients_) {
    for (auto& [camera, v] : c.watching) relay_.Remove(v.get(), 0);
  }
}

void ClientHub::SealVideo(zmq::socket_t& video, uint16_t port) {
  video_ = &video;
  video_port_ = port;
}

bool ClientHub::Viewer::Offer(const LiveFramePtr& frame) {
  if (MonotonicMs() - *last_heard_ms_ > kVideoStallMs) return false;  // not reading
  if (identity_->empty()) return false;                               // no video connection (yet)
  // The bytes go out as they are, shared by every viewer; ZeroMQ holds a reference until it
  // has sent them.
  // Sealed: the frame's sealed copy; in clear: its client message, which the frame owns.
  using Bytes = std::shared_ptr<const std::string>;
  auto* hold = new Bytes(keys_ ? keys_->Sealed(*frame) : Bytes(frame, &frame->client_message));
  zmq::message_t body(
      const_cast<char*>((*hold)->data()), (*hold)->size(), [](void*, void* hint) { delete static_cast<Bytes*>(hint); },
      hold);
  try {
    if (!socket_.send(zmq::buffer(*identity_), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) return false;
    return socket_.send(body, zmq::send_flags::dontwait).has_value();
  } catch (const zmq::error_t&) {
    gone_ = true;  // EHOSTUNREACH: the connection (the client's, or its video connection) is closed
    return false;
  }
}

void ClientHub::SendKey(const std::string& identity, const std::string& camera) {
  wire::ServerMessage key;
  *key.mutable_video_key() = keys_.Key(camera);
  Send(identity, key);
}

void ClientHub::Watch(const std::string& identity, Client& c, const wire::WatchRequest& req, int64_t now_ms) {
  const std::string& camera = req.camera_id();
  auto it = c.watching.find(camera);
  if (req.stop()) {
    if (it != c.watching.end()) {
      relay_.Remove(it->second.get(), now_ms);
      c.watching.erase(it);
    }
    return;
  }
  if (!Visible(c.caller, camera)) {
    wire::ServerMessage err;
    err.set_error("no camera " + camera);
    Send(identity, err);
    return;
  }
  if (video_) {  // the ticket and the key first: frames can come as soon as the video connection does
    if (c.ticket.empty()) {
      c.ticket = NewVideoTicket();
      tickets_[c.ticket] = identity;
    }
    wire::ServerMessage access;
    access.mutable_video_access()->set_port(video_port_);
    access.mutable_video_access()->set_ticket(c.ticket);
    Send(identity, access);
    SendKey(identity, camera);
  }
  if (it != c.watching.end()) return;
  auto viewer = video_ ? std::make_unique<Viewer>(*video_, &c.video_identity, &c.last_heard_ms, &keys_)
                       : std::make_unique<Viewer>(socket_, &identity, &c.last_heard_ms, nullptr);
  if (!video_ || !c.video_identity.empty()) {
    if (auto why = relay_.Add(camera, viewer.get(), "zmq", now_ms)) return Refuse(identity, camera, *why);
    viewer->added = true;
  }
  c.watching.emplace(camera, std::move(viewer));
}

void ClientHub::Refuse(const std::string& identity, const std::string& camera, const std::string& why) {
  wire::ServerMessage err;
  err.set_error("camera " + camera + ": " + why);
  Send(identity, err);
}

void ClientHub::OnVideoHello(const std::string& identity, const std::string& ticket, int64_t now_ms) {
  auto holder = tickets_.find(ticket);
  if (holder == tickets_.end()) return;
  auto it = clients_.find(holder->second);
  if (it == clients_.end()) return;
  Client& c = it->second;
  c.video_identity = identity;
  for (auto w = c.watching.begin(); w != c.watching.end();) {
    if (w->second->added) {
      ++w;
      continue;
    }
    if (auto why = relay_.Add(w->first, w->second.get(), "zmq", now_ms)) {  // from the GOP cache on
      Refuse(holder->second, w->first, *why);
      w = c.watching.erase(w);
      continue;
    }
    w->second->added = true;
    ++w;
  }
}

void ClientHub::Forget(std::map<std::string, Client>::iterator it, int64_t now_ms) {
  for (auto& [camera, v] : it->second.watching) relay_.Remove(v.get(), now_ms);
  if (!it->second.ticket.empty()) tickets_.erase(it->second.ticket);
  clients_.erase(it);
}

void ClientHub::RenewKeys() {
  if (!video_ || keys_.size() == 0) return;
  keys_.Rotate();
  ++key_renewals_;
  for (const auto& [identity, c] : clients_) {
    for (const auto& [camera, v] : c.watching) SendKey(identity, camera);
  }
}

void ClientHub::ForgetKey(const std::string& public_key, int64_t now_ms) {
  ForgetWhere([&](const ClientCaller& c) { return c.key == public_key; }, "its key was revoked", now_ms);
}

void ClientHub::ForgetUser(const std::string& user, const std::optional<std::string>& region, int64_t now_ms) {
  ForgetWhere([&](const ClientCaller& c) { return c.user == user && c.region != region; },
              region ? "its user moved to region " + *region : "its user may no longer act", now_ms);
}

void ClientHub::ForgetWhere(const std::function<bool(const ClientCaller&)>& match, const std::string& why,
                            int64_t now_ms) {
  bool dropped = false;
  for (auto it = clients_.begin(); it != clients_.end();) {
    auto next = std::next(it);
    if (match(it->second.caller)) {
      spdlog::info("client ({}): dropped, {}", it->second.caller.user, why);
      Forget(it, now_ms);
      dropped = true;
    }
    it = next;
  }
  if (dropped) RenewKeys();  // those left get new keys: the dropped ones knew the old
}

bool ClientHub::Visible(const ClientCaller& caller, const std::string& camera_id) const {
  const auto region = region_of_(camera_id);
  return region && RegionMatches(caller.region, *region, camera_id);
}

bool ClientHub::Selects(const Client& c, const wire::Alert& a) const {
  if (!RegionMatches(c.caller.region, a.region(), a.camera_id())) return false;
  if (c.prefixes.empty()) return true;
  for (const std::string& p : c.prefixes) {
    if (RegionMatches(p, a.region(), a.camera_id())) return true;
  }
  return false;
}

bool ClientHub::Selects(const Client& c, const wire::Camera& cam) const {
  if (!RegionMatches(c.caller.region, cam.region(), cam.id())) return false;
  if (c.prefixes.empty()) return true;
  for (const std::string& p : c.prefixes) {
    if (RegionMatches(p, cam.region(), cam.id())) return true;
  }
  return false;
}

bool ClientHub::Send(const std::string& identity, const wire::ServerMessage& msg) {
  try {
    if (!socket_.send(zmq::buffer(identity), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) return false;
    return socket_.send(ToFrame(msg), zmq::send_flags::dontwait).has_value();
  } catch (const zmq::error_t&) {
    return false;  // EHOSTUNREACH: the client is gone
  }
}

void ClientHub::SendCameras(const std::string& identity, const Client& c) {
  for (const auto& [id, camera] : cameras_.cameras()) {
    if (!Selects(c, camera)) continue;
    wire::ServerMessage msg;
    *msg.mutable_camera() = camera;
    Send(identity, msg);
  }
}

void ClientHub::OnRequest(const std::string& identity, const zmq::message_t& body, const ClientCaller& caller,
                          int64_t now_ms) {
  wire::ClientRequest req;
  if (!FromFrame(body, &req) || req.body_case() == wire::ClientRequest::BODY_NOT_SET) {
    wire::ServerMessage err;
    err.set_error("malformed request");
    Send(identity, err);
    return;
  }
  if (req.has_ptz()) {  // a one-off command: no subscription needed
    wire::ServerMessage answer;
    Status s =
        Visible(caller, req.ptz().camera_id()) ? ptz_(req.ptz()) : NotFound("no camera " + req.ptz().camera_id());
    if (s.ok()) {
      answer.set_ptz_sent(req.ptz().camera_id());
      spdlog::info("client: PTZ {} for camera {} from {} passed on", req.ptz().action(), req.ptz().camera_id(),
                   caller.user);
    } else {
      answer.set_error("PTZ: " + s.message());
    }
    Send(identity, answer);
    return;
  }
  auto it = clients_.find(identity);
  if (it != clients_.end() && it->second.caller.key != caller.key) {  // another key under that identity
    Forget(it, now_ms);
    it = clients_.end();
  }
  if (req.has_subscribe()) {
    Client c;
    c.caller = caller;
    c.prefixes.assign(req.subscribe().prefixes().begin(), req.subscribe().prefixes().end());
    c.cursor = req.subscribe().has_after_seq() ? std::min(req.subscribe().after_seq(), log_.head()) : log_.head();
    c.last_heard_ms = now_ms;
    spdlog::info("client {} ({}): subscribed to {} from seq {}", clients_.size() + 1, caller.user,
                 c.prefixes.empty() ? std::string("everything") : c.prefixes.front(), c.cursor);
    SendCameras(identity, c);
    if (it != clients_.end()) Forget(it, now_ms);  // a fresh subscription replaces the old one
    it = clients_.emplace(identity, std::move(c)).first;
    Replay(identity, it->second);
    return;
  }
  if (it == clients_.end()) {
    wire::ServerMessage again;
    again.set_resubscribe(true);
    Send(identity, again);
    return;
  }
  it->second.last_heard_ms = now_ms;
  if (req.has_watch()) Watch(it->first, it->second, req.watch(), now_ms);
}

void ClientHub::Replay(const std::string& identity, Client& c) {
  auto rows = log_.ReadAfter(c.cursor, kReplayBatch);
  if (!rows.ok()) {
    spdlog::error("replay: {}", rows.error().message);
    return;
  }
  for (const wire::LoggedAlert& row : *rows) {
    if (Selects(c, row.alert())) {
      wire::ServerMessage msg;
      *msg.mutable_alert() = row;
      if (!Send(identity, msg)) return;  // full: try again on the next pump
    }
    c.cursor = row.seq();
  }
  if (rows->size() < size_t(kReplayBatch)) {
    wire::ServerMessage msg;
    msg.set_live_at_seq(c.cursor);
    if (!Send(identity, msg)) return;
    c.live = true;
    if (c.cameras_stale) {
      c.cameras_stale = false;
      SendCameras(identity, c);
    }
  }
}

void ClientHub::OnLogged(const std::vector<wire::LoggedAlert>& logged) {
  for (auto& [identity, c] : clients_) {
    if (!c.live) continue;
    for (const wire::LoggedAlert& row : logged) {
      if (Selects(c, row.alert())) {
        wire::ServerMessage msg;
        *msg.mutable_alert() = row;
        if (!Send(identity, msg)) {
          c.live = false;  // it cannot keep up: it will replay from its cursor
          break;
        }
      }
      c.cursor = row.seq();
    }
  }
}

void ClientHub::OnCameraChanged(const wire::Camera& camera) {
  wire::ServerMessage msg;
  *msg.mutable_camera() = camera;
  for (auto& [identity, c] : clients_) {
    if (Selects(c, camera) && !Send(identity, msg)) c.cameras_stale = true;
  }
}

void ClientHub::Pump(int64_t now_ms) {
  for (auto it = clients_.begin(); it != clients_.end();) {
    Client& c = it->second;
    bool disconnected = false;
    for (const auto& [camera, v] : c.watching) disconnected = disconnected || v->gone();
    if (disconnected || now_ms - c.last_heard_ms > kClientTimeoutMs) {
      if (disconnected) spdlog::info("client gone: disconnected");
      else spdlog::info("client gone: silent for {} s", kClientTimeoutMs / 1000);
      auto next = std::next(it);
      Forget(it, now_ms);
      it = next;
      continue;
    }
    if (!c.live) Replay(it->first, c);
    if (now_ms - c.last_heartbeat_ms >= kHeartbeatMs) {
      wire::ServerMessage msg;
      msg.set_heartbeat_seq(log_.head());
      Send(it->first, msg);
      c.last_heartbeat_ms = now_ms;
    }
    ++it;
  }
}

}  // namespace xl::router
