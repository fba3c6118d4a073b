// Serves EncodedClips over RTSP with gst-rtsp-server: one mount per stream, looped forever,
// timestamps continuing across loops, shared between all clients of a mount, no re-encoding.
#pragma once

#include <gst/rtsp-server/rtsp-server.h>

#include <map>
#include <memory>
#include <string>

#include "tools/camsim/encoded_clip.h"

namespace xl::camsim {

struct ServerOptions {
  int port = 8554;
  std::string bind = "0.0.0.0";
  std::string user;  // empty: no authentication
  std::string password;
};

class RtspMounts {
 public:
  explicit RtspMounts(const ServerOptions& options);
  ~RtspMounts();

  // Serves `clip` at rtsp://HOST:PORT/<name>. The clip must outlive this object. With
  // `split_keyframes`, like a flawed sender: parameter sets before every slice of a keyframe
  // (GStreamer 1.22's payloader with config-interval=-1, as some cameras run it). With
  // `mark_s` ≥ 0, each loop logs "camsim: /NAME mark at WALL_MS": when the frame at that time
  // of the clip is due to go out (bench/alert_latency: the onset of motion in the source).
  void Add(const std::string& name, std::shared_ptr<const EncodedClip> clip, bool split_keyframes = false,
           double mark_s = -1);

  // Starts listening on the default GLib main context; false when the port is taken.
  bool Attach();

 private:
  GstRTSPServer* server_;
  GstRTSPMountPoints* mounts_;
  guint source_ = 0;
  bool auth_;
};

}  // namespace xl::camsim
