// A GB/T 28181 channel's pipeline: the platform's end of a live-video call (MPEG-PS over RTP).
//
//   UDP: udpsrc (our socket) ──────────────────────┐
//   TCP: tcpserversrc → rtpstreamdepay (RFC 4571) ──┴→ RTP check → rtpjitterbuffer → appsink
//   → the packets' payload (MPEG-PS), from the first pack with a stream map (PSM)
//   → appsrc → mpegpsdemux → the shared decode chain
//
// The RTP check drops, and counts, packets that are not RTP (PipelineCounters::rtp_malformed)
// and packets of another SSRC (rtp_foreign) — unless that SSRC alone is heard for a run of
// packets: then the device sends with its own, and it is taken on (ssrc_adopted, logged).
// Over TCP the platform listens (setup:passive) and takes the first connection.
// Thread: Create, port and SetSsrc on the worker's main thread; the packet check runs on a
// streaming thread (the SSRC is atomic).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "ingest/camera_pipeline.h"

namespace xl::gb28181 {

class PsRtpPipeline : public ingest::CameraPipeline {
 public:
  // Listens on `bind_ip` on a free port, over `transport` ("udp" or "tcp"), for packets of
  // `ssrc`. Not yet playing. Fails when an element is missing or the port cannot be opened.
  static Result<std::unique_ptr<PsRtpPipeline>> Create(const camera::CameraConfig& camera, const std::string& transport,
                                                       const std::string& bind_ip, uint32_t ssrc,
                                                       FrameCallback on_frame, EncodedCallback on_encoded,
                                                       ingest::PipelineCounters& counters);
  ~PsRtpPipeline() override;

  // The port the device sends to (UDP) or connects to (TCP); for TCP known once playing.
  int port() const;
  // The SSRC accepted from now on (a device's answer may name its own).
  void SetSsrc(uint32_t ssrc) { ssrc_ = ssrc; }
  uint32_t ssrc() const { return ssrc_; }

 private:
  using CameraPipeline::CameraPipeline;
  static GstPadProbeReturn OnRtp(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  static GstFlowReturn OnPacket(GstElement* sink, gpointer self);
  static void OnPadAdded(GstElement* demux, GstPad* pad, gpointer self);

  std::atomic<uint32_t> ssrc_{0};
  // Another SSRC heard with none of ours between (the packet check's thread only): many devices
  // send with an SSRC of their own whatever they answered, and it is taken on after a run.
  uint32_t stranger_ = 0;
  int stranger_run_ = 0;
  bool ps_started_ = false;  // a pack with a stream map was passed on (the appsink's thread only)
  int udp_port_ = 0;
  GstElement* tcp_src_ = nullptr;  // owned by the pipeline
  GstElement* appsrc_ = nullptr;   // owned by the pipeline
};

}  // namespace xl::gb28181
