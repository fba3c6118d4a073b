#include "router/cascade/child_links.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "proto/camera/camera_id.h"
#include "proto/wire/wire.h"

namespace xl::router {

namespace {
constexpr int kMaxBatch = 512;  // messages read per loop turn
constexpr int64_t kRefusalLogMs = 60 * 1000;
constexpr size_t kMaxCameras = 100000;  // in one child's catalog

bool Within(const std::string& code, const std::string& prefix) { return code.rfind(prefix, 0) == 0; }
}  // namespace

constexpr const char* kSchema = R"sql(
-- The catalogs of child routers (router/cascade/child_links.h): each camera as it came up,
-- its site already the path from here.
CREATE TABLE IF NOT EXISTS child_catalog(
  site TEXT NOT NULL,
  camera_id TEXT NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY(site, camera_id));
)sql";

ChildLinks::ChildLinks(zmq::context_t& ctx, Sources sources, SqlitePtr db, int64_t down_after_ms)
    : keys_(sources.keys),
      inbox_(sources.inbox),
      desk_(sources.desk),
      stream_(sources.stream),
      site_name_(std::move(sources.site_name)),
      relay_(sources.relay),
      db_(std::move(db)),
      down_after_ms_(down_after_ms),
      socket_(ctx, zmq::socket_type::router) {}

Result<std::unique_ptr<ChildLinks>> ChildLinks::Open(const std::string& path, zmq::context_t& ctx, Sources sources,
                                                     int64_t now_ms, int64_t down_after_ms) {
  auto db = OpenDatabase(path, kSchema);
  if (!db.ok()) return db.error();
  KeyStore& keys = sources.keys;
  std::unique_ptr<ChildLinks> links(new ChildLinks(ctx, std::move(sources), std::move(db.value()), down_after_ms));
  // Every registered child, up for a grace period as long as the timeout: one that does not
  // say hello within it is down.
  for (const PeerKey& k : keys.List()) {
    if (k.kind != PeerKind::kChild) continue;
    State& child = links->StateOf(k.name);
    child.link = {k.name, k.prefix, true, now_ms};
    child.link.live_budget_kbps = k.live_kbps;
    child.heard_ms = now_ms;
  }
  auto q = PrepareSql(links->db_.get(), "SELECT site, body FROM child_catalog");
  if (!q.ok()) return q.error();
  while (sqlite3_step(q->get()) == SQLITE_ROW) {
    auto child = links->children_.find(ColumnText(q->get(), 0));
    if (child == links->children_.end()) continue;  // no longer a child
    wire::Camera c;
    if (!c.ParseFromArray(sqlite3_column_blob(q->get(), 1), sqlite3_column_bytes(q->get(), 1))) continue;
    child->second.cameras[c.id()] = c;
    child->second.link.cameras = child->second.cameras.size();
  }
  return links;
}

ChildLinks::State& ChildLinks::StateOf(const std::string& site) {
  State& child = children_[site];
  if (!child.steps) child.steps = std::make_unique<StepSender>(desk_, SourceOf(site), site_name_);
  return child;
}

const delivery::Mark& ChildLinks::StepsMark(State& child) {
  if (!child.steps_mark) child.steps_mark = desk_.MarkOf(SourceOf(child.link.site));
  return *child.steps_mark;
}

bool ChildLinks::Forget(const std::string& site) {
  for (const PeerKey& k : keys_.List()) {
    if (k.kind == PeerKind::kChild && k.name == site) return false;  // another key of it remains
  }
  auto it = children_.find(site);
  if (it == children_.end()) return false;
  for (const auto& [id, c] : it->second.cameras) changed_[id] = "";
  children_.erase(it);
  Store(site, true, {}, {});
  return true;
}

void ChildLinks::Store(const std::string& site, bool complete, const std::vector<std::string>& changed,
                       const std::vector<std::string>& removed) {
  sqlite3* db = db_.get();
  auto fail = [&](const char* what) {
    spdlog::error("cascade: cannot keep the catalog of {}: {}: {}", site, what, sqlite3_errmsg(db));
    (void)ExecSql(db, "ROLLBACK");
  };
  if (!ExecSql(db, "BEGIN").ok()) return fail("begin");
  auto del = PrepareSql(db, complete ? "DELETE FROM child_catalog WHERE site = ?"
                                     : "DELETE FROM child_catalog WHERE site = ? AND camera_id = ?");
  auto put = PrepareSql(db, "INSERT OR REPLACE INTO child_catalog(site, camera_id, body) VALUES(?,?,?)");
  if (!del.ok() || !put.ok()) return fail("prepare");
  const auto child = children_.find(site);
  std::vector<std::string> ids = changed;
  if (complete) {
    ids.clear();
    BindText(del->get(), 1, site);
    if (sqlite3_step(del->get()) != SQLITE_DONE) return fail("delete");
    if (child != children_.end()) {
      for (const auto& [id, c] : child->second.cameras) ids.push_back(id);
    }
  } else {
    for (const std::string& id : removed) {
      sqlite3_reset(del->get());
      BindText(del->get(), 1, site);
      BindText(del->get(), 2, id);
      if (sqlite3_step(del->get()) != SQLITE_DONE) return fail("delete");
    }
  }
  for (const std::string& id : ids) {
    if (child == children_.end()) break;
    auto c = child->second.cameras.find(id);
    if (c == child->second.cameras.end()) continue;
    const std::string body = c->second.SerializeAsString();
    sqlite3_reset(put->get());
    BindText(put->get(), 1, site);
    BindText(put->get(), 2, id);
    sqlite3_bind_blob(put->get(), 3, body.data(), int(body.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(put->get()) != SQLITE_DONE) return fail("write");
  }
  if (!ExecSql(db, "COMMIT").ok()) fail("commit");
}

Status ChildLinks::Bind(const std::string& endpoint, const CurveKeyPair& pair) {
  MakeCurveServer(socket_, pair, kZapChildren);
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::maxmsgsize, kMaxLinkMessageBytes);
  socket_.set(zmq::sockopt::router_mandatory, 1);
  socket_.set(zmq::sockopt::heartbeat_ivl, 2000);
  socket_.set(zmq::sockopt::heartbeat_timeout, 6000);
  try {
    socket_.bind(endpoint);
  } catch (const zmq::error_t& e) {
    return Error{"cannot bind " + endpoint + ": " + e.what()};
  }
  return Status::Ok();
}

const PeerKey* ChildLinks::ChildOf(const zmq::message_t& frame) const {
  const PeerKey* key = keys_.Cached(PeerKeyOf(frame));
  return key && key->kind == PeerKind::kChild ? key : nullptr;
}

void ChildLinks::Drain(int64_t now_ms, std::vector<wire::Alert>* alerts) {
  for (int i = 0; i < kMaxBatch; ++i) {
    zmq::message_t identity, body;
    if (!socket_.recv(identity, zmq::recv_flags::dontwait)) break;
    if (!identity.more() || !socket_.recv(body, zmq::recv_flags::dontwait)) continue;
    while (body.more()) {  // one body frame is expected: the last one counts
      zmq::message_t extra;
      if (!socket_.recv(extra, zmq::recv_flags::dontwait)) break;
      body.swap(extra);
    }
    if (const PeerKey* key = ChildOf(body)) OnMessage(*key, identity.to_string(), body, now_ms, alerts);
    // else: removed a moment ago; its connection no longer counts
  }
}

void ChildLinks::OnMessage(const PeerKey& key, const std::string& routing_id, const zmq::message_t& body,
                           int64_t now_ms, std::vector<wire::Alert>* alerts) {
  State& child = StateOf(key.name);
  child.link.site = key.name;
  child.link.prefix = key.prefix;  // as registered now (a key re-registered may narrow it)
  child.link.live_budget_kbps = key.live_kbps;
  wire::LinkUp up;
  const bool parsed = FromFrame(body, &up);
  if (parsed && up.has_video()) {  // the video connection: answers go on the other one
    OnVideo(child, up.video(), now_ms);
    return;
  }
  if (parsed && up.has_clip()) {  // a part of a clip asked for, on the video connection too
    clips_.OnPart(key.name, up.clip(), now_ms);
    return;
  }
  child.routing_id = routing_id;
  child.heard_ms = now_ms;
  if (!parsed) {
    Refuse(child, "a malformed message (" + std::to_string(body.size()) + " bytes)", now_ms);
    return;
  }
  if (up.has_steps_ack()) {
    child.steps->OnMark(up.steps_ack().stream(), up.steps_ack().seq(), stream_);
    return;
  }
  if (up.has_steps()) {
    OnSteps(child, key, up.steps(), now_ms);
    return;
  }
  if (up.has_hello()) {
    child.stream = up.hello().log_stream();
    child.below.clear();
    for (const wire::LinkLoad& load : up.hello().links()) {
      // Paths of names, each a site name as registered: nothing empty, no way up.
      if (load.site().empty() || load.site().size() > 1024 || load.site().front() == '/' || load.site().back() == '/' ||
          load.site().find("//") != std::string::npos || load.budget_kbps() < 0 || load.used_kbps() < 0 ||
          child.below.size() >= 4096) {
        continue;
      }
      child.below.push_back(load);
    }
    if (up.hello().has_steps_mark()) {
      child.steps->OnMark(up.hello().steps_mark().stream(), up.hello().steps_mark().seq(), stream_);
    }
    const delivery::Mark m = inbox_.Committed(SourceOf(key.name));
    const uint64_t have = m.stream == child.stream ? m.seq : 0;
    child.link.behind = up.hello().log_head() > have ? up.hello().log_head() - have : 0;
    child.reply = true;
    if (!child.catalog_complete) {
      wire::LinkDown ask;
      ask.set_send_catalog(true);
      Send(child.routing_id, ask);
    }
    return;
  }
  if (up.has_catalog()) {
    ApplyCatalog(child, key, up.catalog(), now_ms);
    return;
  }
  if (!up.has_envelope()) return;
  const wire::Envelope& env = up.envelope();
  child.stream = env.stream();
  child.reply = true;
  const std::string source = SourceOf(key.name);
  if (inbox_.Check(source, env.stream(), env.seq(), env.after()) != delivery::Inbox::Verdict::kNext) return;
  if (const uint64_t gone = inbox_.Take(source, env.stream(), env.seq(), env.after())) {
    // Retention at the child deleted them before they could come up (a link down for longer
    // than the child keeps its alerts), or its log was cut short.
    spdlog::warn("cascade: child {}: {} alerts before its #{} are gone from its log", key.name, gone, env.seq());
  }
  if (!env.has_alert()) return;
  const wire::Alert& a = env.alert();
  if (Status s = ValidateCameraId(a.camera_id()); !s.ok()) {
    Refuse(child, "alert " + a.id() + ": " + s.message(), now_ms);
    return;
  }
  if (!Within(a.camera_id(), key.prefix) || (!a.region().empty() && !Within(a.region(), key.prefix))) {
    Refuse(child,
           "alert " + a.id() + " of camera " + a.camera_id() + " (region " + a.region() + ") is outside region " +
               key.prefix + ", which " + key.name + " speaks for",
           now_ms);
    return;
  }
  alerts->push_back(a);
  wire::Alert& kept = alerts->back();
  kept.set_site(a.site().empty() ? key.name : key.name + "/" + a.site());
  kept.clear_worker();  // its worker is the child's: the clip stays below
  ++child.link.alerts;
}

void ChildLinks::OnSteps(State& child, const PeerKey& key, const wire::HandlingSteps& run, int64_t now_ms) {
  const std::string& site = key.name;
  auto taken = TakeSteps(desk_, SourceOf(site), StepsMark(child), run, [&](LoggedStep& s, std::string* why) {
    const StepAlert& a = s.alert;
    if (!ValidateCameraId(a.camera_id).ok() || !Within(a.camera_id, key.prefix) ||
        (!a.region.empty() && !Within(a.region, key.prefix))) {
      *why = "camera " + a.camera_id + " (region " + a.region + ") is outside region " + key.prefix + ", which " +
             site + " speaks for";
      return false;
    }
    s.alert.site = a.site.empty() ? site : site + "/" + a.site;
    s.step.site = s.step.site.empty() ? site : site + "/" + s.step.site;
    return true;
  });
  if (!taken.ok()) {
    spdlog::error("cascade: cannot keep the handling steps of child {}: {}", site, taken.error().message);
    return;  // not acknowledged: they come again
  }
  if (taken->refused) Refuse(child, std::to_string(taken->refused) + " handling steps, e.g. " + taken->why, now_ms);
  child.steps_mark = taken->mark;
  for (LoggedStep& s : taken->fresh) arrived_.push_back(std::move(s));
  wire::LinkDown down;
  *down.mutable_steps_ack() = AckOf(taken->mark);
  Send(child.routing_id, down);
}

void ChildLinks::Pump(int64_t now_ms) {
  clips_.Expire(now_ms);
  for (auto& [site, child] : children_) {
    if (!child.link.up || child.routing_id.empty()) continue;
    if (auto run = child.steps->Due(stream_, now_ms)) {
      wire::LinkDown down;
      *down.mutable_steps() = std::move(*run);
      Send(child.routing_id, down);  // gone: again after the resend time
    }
  }
}

void ChildLinks::OnVideo(State& child, const wire::VideoFrame& frame, int64_t now_ms) {
  // Only what this router asked for: a camera of the child's catalog (inside its prefix).
  if (!relay_ || !child.cameras.count(frame.camera_id()) ||
      relay_->OnMessage(frame.SerializeAsString(), now_ms) != LiveRelay::Intake::kTaken) {
    ++child.link.video_refused;
    return;
  }
  ++child.link.video_frames;
}

void ChildLinks::SetWanted(const std::set<std::string>& cameras, int64_t now_ms) {
  for (auto& [site, child] : children_) {
    std::set<std::string> want;
    if (child.link.up) {
      for (const std::string& id : cameras) {
        if (child.cameras.count(id)) want.insert(id);
      }
    }
    child.link.live_streams = want.size();
    child.link.live_kbps = 0;
    for (const std::string& id : want) child.link.live_kbps += int64_t(relay_ ? relay_->Kbps(id) : 0);
    child.live = want;
    if (child.routing_id.empty() || !child.link.up) {
      child.watch.Forget();  // told afresh when it is back
      continue;
    }
    wire::LinkDown down;
    if (child.watch.Due(want, now_ms, down.mutable_watch())) Send(child.routing_id, down);
  }
}

namespace {
// Why a stream at `expected_kbps` does not fit link `site` (the last name of its path) with
// `streams` streams at `used_kbps` crossing it and a budget of `budget_kbps`; nullopt: it fits.
std::optional<std::string> NoRoom(const std::string& site, size_t streams, double used_kbps, double expected_kbps,
                                  int64_t budget_kbps) {
  if (expected_kbps <= 0 && streams > 0) expected_kbps = used_kbps / double(streams);
  if (used_kbps + expected_kbps <= double(budget_kbps)) return std::nullopt;
  char mbps[32];
  std::snprintf(mbps, sizeof mbps, "%.1f", used_kbps / 1000);
  std::string used = mbps;
  if (used.size() > 2 && used.compare(used.size() - 2, 2, ".0") == 0) used.resize(used.size() - 2);
  return "link to " + site.substr(site.rfind('/') + 1) + " full: " + std::to_string(streams) +
         (streams == 1 ? " stream, " : " streams, ") + used + " Mbit/s";
}

// Whether a camera at site path `camera_site` is reached through the link to `path`.
bool Through(const std::string& camera_site, const std::string& path) {
  return camera_site.rfind(path, 0) == 0 && (camera_site.size() == path.size() || camera_site[path.size()] == '/');
}
}  // namespace

const ChildLinks::State* ChildLinks::HolderOf(const std::string& camera) const {
  for (const auto& [site, child] : children_) {
    if (child.cameras.count(camera)) return &child;
  }
  return nullptr;
}

ChildLinks::State* ChildLinks::HolderOf(const std::string& camera) {
  return const_cast<State*>(std::as_const(*this).HolderOf(camera));
}

std::optional<std::string> ChildLinks::LiveRefusal(const std::string& camera, int64_t now_ms) {
  State* child = relay_ ? HolderOf(camera) : nullptr;
  if (!child) return std::nullopt;
  const std::string& site = child->link.site;
  const double expected = relay_->Kbps(camera);
  // The link to the child, as measured here.
  size_t streams = 0;
  double kbps = 0;
  for (const std::string& id : relay_->Wanted(now_ms)) {
    if (id == camera || !child->cameras.count(id)) continue;
    ++streams;
    kbps += relay_->Kbps(id);
  }
  auto why = NoRoom(site, streams, kbps, expected, child->link.live_budget_kbps);
  // The links below it on the way to the camera, as the child last reported them.
  const std::string& camera_site = child->cameras.at(camera).site();
  for (const wire::LinkLoad& load : child->below) {
    if (why) break;
    if (!Through(camera_site, site + "/" + load.site())) continue;
    if (std::find(load.cameras().begin(), load.cameras().end(), camera) != load.cameras().end()) continue;
    why = NoRoom(load.site(), size_t(load.cameras_size()), double(load.used_kbps()), expected, load.budget_kbps());
  }
  if (why) ++child->link.live_refused;
  return why;
}

Status ChildLinks::SendPtz(const wire::PtzCommand& command) {
  const std::string& camera = command.camera_id();
  const State* child = HolderOf(camera);
  if (!child) return NotFound("no camera " + camera);
  if (!child->cameras.at(camera).ptz()) return Error{"camera " + camera + " takes no PTZ commands"};
  if (child->routing_id.empty() || !child->link.up) {
    return Error{"link to " + child->link.site + " down: PTZ for camera " + camera + " not sent"};
  }
  wire::LinkDown down;
  *down.mutable_ptz() = command;
  Send(child->routing_id, down);
  return Status();
}

void ChildLinks::RequestClip(const std::string& site, const std::string& event_id, int64_t now_ms, ClipDone done) {
  auto it = children_.find(site);
  if (it == children_.end() || !it->second.link.up || it->second.routing_id.empty()) {
    return done({502, "link to " + site + " down: the clip of " + event_id + " is there", ""});
  }
  const uint64_t id = clips_.Add(site, std::move(done), now_ms);
  if (!id) return;
  wire::LinkDown down;
  down.mutable_clip_request()->set_id(id);
  down.mutable_clip_request()->set_event_id(event_id);
  Send(it->second.routing_id, down);
  spdlog::info("cascade: clip of {} asked of child {}", event_id, site);
}

std::vector<wire::LinkLoad> ChildLinks::Loads() const {
  std::vector<wire::LinkLoad> loads;
  for (const auto& [site, child] : children_) {
    wire::LinkLoad& load = loads.emplace_back();
    load.set_site(site);
    load.set_budget_kbps(child.link.live_budget_kbps);
    load.set_used_kbps(child.link.live_kbps);
    for (const std::string& id : child.live) load.add_cameras(id);
    for (wire::LinkLoad below : child.below) {
      below.set_site(site + "/" + below.site());
      loads.push_back(std::move(below));
    }
  }
  return loads;
}

void ChildLinks::ApplyCatalog(State& child, const PeerKey& key, const wire::Catalog& catalog, int64_t now_ms) {
  if (catalog.complete()) {
    for (const auto& [id, c] : child.cameras) changed_[id] = key.name;
    child.cameras.clear();
    child.catalog_complete = true;
  }
  size_t refused = 0;
  std::string example;
  std::vector<std::string> changed, removed;
  for (const wire::Camera& c : catalog.cameras()) {
    const bool inside = ValidateCameraId(c.id()).ok() && Within(c.id(), key.prefix) &&
                        (c.region().empty() || Within(c.region(), key.prefix));
    if (!inside || (child.cameras.size() >= kMaxCameras && !child.cameras.count(c.id()))) {
      if (refused++ == 0) example = c.id() + " (region " + c.region() + ")";
      continue;
    }
    wire::Camera& kept = child.cameras[c.id()] = c;
    kept.set_site(c.site().empty() ? key.name : key.name + "/" + c.site());
    changed_[c.id()] = key.name;
    changed.push_back(c.id());
  }
  for (const std::string& id : catalog.removed()) {
    if (child.cameras.erase(id)) {
      changed_[id] = key.name;
      removed.push_back(id);
    }
  }
  Store(key.name, catalog.complete(), changed, removed);
  child.link.cameras = child.cameras.size();
  if (refused) {
    Refuse(child,
           std::to_string(refused) + " catalog entries outside region " + key.prefix + " (or beyond " +
               std::to_string(kMaxCameras) + " cameras), e.g. camera " + example,
           now_ms);
  }
}

wire::Camera ChildLinks::Shown(const State& child, const wire::Camera& camera) {
  wire::Camera c = camera;
  c.set_link_down(camera.link_down() || !child.link.up);
  return c;
}

std::vector<wire::Camera> ChildLinks::Cameras() const {
  std::vector<wire::Camera> out;
  for (const auto& [site, child] : children_) {
    for (const auto& [id, c] : child.cameras) out.push_back(Shown(child, c));
  }
  return out;
}

std::optional<wire::Camera> ChildLinks::CameraOf(const std::string& id) const {
  const State* child = HolderOf(id);
  if (!child) return std::nullopt;
  return Shown(*child, child->cameras.at(id));
}

std::vector<wire::Camera> ChildLinks::TakeCameraChanges() {
  std::vector<wire::Camera> out;
  for (const auto& [id, site] : changed_) {
    const wire::Camera* camera = nullptr;
    auto child = children_.find(site);
    if (child != children_.end()) {
      auto it = child->second.cameras.find(id);
      if (it != child->second.cameras.end()) camera = &it->second;
    }
    if (camera) {
      out.push_back(Shown(child->second, *camera));
    } else {  // gone from the child's registry
      wire::Camera gone;
      gone.set_id(id);
      gone.set_state(wire::CAMERA_STATE_REMOVED);
      out.push_back(std::move(gone));
    }
  }
  changed_.clear();
  return out;
}

void ChildLinks::Refuse(State& child, const std::string& why, int64_t now_ms) {
  ++child.link.refused;
  if (child.refusal_logged_ms < 0 || now_ms - child.refusal_logged_ms >= kRefusalLogMs) {
    child.refusal_logged_ms = now_ms;
    spdlog::warn("cascade: refused from child {}: {} ({} refused so far)", child.link.site, why, child.link.refused);
  }
  wire::LinkDown down;
  down.set_refused(why);
  Send(child.routing_id, down);
}

void ChildLinks::Send(const std::string& routing_id, const wire::LinkDown& down) {
  zmq::message_t identity(routing_id.data(), routing_id.size());
  try {
    if (socket_.send(identity, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      socket_.send(ToFrame(down), zmq::send_flags::dontwait);
    }
  } catch (const zmq::error_t&) {
    // EHOSTUNREACH (router_mandatory): the child's connection is gone; it says hello again.
  }
}

void ChildLinks::Acknowledge() {
  for (auto& [site, child] : children_) {
    if (!child.reply) continue;
    child.reply = false;
    const delivery::Mark m = inbox_.Committed(SourceOf(site));
    wire::LinkDown down;
    down.mutable_ack()->set_stream(child.stream);
    down.mutable_ack()->set_seq(m.stream == child.stream ? m.seq : 0);
    Send(child.routing_id, down);
    wire::LinkDown mark;
    *mark.mutable_steps_ack() = AckOf(StepsMark(child));
    Send(child.routing_id, mark);
  }
}

std::vector<ChildLinks::Change> ChildLinks::Expire(int64_t now_ms) {
  std::vector<Change> changes;
  for (auto& [site, child] : children_) {
    const bool up = now_ms - child.heard_ms < down_after_ms_;
    if (up == child.link.up) continue;
    child.link.up = up;
    child.link.since_ms = now_ms;
    changes.push_back({site, up});
    if (!up) {
      child.steps->Reset();
      clips_.Fail(site, "link to " + site + " down: the clip cannot come up");
    }
    for (const auto& [id, c] : child.cameras) changed_[id] = site;
    if (up) {
      spdlog::info("cascade: link from child {} (region {}) up, {} alerts to come", site, child.link.prefix,
                   child.link.behind);
    } else {
      spdlog::warn("cascade: link from child {} (region {}) down: nothing heard for {} s", site, child.link.prefix,
                   down_after_ms_ / 1000);
    }
  }
  return changes;
}

std::vector<ChildLinks::Link> ChildLinks::Links() const {
  std::vector<Link> links;
  for (const auto& [site, child] : children_) links.push_back(child.link);
  return links;
}

size_t ChildLinks::up_count() const {
  size_t n = 0;
  for (const auto& [site, child] : children_) n += child.link.up;
  return n;
}

}  // namespace xl::router
