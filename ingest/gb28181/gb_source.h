// A GB/T 28181 channel as a camera's source: a PsRtpPipeline listening for the device's
// video, and an INVITE through the worker's SIP server asking the device to send it.
#pragma once

#include "ingest/camera_source.h"
#include "proto/gb28181/channel_url.h"

namespace xl::gb28181 {

// Plays the pipeline, then invites the channel (the answer may name another SSRC: the
// pipeline follows it), now or when the device has room (`waiting` says so meanwhile).
// `hang_up` sends BYE; `sip` must outlive the call; `video_nice` as CameraPipeline::Play.
// Main thread.
ingest::OpenedSource OpenGbSource(const camera::CameraConfig& camera, const GbChannelAddress& channel, SipServer& sip,
                                  ingest::CameraPipeline::FrameCallback on_frame,
                                  ingest::CameraPipeline::EncodedCallback on_encoded,
                                  ingest::PipelineCounters& counters, bool encoded_tap, bool watched, int video_nice);

}  // namespace xl::gb28181
