// Who may see which camera over the RTSP re-serve: the users who may log in (their digest
// HA1 and region) and the cameras served (their region and codec). A camera outside the
// user's region is 404 — at DESCRIBE already, so its SDP is not shown and its video is not
// pulled — as if it did not exist. Recordings are played of cameras registered here (those of
// routers below are played at their site).
//
// Sender threads ask; the router's loop changes users and cameras. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace xl::router {

class RtspAccess {
 public:
  struct Login {
    std::string ha1;     // MD5(name:kRtspRealm:password)
    std::string region;  // "" sees every camera
  };
  struct Camera {
    std::string codec;  // "h264" or "h265": served live; else not
    std::string region;
    bool local = false;  // registered at this router: its recordings are on its workers
    bool operator==(const Camera&) const = default;
  };
  void SetUsers(std::map<std::string, Login> users);
  void SetCameras(std::map<std::string, Camera> cameras);

  std::optional<Login> User(const std::string& name) const;
  // The camera's codec when `user` exists and their region covers `camera`, a served camera;
  // nullopt otherwise.
  std::optional<std::string> CodecFor(const std::string& user, const std::string& camera) const;
  // True when `user` exists, their region covers `camera`, and it is recorded here.
  bool MayPlayRecording(const std::string& user, const std::string& camera) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, Login> users_;
  std::map<std::string, Camera> cameras_;
};

}  // namespace xl::router
