#include "router/workers/camera_states.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "common/clock.h"

namespace xl::router {

void CameraStates::Seed(const std::vector<wire::Camera>& cameras) {
  for (const wire::Camera& c : cameras) {
    cameras_[c.id()] = c;
    if (!c.worker().empty()) ran_by_[c.id()] = {c.worker()};
  }
}

void CameraStates::Update(const wire::Camera& camera, int64_t now_ms) {
  Heard(camera.worker(), now_ms);
  wire::Camera& known = cameras_[camera.id()];
  const bool changed = known.state() != camera.state() || known.reason() != camera.reason() ||
                       known.worker() != camera.worker() || known.name() != camera.name() ||
                       known.region() != camera.region() || known.since_ms() != camera.since_ms();
  known = camera;
  if (!camera.worker().empty()) {
    std::vector<std::string>& ran = ran_by_[camera.id()];
    if (ran.empty() || ran.back() != camera.worker()) {
      std::erase(ran, camera.worker());
      ran.push_back(camera.worker());
      if (ran.size() > kRanByKept) ran.erase(ran.begin());
    }
  }
  if (changed) on_change_(known);
}

bool CameraStates::RanBy(const std::string& camera, const std::string& worker) const {
  if (auto it = cameras_.find(camera); it != cameras_.end() && it->second.worker() == worker) return true;
  auto ran = ran_by_.find(camera);
  return ran != ran_by_.end() && std::find(ran->second.begin(), ran->second.end(), worker) != ran->second.end();
}

void CameraStates::Forget(const std::string& camera_id) {
  auto it = cameras_.find(camera_id);
  if (it == cameras_.end()) return;
  wire::Camera gone = it->second;
  cameras_.erase(it);
  ran_by_.erase(camera_id);
  gone.set_state(wire::CAMERA_STATE_REMOVED);
  gone.set_reason("removed from the registry");
  gone.set_since_ms(NowMs());
  on_change_(gone);
}

void CameraStates::Heard(const std::string& worker, int64_t now_ms) {
  if (worker.empty()) return;
  auto [it, fresh] = worker_seen_ms_.try_emplace(worker, now_ms);
  it->second = now_ms;
  if (fresh) spdlog::info("worker {}: connected", worker);
}

CameraStates::Lost CameraStates::Expire(int64_t now_ms) {
  Lost lost;
  for (auto it = worker_seen_ms_.begin(); it != worker_seen_ms_.end();) {
    if (now_ms - it->second <= worker_timeout_ms_) {
      ++it;
      continue;
    }
    spdlog::warn("worker {}: silent for {} s, its cameras are offline", it->first, worker_timeout_ms_ / 1000);
    for (auto& [id, camera] : cameras_) {
      if (camera.worker() != it->first) continue;
      lost.cameras.push_back(id);
      if (camera.state() == wire::CAMERA_STATE_OFFLINE) continue;
      camera.set_state(wire::CAMERA_STATE_OFFLINE);
      camera.set_reason("worker " + it->first + " lost");
      camera.set_since_ms(NowMs());
      spdlog::info("camera {} ({}): offline: worker {} lost", camera.id(), camera.name(), it->first);
      on_change_(camera);
    }
    lost.workers.push_back(it->first);
    worker_cpu_.erase(it->first);
    it = worker_seen_ms_.erase(it);
  }
  return lost;
}

}  // namespace xl::router
