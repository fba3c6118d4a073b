// The simulator's side of one GB/T 28181 media call: a clip looped as MPEG-PS over RTP to
// the platform, paced by the clip's own clock, without re-encoding. Over UDP it sends
// datagrams; over TCP it connects to the platform (setup:active) and frames each packet
// with its length (RFC 4571). Runs on the thread-default GLib main context.
//
// A recording call (Playback, Download) plays the device's recordings instead: the clip laid
// out as one file per loop from recording time 0, from a time to a time, files that are
// missing skipped (the stream's timestamps jump over them), at a speed, paused and moved on
// request; at the end it stops and says so (on_finished).
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/gst_handles.h"
#include "common/status.h"
#include "proto/media/ps_rtp.h"
#include "tools/camsim/encoded_clip.h"

namespace xl::camsim {

struct GbMediaOptions {
  std::string ip;  // the platform's media address (its SDP)
  int port = 0;
  std::string transport = "udp";  // or "tcp"
  uint32_t ssrc = 0;
  int stall_after_s = 0;  // > 0: stop sending after this long, without BYE (a dying stream)
  bool garbage = false;   // mix in packets of another SSRC and truncated packets
  // Real-world deviations (gb28181_device.h, kGbQuirks):
  bool slow_clock = false;  // RTP timestamps advance 40 per frame
  bool ts_jumps = false;    // RTP timestamps start near the 32-bit wrap and jump every 5 s
  bool stream_map = true;   // false: no system header or stream map, even on keyframes
  bool audio = false;       // G.711 A-law audio beside the video
  struct Recording {
    int64_t file_ns = 0;                        // one file: a loop of the clip
    int64_t from_ns = 0, to_ns = 0;             // recording time to play: from the keyframe at or before from_ns
    double scale = 1;                           // times real time
    bool download = false;                      // every frame at any speed (Playback: keyframes only above 4×)
    std::function<bool(int64_t file)> missing;  // files the device lost
  };
  std::optional<Recording> recording;  // none: live video
  std::function<void()> on_finished;   // a recording sent to its end (once; then nothing more is sent)
};

class GbMediaSender {
 public:
  // Opens the socket (UDP: bound, so the answer can name its port). `clip` must outlive it.
  static Result<std::unique_ptr<GbMediaSender>> Open(const EncodedClip& clip, GbMediaOptions options);
  ~GbMediaSender();
  // Our port for the SDP answer (UDP); 9 ("discard") for TCP, which connects instead.
  int local_port() const { return local_port_; }
  // Starts sending (TCP: connects first). Error when the platform cannot be reached.
  Status Start();
  uint64_t packets() const { return rtp_.packets(); }
  // Recordings: hold; go on at `scale` (0: the speed as it was); go to `offset_ns` after the
  // recording's start (the keyframe at or before it).
  void Pause() { paused_ = true; }
  void Resume(double scale);
  void Seek(int64_t offset_ns);
  // Recordings: true when the range holds anything to send.
  bool HasMedia() const { return !finished_; }

 private:
  GbMediaSender(const EncodedClip& clip, GbMediaOptions options) : clip_(clip), o_(std::move(options)), rtp_(o_.ssrc) {}
  static gboolean OnTick(gpointer self);
  // Moves to recording time `t_ns` (the keyframe at or before it; past missing files).
  void MoveTo(int64_t t_ns);
  // The next unit; past missing files (the clock jumps over them too).
  void Advance();
  int64_t LoopNs() const { return o_.recording ? o_.recording->file_ns : std::max<int64_t>(clip_.duration_ns, 1); }
  bool Missing(int64_t loop) const { return o_.recording && o_.recording->missing && o_.recording->missing(loop); }
  void SendUnit(const AccessUnit& unit, uint64_t pts_90k, uint64_t dts_90k);
  void SendPacket(const std::string& packet);

  const EncodedClip& clip_;
  GbMediaOptions o_;
  rtp::PsRtpPacketizer rtp_;
  gst::GObjectPtr<GSocket> udp_;
  gst::GObjectPtr<GSocketConnection> tcp_;
  gst::GObjectPtr<GSocketAddress> to_;
  int local_port_ = 9;
  guint timer_ = 0;
  int64_t started_us_ = 0, last_us_ = 0;
  size_t next_ = 0;        // next unit of the clip
  int64_t loop_ = 0;       // the loop (a recording: the file) it is in
  int64_t clock_ns_ = 0;   // units up to this time are due (advances at scale_ while not paused)
  int64_t origin_ns_ = 0;  // the time the stream's timestamps count from
  double scale_ = 1;
  bool paused_ = false;
  bool finished_ = false;
  uint64_t units_sent_ = 0;
  bool broken_ = false;
};

}  // namespace xl::camsim
