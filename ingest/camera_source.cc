#include "ingest/camera_source.h"

#include "ingest/gb28181/gb_source.h"
#include "ingest/rtsp_pipeline.h"
#include "proto/gb28181/channel_url.h"

namespace xl::ingest {

OpenedSource OpenCameraSource(const camera::CameraConfig& camera, const SourceContext& context,
                              CameraPipeline::FrameCallback on_frame, CameraPipeline::EncodedCallback on_encoded,
                              PipelineCounters& counters, bool encoded_tap, bool watched) {
  if (const auto gb = gb28181::ParseGbUrl(camera.url)) {
    if (!context.sip) return OpenedSource::Failure(Error{"GB28181 is not enabled on worker " + context.worker_id});
    return gb28181::OpenGbSource(camera, *gb, *context.sip, std::move(on_frame), std::move(on_encoded), counters,
                                 encoded_tap, watched, context.video_nice);
  }
  OpenedSource out;
  auto made = RtspPipeline::Create(camera, std::move(on_frame), std::move(on_encoded), counters);
  if (!made.ok()) return OpenedSource::Failure(made.error());
  out.pipeline = std::move(made.value());
  out.pipeline->SetEncodedTap(encoded_tap);
  out.status = out.pipeline->Play(context.video_nice);
  return out;
}

}  // namespace xl::ingest
