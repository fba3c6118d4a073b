// Who may see which camera over the RTSP re-serve, checked where gst-rtsp-server asks: a
// GstRTSPAuth whose factory-access check, after the digest login, also requires the logged-in
// user's region to cover the camera. A camera outside it is 404 — at DESCRIBE already, so its
// SDP is not shown and its video is not pulled — as if it did not exist.
//
// gst-rtsp-server calls the check from its client threads; the router's loop changes users
// and cameras. Everything here is safe to call from any thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

typedef struct _GstRTSPAuth GstRTSPAuth;

namespace xl::router {

class RtspAccess {
 public:
  // Replaces the users who may log in (name → region; "" sees every camera).
  void SetUsers(std::map<std::string, std::string> regions);
  // Replaces the cameras there are (ID → region).
  void SetCameras(std::map<std::string, std::string> regions);
  // True when `user` exists and their region covers `camera`, an existing camera.
  bool Sees(const std::string& user, const std::string& camera) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> user_regions_;
  std::map<std::string, std::string> camera_regions_;
};

// A new digest-only GstRTSPAuth (realm kRtspRealm) that also asks `access` before a player
// reaches a camera, and tags the client with its user (object data "xl-user"). The caller owns
// the returned reference.
GstRTSPAuth* NewRtspAuth(std::shared_ptr<const RtspAccess> access);

}  // namespace xl::router
