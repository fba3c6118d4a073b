// The simulator's side of one GB/T 28181 live call: a clip looped as MPEG-PS over RTP to
// the platform, paced by the clip's own clock, without re-encoding. Over UDP it sends
// datagrams; over TCP it connects to the platform (setup:active) and frames each packet
// with its length (RFC 4571). Runs on the thread-default GLib main context.
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <memory>
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

 private:
  GbMediaSender(const EncodedClip& clip, GbMediaOptions options) : clip_(clip), o_(std::move(options)), rtp_(o_.ssrc) {}
  static gboolean OnTick(gpointer self);
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
  int64_t started_us_ = 0;
  size_t next_ = 0;      // next unit of the clip
  int64_t loop_ns_ = 0;  // clip time of the current loop's start
  uint64_t units_sent_ = 0;
  bool broken_ = false;
};

}  // namespace xl::camsim
