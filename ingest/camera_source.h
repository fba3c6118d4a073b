// Where a camera's video comes from, chosen by its URL: rtsp:// and rtsps:// are pulled by
// an RtspPipeline; gb28181://device/channel is a GB/T 28181 call (gb28181/gb_source.h). The
// Camera state machine sees only the result: a playing pipeline and, for a call, how to
// hang it up.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "ingest/camera_pipeline.h"
#include "ingest/gb28181/sip_server.h"
#include "proto/camera/camera_config.h"

namespace xl::ingest {

// What sources need from the worker: its ID (for messages), its SIP server (null when
// GB28181 is off on this worker) and the niceness of the threads that carry video.
struct SourceContext {
  std::string worker_id;
  gb28181::SipServer* sip = nullptr;
  int video_nice = 0;
};

// One attempt's source. On failure `status` says why, and `pipeline` may still hold a
// pipeline: it must be retired (stopping may block, see reaper.h), never destroyed on the
// main thread.
struct OpenedSource {
  std::unique_ptr<CameraPipeline> pipeline;
  std::function<void()> hang_up;  // ends what else the source holds (a call); may be empty
  // A source shared with other cameras (a GB28181 device that takes few calls at once): why
  // it waits for its turn, nullopt while it has it; and telling it whether someone watches
  // (watched cameras go first). Both may be empty.
  std::function<std::optional<std::string>()> waiting;
  std::function<void(bool watched)> set_watched;
  Status status;

  // A source that failed before it had a pipeline.
  static OpenedSource Failure(Error error) {
    OpenedSource out;
    out.status = std::move(error);
    return out;
  }
};

// Builds and plays `camera`'s pipeline, its encoded tap set to `encoded_tap` (`watched`:
// someone watches the camera now). Main thread;
// the callbacks run on the pipeline's streaming threads. `counters` must outlive the pipeline.
OpenedSource OpenCameraSource(const camera::CameraConfig& camera, const SourceContext& context,
                              CameraPipeline::FrameCallback on_frame, CameraPipeline::EncodedCallback on_encoded,
                              PipelineCounters& counters, bool encoded_tap, bool watched);

}  // namespace xl::ingest
