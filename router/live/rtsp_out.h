// RTSP re-serve of live video with gst-rtsp-server: rtsp://HOST:PORT/<camera-id>, one shared
// media per camera however many players connect (VLC, ffplay, hardware decoders, video-wall
// controllers), fed from the LiveRelay — the camera is never pulled again. Runs on the
// thread-default GLib context (the router's loop).
//
// Players log in as desk users (RTSP digest, realm kRtspRealm, against the HA1 the user
// store keeps) and see only the cameras of their user's region: a camera outside it is 404,
// as if it did not exist; no or wrong credentials, 401. There is no anonymous access.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "router/desk/user_store.h"
#include "router/live/live_relay.h"

typedef struct _GstRTSPServer GstRTSPServer;
typedef struct _GstRTSPMountPoints GstRTSPMountPoints;

namespace xl::router {

struct RtspOutConfig {
  std::string address = "127.0.0.1";
  int port = 8554;  // 0: any free port
};

class RtspOut {
 public:
  // True when a user of `region` may see `camera`.
  using Visible = std::function<bool(const std::string& region, const std::string& camera)>;
  // Requires gst_init(). Listens at once; cameras are mounted by Mount(), logins set by
  // SetLogins() (none until then: every player is refused).
  static Result<std::unique_ptr<RtspOut>> Start(const RtspOutConfig& config, LiveRelay& relay, Visible visible);
  ~RtspOut();  // removes digest_dir_

  // Makes rtsp://…/<camera> serve `codec` ("h264"/"h265"); "" unmounts it. Idempotent.
  void Mount(const std::string& camera, const std::string& codec);
  int port() const { return port_; }
  // Replaces who may log in. Players of users no longer in `logins` unchanged (removed,
  // disabled, new password or region) are disconnected.
  void SetLogins(const std::vector<UserStore::RtspLogin>& logins);

  // Internal: called on the loop thread when a media is built or torn down.
  void OnMediaConstructed(const std::string& camera, void* media);
  void OnMediaGone(void* media);

 private:
  class Feed;
  RtspOut(LiveRelay& relay, Visible visible);
  // The status for a DESCRIBE/SETUP/PLAY of the context's URL by its logged-in user.
  static int CheckRequest(void* client, void* ctx, void* self);

  LiveRelay& relay_;
  Visible visible_;
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
