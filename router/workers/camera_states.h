// CameraStates: the live state of every camera the router has heard of (online, offline,
// health figures) and which worker runs it. The registry of cameras (what should run) is
// registry/camera_store.h; this is what is running, as the workers report it.
// A camera whose worker has been silent longer than the timeout is reported offline.
// Thread: the router's one loop thread only (router/router.h); not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "xueliang.pb.h"

namespace xl::router {

class CameraStates {
 public:
  // `on_change` is called with each camera whose state changed.
  using ChangeFn = std::function<void(const wire::Camera&)>;
  CameraStates(int64_t worker_timeout_ms, ChangeFn on_change)
      : worker_timeout_ms_(worker_timeout_ms), on_change_(std::move(on_change)) {}

  // Seeds the states (from the log at start-up) without reporting changes.
  void Seed(const std::vector<wire::Camera>& cameras);

  // A state report from a worker; `now_ms` is monotonic. Health figures (fps, bitrate, ...)
  // are kept silently; only a change of state, reason, worker, name or region is reported.
  void Update(const wire::Camera& camera, int64_t now_ms);
  // Whether `worker` ran `camera`: it reported it last (before a restart of the router too:
  // the seeded states say), or it is one of the last few workers that reported it since the
  // router started. An alert such a worker raised while it ran the camera is genuine, even
  // when the camera has moved on since (failover, a rebalance after a restart).
  bool RanBy(const std::string& camera, const std::string& worker) const;
  // The camera left the registry (camera_store): reported once as REMOVED, then forgotten.
  void Forget(const std::string& camera_id);
  // A worker's CPU use from its status report.
  void SetWorkerCpu(const std::string& worker, double cores) { worker_cpu_[worker] = cores; }
  const std::map<std::string, double>& worker_cpu() const { return worker_cpu_; }
  // Any message from `worker` proves it alive.
  void Heard(const std::string& worker, int64_t now_ms);
  // Reports the cameras of workers silent for longer than the timeout as offline and forgets
  // those workers' figures; returns the workers and every camera they ran (offline already or
  // not), for their open events to end.
  struct Lost {
    std::vector<std::string> workers, cameras;
  };
  Lost Expire(int64_t now_ms);

  const std::map<std::string, wire::Camera>& cameras() const { return cameras_; }

 private:
  int64_t worker_timeout_ms_;
  ChangeFn on_change_;
  std::map<std::string, wire::Camera> cameras_;
  std::map<std::string, int64_t> worker_seen_ms_;  // only workers not yet declared lost
  std::map<std::string, double> worker_cpu_;
  std::map<std::string, std::vector<std::string>> ran_by_;  // camera → its last few workers, newest last
  static constexpr size_t kRanByKept = 4;
};

}  // namespace xl::router
