// A call for a device's own recording (GB/T 28181 §9.8 Playback, §9.9 Download): the
// PsRtpPipeline that receives it — its access units passed on, nothing decoded for analysis —
// and the INVITE (s=Playback or s=Download, u=<channel>:0, t=<start> <end>, a history SSRC).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "ingest/camera_pipeline.h"
#include "ingest/gb28181/sip_server.h"
#include "proto/camera/camera_config.h"
#include "proto/gb28181/channel_url.h"

namespace xl::gb28181 {

// After MediaStatus 121 (the device sent it all), what is in flight still comes for this long.
constexpr int64_t kHistoryDrainMs = 1500;

// The range [from_ms, to_ms) of a recording call asked at wall-clock `now_ms`, its end
// brought back to now; error when it starts in the future, is empty, or is longer than
// `max_ms` ("at most N hours per <what>").
Result<std::pair<int64_t, int64_t>> HistoryRange(int64_t from_ms, int64_t to_ms, int64_t now_ms, int64_t max_ms,
                                                 const std::string& what);

struct HistoryCall {
  std::unique_ptr<ingest::CameraPipeline> pipeline;
  std::string call_id;
};

// Plays a pipeline for `camera`'s channel and INVITEs `session` ("Playback" or "Download") of
// [from_ms, to_ms] (`speed`: Download's pace). `on_unit` runs on a streaming thread,
// `on_call` on the main thread (SipServer::Invite); both until the call is hung up (sip.Bye)
// and the pipeline is gone. `counters` must outlive the pipeline. Error when the pipeline
// cannot start or the device cannot be called.
Result<HistoryCall> OpenHistoryCall(const camera::CameraConfig& camera, const GbChannelAddress& channel, SipServer& sip,
                                    const std::string& session, int64_t from_ms, int64_t to_ms, int speed,
                                    ingest::PipelineCounters& counters, ingest::CameraPipeline::EncodedCallback on_unit,
                                    std::function<void(const CallEvent&)> on_call, int video_nice);

}  // namespace xl::gb28181
