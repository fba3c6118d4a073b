// The ingest worker: runs every enabled camera of a WorkerConfig and reports to the router.
// Everything but frame handling happens on one GLib main loop thread.
#pragma once

#include <glib.h>

#include <memory>
#include <vector>
#include <zmq.hpp>

#include "ingest/camera.h"
#include "ingest/config.h"
#include "ingest/gst_handles.h"
#include "ingest/publisher.h"

namespace xl::ingest {

class Worker {
 public:
  // Requires gst_init() to have been called.
  Worker(WorkerConfig config, zmq::context_t& ctx);
  ~Worker();

  // Starts the cameras and runs until SIGINT or SIGTERM; then stops every camera cleanly
  // (open events are ended and sent). Returns the process exit code.
  int Run();

 private:
  static gboolean OnTick(gpointer self);
  static gboolean OnStatus(gpointer self);
  static gboolean OnSignal(gpointer self);

  WorkerConfig config_;
  Publisher publisher_;
  Reaper reaper_;                                // after publisher_: stops pipelines first
  std::vector<std::unique_ptr<Camera>> cameras_;
  gst::MainLoopPtr loop_;
};

}  // namespace xl::ingest
