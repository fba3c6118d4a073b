// RTSP re-serve of live video: rtsp://HOST:PORT/<camera-id> for VLC, ffplay, NVR decoders and
// video-wall controllers, fed from the LiveRelay — the camera is never pulled again.
//
// Each camera's access units are packetised once (router/live/rtsp_stream.h) and the same
// bytes are written to every player. Players are spread over a pool of sender threads (one a
// core by default; router/live/rtsp_sender.h), which parse their requests and write their
// video; the router's loop only accepts connections and feeds the streams. RTP over TCP
// (interleaved) and UDP unicast; the reply to PLAY always precedes the first video byte.
//
// Players log in as desk users (RTSP digest, realm kRtspRealm, against the HA1 the user
// store keeps) and see only the cameras of their user's region (RtspAccess): a camera outside
// it is 404, as if it did not exist; no or wrong credentials, 401. No anonymous access.
// Every public method is called on the loop thread.
#pragma once

#include <glib.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "router/desk/user_store.h"
#include "router/live/live_relay.h"
#include "router/live/rtsp_access.h"
#include "router/live/rtsp_sender.h"

namespace xl::router {

struct RtspOutConfig {
  std::string address = "127.0.0.1";
  int port = 8554;             // 0: any free port
  int threads = 0;             // sender threads; 0: one a core
  int merge_ms = 0;            // write batching: a player's video is written at most this often (0: at once)
  int session_timeout_s = 60;  // a player heard from neither by request nor RTCP for this long is closed
  size_t max_players = 4096;   // connections beyond are refused
};

struct RtspCamera {
  std::string codec;   // "h264" or "h265" is served live; anything else is not
  std::string region;  // who sees it (RegionMatches)
  bool local = false;  // registered here: its recordings play (rtsp_player.h)
};

class RtspOut {
 public:
  // Listens at once; cameras are served after SetCameras(), players log in after SetLogins()
  // (none until then: every player is refused).
  // `open_recording` (may be unset: no recordings played) is called on sender threads.
  static Result<std::unique_ptr<RtspOut>> Start(const RtspOutConfig& config, LiveRelay& relay,
                                                RecordingOpener open_recording = nullptr);
  ~RtspOut();  // disconnects every player

  // Serves exactly `cameras` (by ID) at rtsp://…/<camera>; players of a camera gone or moved
  // out of their user's region are disconnected.
  void SetCameras(const std::map<std::string, RtspCamera>& cameras);
  int port() const { return port_; }
  // Replaces who may log in. Players of users no longer in `logins` unchanged (removed,
  // disabled, new password or region) are disconnected.
  void SetLogins(const std::vector<UserStore::RtspLogin>& logins);
  size_t players() const;
  uint64_t skips() const;  // players skipped to a keyframe, ever
  size_t threads() const { return senders_.size(); }

 private:
  struct Entry {
    std::shared_ptr<RtspStream> stream;
    bool in_relay = false;  // added to the relay (on the loop)
  };
  explicit RtspOut(LiveRelay& relay, const RtspOutConfig& config);
  // Any thread: the camera's stream, made (and added to the relay, on the loop) if needed.
  std::shared_ptr<RtspStream> Acquire(const std::string& camera, h26x::Codec codec);
  static gboolean OnAccept(gint fd, GIOCondition, gpointer self);
  static gboolean OnPrune(gpointer self);

  LiveRelay& relay_;
  RtspSettings settings_;
  size_t max_players_;
  std::shared_ptr<RtspAccess> access_ = std::make_shared<RtspAccess>();
  std::map<std::string, UserStore::RtspLogin> logins_;  // by name
  std::map<std::string, RtspAccess::Camera> cameras_;   // as last set
  int listen_fd_ = -1;
  guint accept_source_ = 0, resume_source_ = 0, prune_source_ = 0;
  int port_ = 0;
  std::vector<std::unique_ptr<RtspSender>> senders_;
  // Expires with this object: work queued for the loop by sender threads checks it.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  std::mutex streams_mu_;
  std::vector<Entry> streams_;  // at most one per camera and codec that anyone holds
  uint64_t next_serial_ = 1;    // under streams_mu_
};

}  // namespace xl::router
