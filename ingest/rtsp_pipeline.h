// One camera's GStreamer pipeline:
//   rtspsrc (RTSP over TCP) → depay → parse → decode (H.264 or H.265)
//   → videorate → videoscale → I420 at the analysis size and rate → leaky queue → appsink.
// Decoded frames reach `on_frame` on the pipeline's own streaming thread; the leaky queue
// means slow analytics drops frames rather than stalling reception.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "analytics/frame.h"
#include "ingest/encoded_unit.h"
#include "ingest/config.h"
#include "ingest/gst_handles.h"
#include "xl/status.h"

namespace xl::ingest {

// Counts kept across a camera's pipeline attempts (updated on streaming threads).
struct PipelineCounters {
  std::atomic<uint64_t> bytes{0};     // encoded video received
  std::atomic<uint64_t> decoded{0};   // frames out of the decoder
  std::atomic<uint64_t> analysed{0};  // frames handed to analytics
  std::atomic<uint64_t> warnings{0};  // decoder/stream warnings (corrupt data and the like)
  std::atomic<int> codec{0};          // 0 unknown, 264 or 265, once the stream is linked
  std::atomic<uint32_t> width{0}, height{0};  // coded size, once known
  std::atomic<uint64_t> video_seq{0};  // live video frames sent

  // "h264", "h265", or "" while unknown.
  const char* codec_name() const { return codec == 265 ? "h265" : codec == 264 ? "h264" : ""; }
};

class RtspPipeline {
 public:
  using FrameCallback = std::function<void(analytics::Frame&)>;
  using EncodedCallback = std::function<void(const EncodedUnit&)>;

  // Builds the pipeline (not yet playing). Fails when a GStreamer element is missing.
  // `counters` must outlive the pipeline. `on_encoded` gets the encoded stream, on the
  // streaming thread, only while SetEncodedTap(true).
  static Result<std::unique_ptr<RtspPipeline>> Create(const CameraConfig& camera, FrameCallback on_frame,
                                                      EncodedCallback on_encoded, PipelineCounters& counters);

  // Stops the pipeline; may block while GStreamer threads wind down.
  ~RtspPipeline();

  RtspPipeline(const RtspPipeline&) = delete;
  RtspPipeline& operator=(const RtspPipeline&) = delete;

  Status Play();

  // Starts or stops passing the encoded stream to `on_encoded` (any thread).
  void SetEncodedTap(bool on);

  // The reason the pipeline failed (error or end of stream), once one happened; never blocks.
  std::optional<std::string> PollFailure();

 private:
  RtspPipeline(const CameraConfig& camera, FrameCallback on_frame, EncodedCallback on_encoded,
               PipelineCounters& counters);
  static GstFlowReturn OnEncoded(GstElement* sink, gpointer self);
  static void OnPadAdded(GstElement* src, GstPad* pad, gpointer self);
  static GstFlowReturn OnSample(GstElement* sink, gpointer self);
  void LinkDecoder(GstPad* pad);
  void SetFailure(std::string reason);

  std::string camera_id_;
  std::string password_;  // scrubbed from any GStreamer message we pass on
  int decode_threads_;
  FrameCallback on_frame_;
  EncodedCallback on_encoded_;
  PipelineCounters& counters_;
  std::atomic<bool> tap_{false};
  GstElement* valve_ = nullptr;  // guarded by mu_; owned by pipeline_
  gst::ElementPtr pipeline_;
  std::atomic<bool> video_linked_{false};  // one video stream is decoded; others are dropped
  GstElement* tail_ = nullptr;  // first element after the decoder (owned by pipeline_)
  gst::BusPtr bus_;
  std::mutex mu_;
  std::optional<std::string> failure_;  // guarded by mu_
};

}  // namespace xl::ingest
