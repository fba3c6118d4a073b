// Playback for browsers: a camera's recording as fMP4 over WebSocket at
// ws://HOST:HTTP_PORT/playback/<camera>, paced by the player, at 1×, 2× and 4× (every frame)
// and 8× and 16× (keyframes only). At /playback/<camera>/device the same for what a GB/T
// 28181 camera's own device keeps, played by the device (router/recordings/device_playback_cursor.h):
// the same messages; a paused player pauses the device.
//
// The client steers with text messages (JSON):
//   {"seek": MS, "speed": N}  start (again) at wall-clock MS: from the keyframe at or before
//                             it; speed 1, 2, 4, 8 or 16 (default 1). A speed change is a seek
//                             to where the player stands, so what was sent at the old speed
//                             is not played at the new one.
//   {"at": MS}                where the player stands now (send it about every second while
//                             playing; a paused player simply stops sending it). The server
//                             keeps at most PlaybackCursor::kLookaheadS × speed of recording
//                             ahead of it (router/recordings/playback_cursor.h).
// The server answers with text messages and, after each "chunk", one binary message:
//   {"type": "seeked", "at_ms", "speed"}
//   {"type": "chunk", "start_ms", "end_ms", "speed", "keyframes_only", "mime"} and then a whole
//       fMP4 (init segment and fragments) whose time 0 is start_ms (wall clock); recorded time
//       between chunks that is missing is a gap in the recording
//   {"type": "end", "at_ms"}  nothing is recorded after at_ms (yet): more chunks follow by
//       themselves if the recording goes on
//   {"type": "error", "error"} and a close (4400 bad request, 4401 no session or the camera
//       is outside the user's region, 4404 no such camera)
// The grant is checked again every second: logout or a lost right closes the socket (4401).
// Thread: the router's loop thread only; not thread-safe.
#pragma once

#include <glib.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/http_server.h"
#include "router/recordings/playback_cursor.h"
#include "router/recordings/recording_desk.h"

namespace xl::router {

class PlaybackSocket {
 public:
  // Serves /playback/ on `http`. `allowed` says whether the request's cookies may play the
  // camera's recordings (a session, the camera in the user's region, registered here).
  using AllowFn = std::function<bool(const std::map<std::string, std::string>& cookies, const std::string& camera)>;
  PlaybackSocket(HttpServer& http, RecordingDesk& recordings, AllowFn allowed);
  ~PlaybackSocket();
  PlaybackSocket(const PlaybackSocket&) = delete;
  PlaybackSocket& operator=(const PlaybackSocket&) = delete;

  size_t sessions() const { return sessions_.size(); }

 private:
  class Session;
  void Open(const std::string& path, const std::map<std::string, std::string>& cookies, SoupWebsocketConnection* conn);
  void Closed(Session* session);
  static gboolean OnTick(gpointer self);

  RecordingDesk& recordings_;
  AllowFn allowed_;
  std::map<Session*, std::unique_ptr<Session>> sessions_;
  guint tick_ = 0;
  int ticks_ = 0;
  uint64_t serials_ = 0;  // tells a session from a later one at the same address
};

}  // namespace xl::router
