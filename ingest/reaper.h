// Pipelines are stopped off the main thread: stopping one may block (a camera that hangs
// while its pipeline goes to NULL) and must not stall the other cameras.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "ingest/camera_pipeline.h"
#include "ingest/camera_session.h"

namespace xl::ingest {

// A pipeline attempt: the pipeline must stop before its session goes.
struct Attempt {
  std::shared_ptr<PipelineCounters> counters;  // the camera's; kept until the pipeline is gone
  std::unique_ptr<Session> session;
  std::string end_reason = "camera stopped";  // why its recording stops
  std::unique_ptr<CameraPipeline> pipeline;   // declared last: destroyed first
};

// Stops retired attempts on its own thread, in order, and gives the memory they held back to
// the system; the destructor finishes them all.
class Reaper {
 public:
  Reaper();
  ~Reaper();
  void Retire(Attempt attempt);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Attempt> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace xl::ingest
