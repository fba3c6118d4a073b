// An RTSP camera's pipeline: rtspsrc (RTSP over TCP) → RTP depayloader (H.264 or H.265)
// → the shared decode chain (camera_pipeline.h).
#pragma once

#include "ingest/camera_pipeline.h"
#include "proto/media/split_picture.h"

namespace xl::ingest {

class RtspPipeline : public CameraPipeline {
 public:
  // Builds the pipeline (not yet playing). Fails when a GStreamer element is missing.
  // `counters` must outlive the pipeline. `on_encoded` gets the encoded stream, on the
  // streaming thread, only while SetEncodedTap(true).
  static Result<std::unique_ptr<CameraPipeline>> Create(const CameraConfig& camera, FrameCallback on_frame,
                                                        EncodedCallback on_encoded, PipelineCounters& counters);
  ~RtspPipeline() override { Stop(); }

 private:
  using CameraPipeline::CameraPipeline;
  static void OnPadAdded(GstElement* src, GstPad* pad, gpointer self);

  // For dropping parameter sets a flawed sender puts between a picture's slices (proto/media/split_picture.h).
  h26x::RtpPictureState picture_;
  bool h265_ = false;
};

}  // namespace xl::ingest
