#include "ingest/gb28181/ps_rtp_pipeline.h"

#include <spdlog/spdlog.h>

#include <gio/gio.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <sys/socket.h>

#include "proto/media/ps_stream.h"
#include "proto/media/rtp_packet.h"
#include "proto/media/split_picture.h"

namespace xl::gb28181 {

namespace {
// Packets in a row of one other SSRC, none of ours between, before that SSRC is taken on
// (about a second of video): stray packets never reach it.
constexpr int kAdoptSsrcAfter = 50;
constexpr const char* kRtpCaps = "media=(string)video,clock-rate=(int)90000,encoding-name=(string)MP2P,payload=(int)96";
}  // namespace

Result<std::unique_ptr<PsRtpPipeline>> PsRtpPipeline::Create(const camera::CameraConfig& camera,
                                                             const std::string& transport, const std::string& bind_ip,
                                                             uint32_t ssrc, FrameCallback on_frame,
                                                             EncodedCallback on_encoded,
                                                             ingest::PipelineCounters& counters) {
  std::unique_ptr<PsRtpPipeline> p(new PsRtpPipeline(camera, std::move(on_frame), std::move(on_encoded), counters, ""));
  p->ssrc_ = ssrc;
  if (Status s = p->Build(); !s.ok()) return Error{s.message()};
  auto need = [&](const char* factory) -> Result<GstElement*> {
    GstElement* e = p->Add(factory);
    if (!e) return Error{std::string("GStreamer element '") + factory + "' is not installed"};
    return e;
  };
  GstElement* rtp_out = nullptr;  // the element whose src pad carries RTP packets
  if (transport == "tcp") {
    auto src = need("tcpserversrc");
    auto filter = need("capsfilter");
    auto depay = need("rtpstreamdepay");
    if (!src.ok() || !filter.ok() || !depay.ok()) return Error{"GStreamer's TCP/RTP elements are not installed"};
    p->tcp_src_ = src.value();
    g_object_set(p->tcp_src_, "host", bind_ip.c_str(), "port", 0, nullptr);
    gst::CapsPtr caps(gst_caps_from_string((std::string("application/x-rtp-stream,") + kRtpCaps).c_str()));
    g_object_set(filter.value(), "caps", caps.get(), nullptr);
    if (!gst_element_link_many(src.value(), filter.value(), depay.value(), nullptr)) {
      return Error{"cannot link the TCP receiver of camera " + camera.id};
    }
    rtp_out = depay.value();
    // The device closing its connection ends only this branch (the decoder's branch never
    // sees an end): say so at once rather than after the watchdog.
    gst::PadPtr src_pad(gst_element_get_static_pad(src.value(), "src"));
    gst_pad_add_probe(
        src_pad.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        [](GstPad*, GstPadProbeInfo* info, gpointer self) {
          if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS) {
            static_cast<PsRtpPipeline*>(self)->SetFailure("the device closed its video connection");
          }
          return GST_PAD_PROBE_OK;
        },
        p.get(), nullptr);
  } else {
    GError* err = nullptr;
    gst::GObjectPtr<GSocket> socket(
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &err));
    gst::GObjectPtr<GInetAddress> ip(g_inet_address_new_from_string(bind_ip.c_str()));
    if (!ip) return Error{"media bind address '" + bind_ip + "' is not an IP address"};
    gst::GObjectPtr<GSocketAddress> any(g_inet_socket_address_new(ip.get(), 0));
    if (!socket || !g_socket_bind(socket.get(), any.get(), FALSE, &err)) {
      const std::string reason = err ? err->message : "socket";
      g_clear_error(&err);
      return Error{"cannot open a UDP port for media: " + reason};
    }
    g_socket_set_option(socket.get(), SOL_SOCKET, SO_RCVBUF, 2 << 20, nullptr);
    gst::GObjectPtr<GSocketAddress> bound(g_socket_get_local_address(socket.get(), nullptr));
    p->udp_port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound.get()));
    auto src = need("udpsrc");
    if (!src.ok()) return src.error();
    gst::CapsPtr caps(gst_caps_from_string((std::string("application/x-rtp,") + kRtpCaps).c_str()));
    g_object_set(src.value(), "socket", socket.get(), "close-socket", TRUE, "caps", caps.get(), nullptr);
    rtp_out = src.value();
  }
  auto jitter = need("rtpjitterbuffer");
  auto packets = need("appsink");
  auto ps = need("appsrc");
  auto demux = need("mpegpsdemux");
  if (!jitter.ok() || !packets.ok() || !ps.ok() || !demux.ok()) {
    return Error{"GStreamer's RTP or MPEG-PS elements are not installed"};
  }
  g_object_set(jitter.value(), "latency", guint(camera.latency_ms), nullptr);
  g_object_set(packets.value(), "sync", FALSE, "async", FALSE, "emit-signals", TRUE, nullptr);
  gst::CapsPtr ps_caps(gst_caps_from_string("video/mpeg,mpegversion=(int)2,systemstream=(boolean)true"));
  p->appsrc_ = ps.value();
  g_object_set(p->appsrc_, "caps", ps_caps.get(), "is-live", TRUE, "format", GST_FORMAT_BYTES, "max-bytes",
               guint64(8 << 20), "leaky-type", 2 /* downstream: drop the oldest */, nullptr);
  g_object_set(demux.value(), "ignore-scr", TRUE, nullptr);
  if (!gst_element_link_many(rtp_out, jitter.value(), packets.value(), nullptr) ||
      !gst_element_link(p->appsrc_, demux.value())) {
    return Error{"cannot link the MPEG-PS receiver of camera " + camera.id};
  }
  gst::PadPtr rtp_pad(gst_element_get_static_pad(rtp_out, "src"));
  gst_pad_add_probe(rtp_pad.get(), GST_PAD_PROBE_TYPE_BUFFER, &PsRtpPipeline::OnRtp, p.get(), nullptr);
  g_signal_connect(packets.value(), "new-sample", G_CALLBACK(&PsRtpPipeline::OnPacket), p.get());
  g_signal_connect(demux.value(), "pad-added", G_CALLBACK(&PsRtpPipeline::OnPadAdded), p.get());
  return p;
}

PsRtpPipeline::~PsRtpPipeline() { Stop(); }

int PsRtpPipeline::port() const {
  if (!tcp_src_) return udp_port_;
  gint port = 0;
  g_object_get(tcp_src_, "current-port", &port, nullptr);
  return port;
}

// Before the jitter buffer: only well-formed packets of the call's SSRC go on.
GstPadProbeReturn PsRtpPipeline::OnRtp(GstPad*, GstPadProbeInfo* info, gpointer self) {
  auto* p = static_cast<PsRtpPipeline*>(self);
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  GstMapInfo map;
  if (!buf || !gst_buffer_map(buf, &map, GST_MAP_READ)) return GST_PAD_PROBE_DROP;
  auto rtp = rtp::ParseRtp(std::string_view(reinterpret_cast<const char*>(map.data), map.size));
  gst_buffer_unmap(buf, &map);
  if (!rtp.ok()) {
    p->counters().rtp_malformed.fetch_add(1);
    return GST_PAD_PROBE_DROP;
  }
  uint32_t ours = p->ssrc_.load();
  const uint32_t ssrc = rtp.value().ssrc;
  if (ssrc == ours) {
    p->stranger_run_ = 0;
    return GST_PAD_PROBE_OK;
  }
  // A stray packet among ours (or a second sender) never wins: only a stream of its own does.
  p->stranger_run_ = ssrc == p->stranger_ ? p->stranger_run_ + 1 : 1;
  p->stranger_ = ssrc;
  if (p->stranger_run_ >= kAdoptSsrcAfter && p->ssrc_.compare_exchange_strong(ours, ssrc)) {
    p->counters().ssrc_adopted.fetch_add(1);
    spdlog::warn("camera {}: the device sends SSRC {} instead of the agreed {}: taken on", p->camera_id(), ssrc, ours);
    return GST_PAD_PROBE_OK;
  }
  p->counters().rtp_foreign.fetch_add(1);
  return GST_PAD_PROBE_DROP;
}

// After the jitter buffer, in order: the payload is the next piece of the PS stream.
GstFlowReturn PsRtpPipeline::OnPacket(GstElement* sink, gpointer self) {
  auto* p = static_cast<PsRtpPipeline*>(self);
  gst::SamplePtr sample(gst_app_sink_pull_sample(GST_APP_SINK(sink)));
  if (!sample) return GST_FLOW_EOS;
  GstBuffer* buf = gst_sample_get_buffer(sample.get());
  GstMapInfo map;
  if (!buf || !gst_buffer_map(buf, &map, GST_MAP_READ)) return GST_FLOW_OK;
  auto rtp = rtp::ParseRtp(std::string_view(reinterpret_cast<const char*>(map.data), map.size));
  if (rtp.ok() && !rtp.value().payload.empty()) {
    std::string_view payload = rtp.value().payload;
    std::string guessed;
    if (!p->ps_started_) {
      // A stream joined after its first pack (packets lost, an SSRC taken on late) starts at
      // the next pack with a stream map: the demuxer learns the codec from it. A device that
      // sends no map at all starts at a keyframe, with a map made from its parameter sets.
      payload = ps::FromFirstStreamMap(payload);
      if (payload.empty()) {
        guessed = ps::FromFirstKeyframeWithGuessedMap(rtp.value().payload);
        payload = guessed;
        if (!guessed.empty()) {
          spdlog::warn(
              "camera {}: the device's MPEG-PS carries no stream map; its video is read from the "
              "keyframe's parameter sets",
              p->camera_id());
        }
      }
      p->ps_started_ = !payload.empty();
    }
    if (!payload.empty()) {
      gst_app_src_push_buffer(GST_APP_SRC(p->appsrc_), gst_buffer_new_memdup(payload.data(), payload.size()));
    }
  }
  gst_buffer_unmap(buf, &map);
  return GST_FLOW_OK;
}

namespace {

// Pictures a sender split with parameter sets (proto/media/split_picture.h) are joined on the
// demuxer's video before the parser sees them. (RTSP cameras get the same repair on RTP.)
void JoinSplitPictures(GstPad* pad, bool h265) {
  gst_pad_add_probe(
      pad, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad*, GstPadProbeInfo* info, gpointer h265) -> GstPadProbeReturn {
        GstBuffer* in = GST_PAD_PROBE_INFO_BUFFER(info);
        GstMapInfo map;
        if (!in || !gst_buffer_map(in, &map, GST_MAP_READ)) return GST_PAD_PROBE_OK;
        auto joined = h26x::JoinSplitPicture(h265 != nullptr, {reinterpret_cast<const char*>(map.data), map.size});
        gst_buffer_unmap(in, &map);
        if (!joined) return GST_PAD_PROBE_OK;
        GstBuffer* out = gst_buffer_new_memdup(joined->data(), joined->size());
        gst_buffer_copy_into(out, in, GstBufferCopyFlags(GST_BUFFER_COPY_METADATA), 0, -1);
        gst_buffer_unref(in);
        GST_PAD_PROBE_INFO_DATA(info) = out;
        return GST_PAD_PROBE_OK;
      },
      h265 ? reinterpret_cast<gpointer>(1) : nullptr, nullptr);
}

}  // namespace

void PsRtpPipeline::OnPadAdded(GstElement*, GstPad* pad, gpointer self) {
  auto* p = static_cast<PsRtpPipeline*>(self);
  gst::CapsPtr caps(gst_pad_get_current_caps(pad));
  if (!caps) caps.reset(gst_pad_query_caps(pad, nullptr));
  const std::string name = gst_structure_get_name(gst_caps_get_structure(caps.get(), 0));
  if (name == "video/x-h264" || name == "video/x-h265") {
    const bool h265 = name == "video/x-h265";
    JoinSplitPictures(pad, h265);
    return p->LinkVideo(pad, h265 ? "H265" : "H264", nullptr);
  }
  if (name.rfind("video/", 0) == 0) return p->SetFailure("unsupported video in the PS stream: " + name);
  p->Discard(pad);
}

}  // namespace xl::gb28181
