// What every camera's GStreamer pipeline shares, whatever the source (RTSP, GB/T 28181):
//
//   <source front> → parse (H.264/H.265) → tee ─→ decode → videorate → videoscale → I420 at
//                                               │   the analysis size and rate → leaky queue → appsink
//                                               └→ valve → appsink (the encoded stream, while tapped)
//
// A source front (RtspPipeline, gb28181::PsRtpPipeline) builds its elements and, once it
// knows the codec, calls LinkVideo with its pad of encoded video. Decoded frames reach
// `on_frame` on a streaming thread; the leaky queue means slow analytics drops frames rather
// than stalling reception.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "analytics/frame.h"
#include "common/gst_handles.h"
#include "common/status.h"
#include "ingest/encoded_unit.h"
#include "ingest/worker_config.h"

namespace xl::ingest {

// Counts kept across a camera's pipeline attempts (updated on streaming threads).
struct PipelineCounters {
  std::atomic<uint64_t> bytes{0};             // encoded video received
  std::atomic<uint64_t> decoded{0};           // frames out of the decoder
  std::atomic<uint64_t> analysed{0};          // frames handed to analytics
  std::atomic<uint64_t> warnings{0};          // decoder/stream warnings (corrupt data and the like)
  std::atomic<uint64_t> rtp_malformed{0};     // GB28181: packets that are not RTP, dropped
  std::atomic<uint64_t> rtp_foreign{0};       // GB28181: packets of another SSRC, dropped
  std::atomic<uint64_t> ssrc_adopted{0};      // GB28181: times the device's own SSRC was taken on
  std::atomic<int> codec{0};                  // 0 unknown, 264 or 265, once the stream is linked
  std::atomic<uint32_t> width{0}, height{0};  // coded size, once known
  std::atomic<uint64_t> video_seq{0};         // live video frames sent

  // "h264", "h265", or "" while unknown.
  const char* codec_name() const { return codec == 265 ? "h265" : codec == 264 ? "h264" : ""; }
};

class CameraPipeline {
 public:
  using FrameCallback = std::function<void(analytics::Frame&)>;
  using EncodedCallback = std::function<void(const EncodedUnit&)>;

  virtual ~CameraPipeline();
  CameraPipeline(const CameraPipeline&) = delete;
  CameraPipeline& operator=(const CameraPipeline&) = delete;

  // Starts the pipeline. Its streaming threads (receiving, decoding, analysing) and the
  // threads they start run at niceness `video_nice` (0: the caller's), so that on a machine
  // short of CPU the main loop (SIP, control, states) still runs on time.
  Status Play(int video_nice);
  // Starts or stops passing the encoded stream to `on_encoded` (any thread).
  void SetEncodedTap(bool on);
  // The reason the pipeline failed (error or end of stream), once one happened; never blocks.
  std::optional<std::string> PollFailure();
  // Records why the attempt failed (the first reason wins); any thread.
  void SetFailure(std::string reason);

 protected:
  // `counters` must outlive the pipeline; `secret` is scrubbed from every failure text.
  CameraPipeline(const CameraConfig& camera, FrameCallback on_frame, EncodedCallback on_encoded,
                 PipelineCounters& counters, std::string secret);
  // Creates the pipeline and its decode tail. Error when a GStreamer element is missing.
  Status Build();
  // Adds an element of `factory` to the pipeline (nullptr when it is not installed).
  GstElement* Add(const char* factory);
  // Links `pad` (encoded video of `codec`, "H264" or "H265") through `front` (an element
  // already in the pipeline, e.g. a depayloader; nullptr: straight to the parser) to the
  // parser and on to the decoder and the encoded tap. Failures go to SetFailure. Any thread.
  void LinkVideo(GstPad* pad, const std::string& codec, GstElement* front);
  // Sends whatever is not video to a fakesink so it cannot stall the pipeline.
  void Discard(GstPad* pad);
  // Stops the pipeline; may block while GStreamer threads wind down. A front whose
  // callbacks use its own members calls it first thing in its destructor.
  void Stop();
  GstElement* pipeline() const { return pipeline_.get(); }
  PipelineCounters& counters() { return counters_; }
  const std::string& camera_id() const { return camera_id_; }

 private:
  static GstFlowReturn OnEncoded(GstElement* sink, gpointer self);
  static GstFlowReturn OnSample(GstElement* sink, gpointer self);

  std::string camera_id_;
  std::string secret_;
  int decode_threads_;
  double analysis_fps_;
  int analysis_height_;
  FrameCallback on_frame_;
  EncodedCallback on_encoded_;
  PipelineCounters& counters_;
  std::atomic<bool> tap_{false};
  std::atomic<bool> video_linked_{false};  // one video stream is decoded; others are dropped
  GstElement* valve_ = nullptr;            // guarded by mu_; owned by pipeline_
  GstElement* tail_ = nullptr;             // first element after the decoder (owned by pipeline_)
  gst::ElementPtr pipeline_;
  gst::BusPtr bus_;
  std::mutex mu_;
  std::optional<std::string> failure_;  // guarded by mu_
};

}  // namespace xl::ingest
