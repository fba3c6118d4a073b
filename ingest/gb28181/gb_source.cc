#include "ingest/gb28181/gb_source.h"

#include <spdlog/spdlog.h>

#include "ingest/gb28181/ps_rtp_pipeline.h"

namespace xl::gb28181 {

ingest::OpenedSource OpenGbSource(const camera::CameraConfig& camera, const GbChannelAddress& channel, SipServer& sip,
                                  ingest::CameraPipeline::FrameCallback on_frame,
                                  ingest::CameraPipeline::EncodedCallback on_encoded,
                                  ingest::PipelineCounters& counters, bool encoded_tap, bool watched, int video_nice) {
  ingest::OpenedSource out;
  const std::string transport = channel.transport.empty() ? sip.config().media_transport : channel.transport;
  const std::string ssrc = sip.NewSsrc();
  auto made = PsRtpPipeline::Create(camera, transport, sip.config().bind, uint32_t(std::stoul(ssrc)),
                                    std::move(on_frame), std::move(on_encoded), counters);
  if (!made.ok()) return ingest::OpenedSource::Failure(made.error());
  PsRtpPipeline* ps = made.value().get();
  out.pipeline = std::move(made.value());
  out.pipeline->SetEncodedTap(encoded_tap);
  if (out.status = out.pipeline->Play(video_nice); !out.status.ok()) return out;
  CallRequest request{channel.device_id, channel.channel_id, "", ps->port(), transport, ssrc};
  if (request.media_port == 0) {
    out.status = Error{"no " + transport + " port for the video"};
    return out;
  }
  // The handler runs on this (the main) thread; the call is hung up before the pipeline goes.
  auto call = sip.Invite(
      request,
      [ps, id = camera.id, transport](const CallEvent& e) {
        if (e.kind != CallEvent::kAnswered) return ps->SetFailure(e.detail);
        if (!e.answer.ssrc.empty() && uint32_t(std::stoul(e.answer.ssrc)) != ps->ssrc()) {
          spdlog::info("camera {}: the device sends SSRC {} instead of the one offered", id, e.answer.ssrc);
          ps->SetSsrc(uint32_t(std::stoul(e.answer.ssrc)));
        }
        // We listen where we offered; what the answer's m= line says changes nothing.
        if (!e.answer.transport.empty() && e.answer.transport != transport) {
          spdlog::info("camera {}: the device's answer says {}; receiving over {} as offered", id, e.answer.transport,
                       transport);
        }
      },
      watched);
  if (!call.ok()) {
    out.status = call.error();
    return out;
  }
  out.hang_up = [&sip, call_id = call.value()] { sip.Bye(call_id); };
  out.waiting = [&sip, call_id = call.value()] { return sip.Waiting(call_id); };
  out.set_watched = [&sip, call_id = call.value()](bool on) { sip.SetWatched(call_id, on); };
  return out;
}

}  // namespace xl::gb28181
