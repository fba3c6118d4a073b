#include "ingest/gb28181/history_call.h"

#include <algorithm>

#include "ingest/gb28181/ps_rtp_pipeline.h"

namespace xl::gb28181 {

Result<std::pair<int64_t, int64_t>> HistoryRange(int64_t from_ms, int64_t to_ms, int64_t now_ms, int64_t max_ms,
                                                 const std::string& what) {
  if (from_ms >= now_ms) return InvalidArgument("the range starts in the future");
  to_ms = std::min(to_ms, now_ms);
  if (to_ms <= from_ms) return InvalidArgument("the range ends before it starts");
  if (to_ms - from_ms > max_ms) {
    return InvalidArgument("at most " + std::to_string(max_ms / 3600000) + " hours per " + what);
  }
  return std::pair{from_ms, to_ms};
}

Result<HistoryCall> OpenHistoryCall(const camera::CameraConfig& camera, const GbChannelAddress& channel, SipServer& sip,
                                    const std::string& session, int64_t from_ms, int64_t to_ms, int speed,
                                    ingest::PipelineCounters& counters, ingest::CameraPipeline::EncodedCallback on_unit,
                                    std::function<void(const CallEvent&)> on_call, int video_nice) {
  const std::string transport = channel.transport.empty() ? sip.config().media_transport : channel.transport;
  const std::string ssrc = sip.NewSsrc(/*history=*/true);
  auto made = PsRtpPipeline::Create(
      camera, transport, sip.config().bind, uint32_t(std::stoul(ssrc)), [](analytics::Frame&) {}, std::move(on_unit),
      counters);
  if (!made.ok()) return made.error();
  PsRtpPipeline* ps = made.value().get();
  HistoryCall call;
  call.pipeline = std::move(made.value());
  call.pipeline->SetEncodedTap(true);
  if (Status s = call.pipeline->Play(video_nice); !s.ok()) return s.error();
  CallRequest request{channel.device_id, channel.channel_id, "", ps->port(), transport, ssrc};
  if (request.media_port == 0) return Unavailable("no " + transport + " port for the video");
  request.session = session;
  request.start_ms = from_ms;
  request.end_ms = to_ms;
  request.download_speed = session == "Download" ? speed : 0;
  auto invited = sip.Invite(request, [ps, on_call = std::move(on_call)](const CallEvent& e) {
    // The device may send with an SSRC of its own: follow its answer.
    if (e.kind == CallEvent::kAnswered && !e.answer.ssrc.empty() && uint32_t(std::stoul(e.answer.ssrc)) != ps->ssrc()) {
      ps->SetSsrc(uint32_t(std::stoul(e.answer.ssrc)));
    }
    on_call(e);
  });
  if (!invited.ok()) return invited.error();
  call.call_id = invited.value();
  return call;
}

}  // namespace xl::gb28181
