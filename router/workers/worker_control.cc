#include "router/workers/worker_control.h"

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "proto/camera/camera_config.h"
#include "proto/gb28181/channel_url.h"
#include "proto/gb28181/ptz.h"
#include "proto/wire/wire.h"
#include "router/workers/assignment_plan.h"

namespace xl::router {

namespace {
constexpr int64_t kResendMs = 2000;  // an unapplied assignment is sent again after this

// Where the worker's HTTP port is: its own word, else its port on the address its message
// came from (TCP only).
// The worker's HTTP port on the address its authenticated connection comes from.
std::string HttpUrlOf(const wire::WorkerHeartbeat& beat, const zmq::message_t& body) {
  if (beat.http_port() == 0) return "";
  const char* peer = zmq_msg_gets(body.handle(), "Peer-Address");
  if (!peer || !*peer) return "";
  const std::string host = std::string(peer).find(':') != std::string::npos ? "[" + std::string(peer) + "]" : peer;
  return "http://" + host + ":" + std::to_string(beat.http_port());
}
}  // namespace

WorkerControl::WorkerControl(zmq::socket_t& socket, CameraStore& store, int64_t worker_timeout_ms,
                             std::map<std::string, std::string> http_urls)
    : socket_(socket), store_(store), worker_timeout_ms_(worker_timeout_ms), http_urls_(std::move(http_urls)) {
  // Workers recorded by an earlier run are known but not live until they speak.
  for (const auto& [id, c] : store_.cameras()) {
    if (!c.worker.empty()) peers_[c.worker].info.id = c.worker;
  }
}

bool WorkerControl::OnMessage(const std::string& identity, const zmq::message_t& body, int64_t now_ms) {
  wire::ControlUp up;
  if (!FromFrame(body, &up)) {
    spdlog::warn("control: dropped a malformed message from worker '{}' ({} bytes)", identity, body.size());
    return false;
  }
  const std::string& claimed = up.has_hello()         ? up.hello().worker()
                               : up.has_gb_channels() ? up.gb_channels().worker()
                                                      : up.heartbeat().worker();
  if (claimed != identity || identity.empty()) {
    spdlog::warn("control: dropped a message from '{}' claiming to be worker '{}'", identity, claimed);
    return false;
  }
  Peer& peer = peers_[identity];
  peer.info.id = identity;
  // Versions start from the clock so they keep rising across router restarts, and a
  // worker's ack of an older run's assignment never counts as applying this run's.
  if (peer.info.sent_version == 0) peer.info.sent_version = uint64_t(NowMs()) * 1000;
  if (!peer.info.live) {
    spdlog::info("worker {}: joined", identity);
    peer.info.live = true;
    peer.must_send = true;  // it may have restarted: send everything again
    peer.watch.Forget();
    dirty_ = rebalance_ = true;
  }
  peer.info.last_seen_ms = now_ms;
  if (up.has_hello()) {
    // A (re)started worker has applied nothing yet.
    peer.info.applied_version = 0;
    peer.must_send = true;
    peer.watch.Resend();
    dirty_ = true;
    ApplySeed(identity, up.hello());
  } else if (up.has_heartbeat()) {
    peer.info.applied_version = up.heartbeat().applied_version();
    auto configured = http_urls_.find(identity);
    peer.info.http_url = configured != http_urls_.end() ? configured->second : HttpUrlOf(up.heartbeat(), body);
    peer.info.http_token = up.heartbeat().http_token();
  } else if (up.has_gb_channels()) {
    ApplyGbChannels(identity, up.gb_channels());
  }
  return up.has_hello();
}

void WorkerControl::ApplySeed(const std::string& worker, const wire::WorkerHello& hello) {
  if (hello.seed_digest().empty() || store_.SeedDigest(worker) == hello.seed_digest()) return;
  std::vector<wire::CameraSpec> fresh;
  std::vector<std::pair<std::string, std::string>> assign;
  for (const wire::CameraSpec& spec : hello.seed()) {
    if (store_.Find(spec.id())) continue;  // the registry is the truth
    if (auto ok = camera::CameraFromSpec(spec); !ok.ok()) {
      spdlog::warn("worker {}: seed camera refused: {}", worker, ok.error().message);
      continue;
    }
    fresh.push_back(spec);
    assign.emplace_back(spec.id(), spec.enabled() ? worker : "");
  }
  Status s = store_.Put(fresh);
  if (s.ok()) s = store_.Assign(assign);
  if (s.ok()) s = store_.SetSeedDigest(worker, hello.seed_digest());
  if (!s.ok()) {
    spdlog::error("worker {}: seed not applied: {}", worker, s.message());
    return;
  }
  spdlog::info("worker {}: seeded {} new cameras into the registry ({} already known)", worker, fresh.size(),
               hello.seed_size() - int(fresh.size()));
  dirty_ = true;
}

void WorkerControl::ApplyGbChannels(const std::string& worker, const wire::GbChannels& channels) {
  std::vector<wire::CameraSpec> changed;
  int added = 0, moved = 0;
  for (wire::CameraSpec spec : channels.channels()) {
    spec.set_pinned_worker(worker);
    const RegisteredCamera* known = store_.Find(spec.id());
    if (known) {
      const auto was = gb28181::ParseGbUrl(known->spec.url());
      if (!was) {
        spdlog::warn(
            "worker {}: GB28181 channel {} has the ID of camera {} ({}), which is not a GB28181 channel; "
            "left alone",
            worker, spec.id(), known->spec.id(), known->spec.url());
        continue;
      }
      // Settings stay as the registry has them (an operator's ?transport= too); the channel
      // follows its device. The same device on the same worker: nothing to change.
      const auto now = gb28181::ParseGbUrl(spec.url());
      if (!now) continue;
      if (known->spec.pinned_worker() == worker && was->device_id == now->device_id) continue;
      wire::CameraSpec follow = known->spec;
      follow.set_url(gb28181::GbUrl({now->device_id, now->channel_id, was->transport}));
      follow.set_pinned_worker(worker);
      changed.push_back(std::move(follow));
      ++moved;
      continue;
    }
    if (auto ok = camera::CameraFromSpec(spec); !ok.ok()) {
      spdlog::warn("worker {}: GB28181 channel refused: {}", worker, ok.error().message);
      continue;
    }
    changed.push_back(std::move(spec));
    ++added;
  }
  if (changed.empty()) return;
  if (Status s = store_.Put(changed); !s.ok()) {
    spdlog::error("worker {}: GB28181 device {}: channels not saved: {}", worker, channels.device_id(), s.message());
    return;
  }
  spdlog::info("worker {}: GB28181 device {}: {} channels; {} new cameras, {} now reached through this worker", worker,
               channels.device_id(), channels.channels_size(), added, moved);
  dirty_ = true;
}

Status WorkerControl::SendPtz(const wire::PtzCommand& command) {
  const RegisteredCamera* c = store_.Find(command.camera_id());
  if (!c) return Error{"no camera " + command.camera_id()};
  if (!gb28181::ParseGbUrl(c->spec.url())) return Error{"camera " + command.camera_id() + " is not a GB28181 channel"};
  auto cmd = gb28181::PtzCmdFor(command.action(), command.speed() ? int(command.speed()) : 128, int(command.preset()));
  if (!cmd.ok()) return cmd.error();
  auto peer = peers_.find(c->worker);
  if (c->worker.empty() || peer == peers_.end() || !peer->second.info.live) {
    return Error{"camera " + command.camera_id() + " runs on no live worker"};
  }
  wire::ControlDown down;
  *down.mutable_ptz() = command;
  SendTo(c->worker, down);
  return Status::Ok();
}

void WorkerControl::Pump(int64_t now_ms) {
  for (auto& [id, peer] : peers_) {
    if (peer.info.live && now_ms - peer.info.last_seen_ms > worker_timeout_ms_) {
      peer.info.live = false;
      size_t n = 0;
      for (const auto& [cid, c] : store_.cameras()) n += c.worker == id;
      spdlog::warn("worker {}: silent for {} s, lost; moving its {} cameras", id, worker_timeout_ms_ / 1000, n);
      dirty_ = true;
    }
  }
  if (dirty_) {
    std::set<std::string> live;
    for (const auto& [id, peer] : peers_) {
      if (peer.info.live) live.insert(id);
    }
    auto plan = PlanAssignments(store_.cameras(), live, rebalance_);
    if (Status s = store_.Assign(plan); !s.ok()) {
      spdlog::error("control: assignments not saved: {}", s.message());
      return;  // retried on the next Pump
    }
    if (!plan.empty()) spdlog::info("control: {} cameras (re)assigned over {} live workers", plan.size(), live.size());
    dirty_ = rebalance_ = false;
    std::map<std::string, wire::Assignment> lists;
    for (const std::string& w : live) lists[w];
    for (const auto& [id, c] : store_.cameras()) {
      if (c.spec.enabled() && lists.count(c.worker)) *lists[c.worker].add_cameras() = c.spec;
    }
    for (auto& [w, list] : lists) {
      Peer& peer = peers_[w];
      peer.info.cameras = size_t(list.cameras_size());
      std::string bytes = list.SerializeAsString();
      if (bytes != peer.sent_cameras || peer.must_send) {
        peer.must_send = false;
        peer.sent_cameras = std::move(bytes);
        peer.covering_version = peer.info.sent_version + 1;
        Send(peer, now_ms);
      }
    }
  }
  for (auto& [id, peer] : peers_) {
    if (peer.info.live && peer.info.applied_version < peer.covering_version && now_ms - peer.sent_ms > kResendMs) {
      Send(peer, now_ms);
    }
  }
}

void WorkerControl::SendTo(const std::string& worker, const wire::ControlDown& down) {
  zmq::message_t body = ToFrame(down);
  try {
    socket_.send(zmq::buffer(worker), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    socket_.send(body, zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    spdlog::warn("control: cannot reach worker {}: {}", worker, e.what());
  }
}

void WorkerControl::Send(Peer& peer, int64_t now_ms) {
  wire::ControlDown down;
  wire::Assignment* a = down.mutable_assignment();
  a->ParseFromString(peer.sent_cameras);
  a->set_version(++peer.info.sent_version);
  SendTo(peer.info.id, down);
  peer.sent_ms = now_ms;
}

void WorkerControl::SetWanted(const std::set<std::string>& cameras, int64_t now_ms) {
  std::map<std::string, std::set<std::string>> per_worker;
  for (const std::string& id : cameras) {
    if (const RegisteredCamera* c = store_.Find(id); c && !c->worker.empty()) per_worker[c->worker].insert(id);
  }
  for (auto& [id, peer] : peers_) {
    if (!peer.info.live) continue;
    wire::ControlDown down;
    if (peer.watch.Due(per_worker[id], now_ms, down.mutable_watch())) SendTo(id, down);
  }
}

std::vector<WorkerInfo> WorkerControl::Workers() const {
  std::vector<WorkerInfo> out;
  for (const auto& [id, peer] : peers_) out.push_back(peer.info);
  return out;
}

std::string WorkerControl::HttpUrl(const std::string& id) const {
  auto it = peers_.find(id);
  return it == peers_.end() ? "" : it->second.info.http_url;
}

std::string WorkerControl::HttpToken(const std::string& id) const {
  auto it = peers_.find(id);
  return it == peers_.end() ? "" : it->second.info.http_token;
}

bool WorkerControl::Assigned(const std::string& id) const {
  auto it = peers_.find(id);
  return it != peers_.end() && it->second.info.live && it->second.info.sent_version > 0;
}

bool WorkerControl::Handed(const std::string& camera_id) const {
  const RegisteredCamera* c = store_.Find(camera_id);
  if (!c || c->worker.empty()) return false;
  auto it = peers_.find(c->worker);
  return it != peers_.end() && it->second.info.live && it->second.covering_version > 0 &&
         it->second.info.applied_version >= it->second.covering_version;
}

}  // namespace xl::router
