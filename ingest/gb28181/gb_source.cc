#include "ingest/gb28181/gb_source.h"

#include <spdlog/spdlog.h>

#include "ingest/gb28181/ps_rtp_pipeline.h"

namespace xl::gb28181 {

ingest::OpenedSource OpenGbSource(const camera::CameraConfig& camera, const GbChannelAddress& channel, SipServer& sip,
                                  ingest::CameraPipeline::FrameCallback on_frame,
                                  ingest::CameraPipeline::EncodedCallback on_encoded,
                                  ingest::PipelineCounters& counters, bool encoded_tap) {
  ingest::OpenedSource out;
  const std::string transport = channel.transport.empty() ? sip.config().media_transport : channel.transport;
  const std::string ssrc = sip.NewSsrc();
  auto made = PsRtpPipeline::Create(camera, transport, sip.config().bind, uint32_t(std::stoul(ssrc)),
                                    std::move(on_frame), std::move(on_encoded), counters);
  if (!made.ok()) return ingest::OpenedSource::Failure(made.error());
  PsRtpPipeline* ps = made.value().get();
  out.pipeline = std::move(made.value());
  out.pipeline->SetEncodedTap(encoded_tap);
  if (out.status = out.pipeline->Play(); !out.status.ok()) return out;
  CallRequest request{channel.device_id, channel.channel_id, "", ps->port(), transport, ssrc};
  if (request.media_port == 0) {
    out.status = Error{"no " + transport + " port for the video"};
    return out;
  }
  // The handler runs on this (the main) thread; the call is hung up before the pipeline goes.
  auto call = sip.Invite(request, [ps, id = camera.id](const CallEvent& e) {
    if (e.kind == CallEvent::kAnswered) {
      if (!e.answer.ssrc.empty() && uint32_t(std::stoul(e.answer.ssrc)) != ps->ssrc()) {
        spdlog::info("camera {}: the device sends SSRC {} instead of the one offered", id, e.answer.ssrc);
        ps->SetSsrc(uint32_t(std::stoul(e.answer.ssrc)));
      }
    } else {
      ps->SetFailure(e.detail);
    }
  });
  if (!call.ok()) {
    out.status = call.error();
    return out;
  }
  out.hang_up = [&sip, call_id = call.value()] { sip.Bye(call_id); };
  return out;
}

}  // namespace xl::gb28181
