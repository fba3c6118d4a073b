#include "router/workers/camera_states.h"

#include <spdlog/spdlog.h>

#include "common/clock.h"

namespace xl::router {

void CameraStates::Seed(const std::vector<wire::Camera>& cameras) {
  for (const wire::Camera& c : cameras) cameras_[c.id()] = c;
}

void CameraStates::Update(const wire::Camera& camera, int64_t now_ms) {
  Heard(camera.worker(), now_ms);
  wire::Camera& known = cameras_[camera.id()];
  const bool changed = known.state() != camera.state() || known.reason() != camera.reason() ||
                       known.worker() != camera.worker() || known.name() != camera.name() ||
                       known.region() != camera.region() || known.since_ms() != camera.since_ms();
  known = camera;
  if (changed) on_change_(known);
}

void CameraStates::Forget(const std::string& camera_id) {
  auto it = cameras_.find(camera_id);
  if (it == cameras_.end()) return;
  wire::Camera gone = it->second;
  cameras_.erase(it);
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
