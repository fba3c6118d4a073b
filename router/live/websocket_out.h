// Live video for browsers: fMP4 over WebSocket at ws://HOST:HTTP_PORT/live/<camera-id>.
// The first message is text, the MSE mime type ("video/mp4; codecs=\"avc1.64001f\""); then
// binary messages: the init segment, and one fragment per frame from a keyframe on.
// Fragments are made once per frame and shared by every browser watching that camera.
// A browser whose socket is not draining is skipped to the next keyframe.
// An unknown camera gets a text message {"error": "..."} and the socket is closed (4404); a
// request without a session, or for a camera outside the user's region, likewise (4401); a
// camera the relay will not start now (a link's live budget) gets {"error": why, "refused":
// true} and 4429.
// The grant is checked again twice a second: logout, expiry or a lost right closes the socket.
// Thread: the router's one loop thread only (router/router.h); not thread-safe.
#pragma once

#include <glib.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/http_server.h"
#include "router/live/fmp4_muxer.h"
#include "router/live/live_relay.h"

namespace xl::router {

class WebSocketOut {
 public:
  // Serves /live/ on `http`. `codec_of` gives a known camera's codec ("" when the camera is
  // unknown or has not been seen yet); `allowed` says whether the request's cookies may
  // watch the camera.
  using AllowFn = std::function<bool(const std::map<std::string, std::string>& cookies, const std::string& camera)>;
  WebSocketOut(HttpServer& http, LiveRelay& relay, std::function<std::string(const std::string&)> codec_of,
               AllowFn allowed);
  ~WebSocketOut();

  size_t viewers() const { return peers_.size(); }

 private:
  class Peer;
  void Open(const std::string& path, const std::map<std::string, std::string>& cookies, SoupWebsocketConnection* conn);
  void Closed(Peer* peer);
  static gboolean OnCheck(gpointer self);

  LiveRelay& relay_;
  std::function<std::string(const std::string&)> codec_of_;
  AllowFn allowed_;
  std::map<Peer*, std::unique_ptr<Peer>> peers_;
  std::map<std::string, std::shared_ptr<Fmp4Muxer>> muxers_;  // per camera, while watched
  guint check_ = 0;
};

}  // namespace xl::router
