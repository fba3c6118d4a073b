// The ingest worker: runs the cameras the router assigns to it and reports to the router.
// At start it offers its file's cameras to the router as a seed; from then on the router's
// Assignment is the truth and the worker reconciles to it: starts new cameras, restarts
// only those whose settings changed, stops those gone, never touching the others.
// Everything but frame handling happens on one GLib main loop thread.
#pragma once

#include <glib.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <zmq.hpp>

#include <cstdlib>
#include "common/gst_handles.h"

#include "common/bearer_token.h"
#include "common/http_server.h"
#include "ingest/camera.h"
#include "ingest/control_client.h"
#include "ingest/gb28181/device_downloads.h"
#include "ingest/gb28181/device_playbacks.h"
#include "ingest/gb28181/gb_platform.h"
#include "ingest/media_publisher.h"
#include "ingest/publisher.h"
#include "ingest/recording/recording_api.h"
#include "ingest/worker_config.h"

namespace xl::ingest {

class Worker {
 public:
  // Requires gst_init() to have been called.
  // `keys`: the worker's CURVE key pair and the router's public key; `outbox`: opened at
  // config.outbox, what is in it is sent first.
  Worker(WorkerConfig config, const CurveClientKeys& keys, std::unique_ptr<delivery::Outbox> outbox,
         zmq::context_t& ctx);
  ~Worker();

  // Runs until SIGINT or SIGTERM; then stops every camera cleanly (open events are ended
  // and sent). Returns the process exit code.
  int Run();

 private:
  // RecordingApi's device records of `camera` when it is a GB/T 28181 channel here.
  bool DeviceRecords(const std::string& camera, int64_t from_ms, int64_t to_ms,
                     std::function<void(nlohmann::json)> done);
  struct Running {
    std::unique_ptr<Camera> camera;
    std::string spec;   // PipelineSettings of the CameraSpec it was started from
    std::string label;  // its name and region as the spec said them
  };
  // A camera's settings that its pipeline and analytics are built from: all but its name,
  // region and pin. A camera restarts only when these change.
  static std::string PipelineSettings(const wire::CameraSpec& spec);
  static std::string LabelOf(const wire::CameraSpec& spec) { return spec.name() + '\n' + spec.region(); }
  void Reconcile(const wire::Assignment& assignment, int64_t now_ms);
  void ApplyWatch();
  HttpReply Metrics() const;
  // GET /clips/<path relative to the clips folder>: a finished clip, as video/mp4.
  HttpReply Clip(const HttpRequest& request) const;
  // Whether an HTTP request carries the router's token; or, for ops endpoints, the metrics token.
  bool ForRouter(const HttpRequest& request) const;
  bool ForOps(const HttpRequest& request) const;
  static HttpReply Unauthorised();
  // The cameras of GB28181 device `device_id` retry at once (`back`) or lose their source.
  void OnGbDevice(const std::string& device_id, bool back, const std::string& reason);
  // A PTZ command from the router for one of this worker's cameras.
  void OnPtz(const wire::PtzCommand& command);
  static gboolean OnTick(gpointer self);
  static gboolean OnStatus(gpointer self);
  static gboolean OnGbReport(gpointer self);  // every minute: all complete catalogs again
  static gboolean OnSignal(gpointer self);

  WorkerConfig config_;
  Publisher publisher_;
  ControlClient control_;
  MediaPublisher media_;
  ClipStore clips_;
  RecordingStore recordings_;
  RecordingApi recording_api_{recordings_, config_.id};
  Reaper reaper_;                                        // after the publishers and clips: stops pipelines first
  std::unique_ptr<gb28181::GbPlatform> gb_;              // before the cameras: their calls end first
  std::map<std::string, Running> cameras_;               // by camera id
  std::unique_ptr<gb28181::DeviceDownloads> downloads_;  // after gb_: hung up before it goes
  std::unique_ptr<gb28181::DevicePlaybacks> playbacks_;  // likewise
  std::set<std::string> watched_;                        // cameras someone watches live
  std::unique_ptr<HttpServer> http_;
  // Asked of the router on the HTTP port: random, unless the worker's host pins it in
  // XL_WORKER_TOKEN (tests; diagnosing by hand).
  const std::string http_token_ = std::getenv("XL_WORKER_TOKEN") ? std::getenv("XL_WORKER_TOKEN") : RandomToken();
  gst::MainLoopPtr loop_;
  double cpu_cores_ = 0;
  int64_t last_tick_ms_ = 0;  // OnTick runs every 200 ms: a longer gap is the loop held up
  uint64_t loop_stalls_ = 0;  // gaps of 2 s or more
  double cpu_base_s_ = -1;
  int64_t cpu_base_ms_ = 0;
};

}  // namespace xl::ingest
