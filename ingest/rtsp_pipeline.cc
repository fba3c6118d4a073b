#include "ingest/rtsp_pipeline.h"

#include <gst/rtp/rtp.h>

#include <cstring>

namespace xl::ingest {

Result<std::unique_ptr<CameraPipeline>> RtspPipeline::Create(const CameraConfig& camera, FrameCallback on_frame,
                                                             EncodedCallback on_encoded, PipelineCounters& counters) {
  std::unique_ptr<RtspPipeline> p(
      new RtspPipeline(camera, std::move(on_frame), std::move(on_encoded), counters, camera.password));
  if (Status s = p->Build(); !s.ok()) return Error{s.message()};
  GstElement* src = p->Add("rtspsrc");
  if (!src) return Error{"GStreamer element 'rtspsrc' is not installed"};
  g_object_set(src, "location", camera.url.c_str(), "protocols", 0x4 /* GST_RTSP_LOWER_TRANS_TCP */, "latency",
               guint(camera.latency_ms), "tcp-timeout", guint64(camera.watchdog_s) * 1000000, nullptr);
  if (!camera.username.empty()) {
    g_object_set(src, "user-id", camera.username.c_str(), "user-pw", camera.password.c_str(), nullptr);
  }
  g_signal_connect(src, "pad-added", G_CALLBACK(&RtspPipeline::OnPadAdded), p.get());
  return std::unique_ptr<CameraPipeline>(std::move(p));
}

// Runs on rtspsrc's thread for each stream the camera offers. Video gets a depayloader and
// the decode chain; anything else (audio, metadata) is discarded.
void RtspPipeline::OnPadAdded(GstElement*, GstPad* pad, gpointer self) {
  auto* p = static_cast<RtspPipeline*>(self);
  gst::CapsPtr caps(gst_pad_get_current_caps(pad));
  if (!caps) caps.reset(gst_pad_query_caps(pad, nullptr));
  const GstStructure* s = gst_caps_get_structure(caps.get(), 0);
  const char* media = gst_structure_get_string(s, "media");
  const char* encoding = gst_structure_get_string(s, "encoding-name");
  if (!media || std::strcmp(media, "video") != 0) return p->Discard(pad);
  const std::string codec = encoding ? encoding : "";
  const char* depay_name = codec == "H264" ? "rtph264depay" : codec == "H265" ? "rtph265depay" : nullptr;
  if (!depay_name) return p->SetFailure("unsupported video codec '" + codec + "' (H.264 or H.265 needed)");
  GstElement* depay = p->Add(depay_name);
  if (!depay) return p->SetFailure(std::string("GStreamer element '") + depay_name + "' is not installed");
  p->h265_ = codec == "H265";
  gst::PadPtr depay_sink(gst_element_get_static_pad(depay, "sink"));
  gst_pad_add_probe(
      depay_sink.get(), GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad*, GstPadProbeInfo* info, gpointer self) -> GstPadProbeReturn {
        auto* p = static_cast<RtspPipeline*>(self);
        GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
        GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
        if (!buffer || !gst_rtp_buffer_map(buffer, GST_MAP_READ, &rtp)) return GST_PAD_PROBE_OK;
        const std::string_view payload(static_cast<const char*>(gst_rtp_buffer_get_payload(&rtp)),
                                       gst_rtp_buffer_get_payload_len(&rtp));
        const bool drop =
            h26x::IsMidPictureParameterSetPacket(p->h265_, gst_rtp_buffer_get_timestamp(&rtp), payload, p->picture_);
        gst_rtp_buffer_unmap(&rtp);
        return drop ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
      },
      p, nullptr);
  p->LinkVideo(pad, codec, depay);
}

}  // namespace xl::ingest
