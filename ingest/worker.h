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

#include "ingest/camera.h"
#include "ingest/worker_config.h"
#include "ingest/control_client.h"
#include "ingest/gb28181/sip_server.h"
#include "common/gst_handles.h"
#include "ingest/media_publisher.h"
#include "ingest/publisher.h"
#include "common/http_server.h"

namespace xl::ingest {

class Worker {
 public:
  // Requires gst_init() to have been called.
  Worker(WorkerConfig config, zmq::context_t& ctx);
  ~Worker();

  // Runs until SIGINT or SIGTERM; then stops every camera cleanly (open events are ended
  // and sent). Returns the process exit code.
  int Run();

 private:
  struct Running {
    std::unique_ptr<Camera> camera;
    std::string spec;  // serialized CameraSpec it was started from
  };
  void Reconcile(const wire::Assignment& assignment, int64_t now_ms);
  void ApplyWatch();
  HttpReply Metrics() const;
  // GET /clips/<path relative to the clips folder>: a finished clip, as video/mp4.
  HttpReply Clip(const HttpRequest& request) const;
  // GET /gb28181/devices: the GB28181 devices registered here, their state and catalog.
  HttpReply GbDevices() const;
  // POST /gb28181/ptz {"device", "channel", "action", "speed", "preset"}: a PTZ command.
  HttpReply GbPtz(const HttpRequest& request);
  // Logs one line per device state change; reports catalogs to the router; retries the
  // cameras of a device that came online at once.
  void OnGbEvent(const gb28181::GbEvent& event, const gb28181::GbDevice& device);
  // The device's catalog as cameras pinned to this worker, to the router.
  void ReportGbChannels(const gb28181::GbDevice& device);
  // Sends a PTZCmd (ptz.h) to a channel (`channel` "" : the device itself) and logs it.
  Status SendPtz(const std::string& device, const std::string& channel, const std::string& action,
                 const std::string& cmd);
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
  Reaper reaper_;                                // after the publishers and clips: stops pipelines first
  std::unique_ptr<gb28181::SipServer> sip_;      // before the cameras: their calls end first
  std::map<std::string, Running> cameras_;       // by camera id
  std::set<std::string> watched_;               // cameras someone watches live
  std::unique_ptr<HttpServer> http_;
  gst::MainLoopPtr loop_;
  double cpu_cores_ = 0;
  double cpu_base_s_ = -1;
  int64_t cpu_base_ms_ = 0;
};

}  // namespace xl::ingest
