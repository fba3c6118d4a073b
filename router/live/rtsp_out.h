// RTSP re-serve of live video with gst-rtsp-server: rtsp://HOST:PORT/<camera-id>, one shared
// media per camera however many players connect (VLC, ffplay, hardware decoders, video-wall
// controllers), fed from the LiveRelay — the camera is never pulled again. Listens on the
// thread-default GLib context (the router's loop); players are served by gst-rtsp-server's
// thread pool (one thread a core), so a player waiting for a camera's first keyframe never
// holds up the loop. Every method is called on the loop thread.
//
// Players log in as desk users (RTSP digest, realm kRtspRealm, against the HA1 the user
// store keeps) and see only the cameras of their user's region (RtspAccess): a camera outside
// it is 404, as if it did not exist; no or wrong credentials, 401. No anonymous access.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "router/desk/user_store.h"
#include "router/live/live_relay.h"
#include "router/live/rtsp_access.h"

typedef struct _GstRTSPServer GstRTSPServer;
typedef struct _GstRTSPMountPoints GstRTSPMountPoints;

namespace xl::router {

struct RtspOutConfig {
  std::string address = "127.0.0.1";
  int port = 8554;  // 0: any free port
};

struct RtspCamera {
  std::string codec;   // "h264" or "h265" is served; anything else is not
  std::string region;  // who sees it (RegionMatches)
};

class RtspOut {
 public:
  // Requires gst_init(). Listens at once; cameras are served after SetCameras(), players log
  // in after SetLogins() (none until then: every player is refused).
  static Result<std::unique_ptr<RtspOut>> Start(const RtspOutConfig& config, LiveRelay& relay);
  ~RtspOut();  // disconnects every player; removes digest_dir_

  // Serves exactly `cameras` (by ID) at rtsp://…/<camera>. Cheap when nothing changed.
  void SetCameras(const std::map<std::string, RtspCamera>& cameras);
  int port() const { return port_; }
  // Replaces who may log in. Players of users no longer in `logins` unchanged (removed,
  // disabled, new password or region) are disconnected.
  void SetLogins(const std::vector<UserStore::RtspLogin>& logins);

  // Internal: called on the loop thread when a media is built or torn down.
  void OnMediaConstructed(const std::string& camera, void* media);
  void OnMediaGone(void* media);

 private:
  class Feed;
  explicit RtspOut(LiveRelay& relay);
  void Mount(const std::string& camera, const std::string& codec);

  LiveRelay& relay_;
  // Expires with this object: work queued for the loop by gst-rtsp-server's threads checks it.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  std::shared_ptr<RtspAccess> access_ = std::make_shared<RtspAccess>();
  std::map<std::string, UserStore::RtspLogin> logins_;  // by name
  std::string digest_dir_;                              // private (0700): one-line htdigest files while loading
  GstRTSPServer* server_ = nullptr;
  GstRTSPMountPoints* mounts_ = nullptr;
  unsigned source_ = 0;
  int port_ = 0;
  std::map<std::string, std::string> mounted_;    // camera → codec
  std::map<void*, std::unique_ptr<Feed>> feeds_;  // by GstRTSPMedia*
};

}  // namespace xl::router
