// The video of one live call to the upper platform: a camera's frames from the relay (a
// LiveViewer), each as one MPEG-PS pack (proto/media/ps_muxer.h) over RTP with the SSRC the
// upper gave, H.264 or H.265 as the camera sends it, over
//   udp                          datagrams from our media port to the offer's address;
//   tcp, offer setup:passive     the upper listens: we connect once the call is ACKed;
//   tcp, offer setup:active      the upper connects: we listen on our media port and take
//                                its first connection from the offer's address (others
//                                are closed), kAcceptWaitMs at most.
// On TCP each packet goes after its length (RFC 4571), without ever blocking the loop.
//
// Frames that come before the path is ready wait, from a keyframe on (kMaxWaiting at most);
// a frame the path cannot take now (TCP: more than kMaxQueued bytes unsent) is refused, and
// the relay moves this viewer on to the next keyframe, so the upper never gets a broken
// picture and nobody else waits. A path that breaks calls `on_failed` once, from the loop.
// Thread: the router's loop (the thread-default GLib context).
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/gst_handles.h"
#include "common/status.h"
#include "proto/gb28181/sdp.h"
#include "proto/media/ps_rtp.h"
#include "router/live/live_relay.h"

namespace xl::router {

class PsSender : public LiveViewer {
 public:
  static constexpr size_t kMaxWaiting = 300;       // frames held until the path is ready
  static constexpr size_t kMaxQueued = 4 << 20;    // TCP bytes unsent before frames are refused
  static constexpr int64_t kAcceptWaitMs = 10000;  // setup:active: the upper's connection, at most this late

  using Failed = std::function<void(const std::string& why)>;

  // Opens our side for `offer` on `local_ip` (UDP: bound; TCP passive: listening). Error when
  // the offer cannot be served (a bad address) or the socket cannot be opened.
  static Result<std::unique_ptr<PsSender>> Open(const gb28181::MediaDescription& offer, const std::string& local_ip,
                                                Failed on_failed);
  ~PsSender() override;
  PsSender(const PsSender&) = delete;
  PsSender& operator=(const PsSender&) = delete;

  // Our media description for the answer: ip, port, transport, setup.
  gb28181::MediaDescription Ours() const;
  // The call was ACKed: TCP active connects; sending starts once the path is there.
  void Start();
  bool Offer(const LiveFramePtr& frame) override;

  struct Stats {
    uint64_t frames = 0, bytes = 0, refused = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  PsSender(gb28181::MediaDescription offer, std::string local_ip, Failed on_failed);
  Status OpenUdp();
  Status Listen();
  void Connect();
  static void OnConnected(GObject* client, GAsyncResult* result, gpointer self);
  static gboolean OnAccept(GSocket*, GIOCondition, gpointer self);
  static gboolean OnWritable(GSocket*, GIOCondition, gpointer self);
  static gboolean OnAcceptTimeout(gpointer self);
  // The TCP connection is there (either way): watch it, maybe start sending.
  void Connected(GSocket* socket);
  bool Ready() const { return started_ && (udp_ || tcp_socket_); }
  // Sends the waiting frames once Ready.
  void Flush();
  bool Send(const LiveFrame& frame);
  void SendBytes(std::string_view bytes);
  bool FlushTcp();
  void Fail(const std::string& why);

  gb28181::MediaDescription offer_;
  std::string local_ip_;
  Failed on_failed_;
  rtp::PsRtpPacketizer rtp_;
  gst::GObjectPtr<GSocket> udp_;
  gst::GObjectPtr<GSocketAddress> to_;
  gst::GObjectPtr<GSocket> listener_;
  gst::SourcePtr accept_source_;
  guint accept_timer_ = 0;
  gst::GObjectPtr<GCancellable> cancel_;
  gst::GObjectPtr<GSocketConnection> connection_;  // TCP active
  gst::GObjectPtr<GSocket> tcp_socket_;            // TCP either way, once connected
  gst::SourcePtr write_source_;
  std::string outbox_;  // TCP bytes not yet taken by the socket
  int port_ = 9;
  bool started_ = false;
  bool failed_ = false;
  std::vector<LiveFramePtr> waiting_;
  Stats stats_;
};

}  // namespace xl::router
