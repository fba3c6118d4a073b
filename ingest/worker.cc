#include "ingest/worker.h"

#include <glib-unix.h>
#include <spdlog/spdlog.h>

#include <csignal>

#include "xl/clock.h"

namespace xl::ingest {

Worker::Worker(WorkerConfig config, zmq::context_t& ctx)
    : config_(std::move(config)), publisher_(ctx, config_.router, config_.id) {
  for (const CameraConfig& c : config_.cameras) {
    if (c.enabled) cameras_.push_back(std::make_unique<Camera>(c, config_.id, publisher_, reaper_));
  }
}

Worker::~Worker() = default;

int Worker::Run() {
  loop_.reset(g_main_loop_new(nullptr, FALSE));
  spdlog::info("worker {}: {} cameras, router {}", config_.id, cameras_.size(), config_.router);
  const int64_t now = MonotonicMs();
  for (auto& camera : cameras_) camera->Start(now);
  guint tick = g_timeout_add(200, &Worker::OnTick, this);
  guint status = g_timeout_add_seconds(config_.status_interval_s, &Worker::OnStatus, this);
  guint sigint = g_unix_signal_add(SIGINT, &Worker::OnSignal, this);
  guint sigterm = g_unix_signal_add(SIGTERM, &Worker::OnSignal, this);
  OnStatus(this);
  g_main_loop_run(loop_.get());
  for (guint id : {tick, status, sigint, sigterm}) g_source_remove(id);

  spdlog::info("worker {}: stopping", config_.id);
  for (auto& camera : cameras_) camera->Stop(MonotonicMs());
  OnStatus(this);
  return 0;
}

gboolean Worker::OnTick(gpointer self) {
  auto* w = static_cast<Worker*>(self);
  const int64_t now = MonotonicMs();
  for (auto& camera : w->cameras_) camera->Tick(now);
  return G_SOURCE_CONTINUE;
}

gboolean Worker::OnStatus(gpointer self) {
  auto* w = static_cast<Worker*>(self);
  wire::Envelope env;
  wire::WorkerStatus* status = env.mutable_status();
  status->set_worker(w->config_.id);
  for (auto& camera : w->cameras_) *status->add_cameras() = camera->Describe();
  w->publisher_.Publish(std::move(env));
  return G_SOURCE_CONTINUE;
}

gboolean Worker::OnSignal(gpointer self) {
  g_main_loop_quit(static_cast<Worker*>(self)->loop_.get());
  return G_SOURCE_CONTINUE;
}

}  // namespace xl::ingest
