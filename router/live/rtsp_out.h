// RTSP re-serve of live video with gst-rtsp-server: rtsp://HOST:PORT/<camera-id>, one shared
// media per camera however many players connect (VLC, ffplay, hardware decoders, video-wall
// controllers), fed from the LiveRelay — the camera is never pulled again. Runs on the
// thread-default GLib context (the router's loop).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "common/status.h"
#include "router/live/live_relay.h"

typedef struct _GstRTSPServer GstRTSPServer;
typedef struct _GstRTSPMountPoints GstRTSPMountPoints;

namespace xl::router {

struct RtspOutConfig {
  std::string address = "127.0.0.1";  // a non-loopback address needs user and password
  int port = 8554;                    // 0: any free port
  std::string user, password;         // digest authentication when set
};

class RtspOut {
 public:
  // Requires gst_init(). Listens at once; cameras are mounted by Mount(). Error when asked to
  // listen beyond loopback without credentials.
  static Result<std::unique_ptr<RtspOut>> Start(const RtspOutConfig& config, LiveRelay& relay);
  ~RtspOut();

  // Makes rtsp://…/<camera> serve `codec` ("h264"/"h265"); "" unmounts it. Idempotent.
  void Mount(const std::string& camera, const std::string& codec);
  int port() const { return port_; }

  // Internal: called on the loop thread when a media is built or torn down.
  void OnMediaConstructed(const std::string& camera, void* media);
  void OnMediaGone(void* media);

 private:
  class Feed;
  explicit RtspOut(LiveRelay& relay);

  LiveRelay& relay_;
  GstRTSPServer* server_ = nullptr;
  GstRTSPMountPoints* mounts_ = nullptr;
  unsigned source_ = 0;
  bool auth_ = false;
  int port_ = 0;
  std::map<std::string, std::string> mounted_;    // camera → codec
  std::map<void*, std::unique_ptr<Feed>> feeds_;  // by GstRTSPMedia*
};

}  // namespace xl::router
