#include "router/live/rtsp_access.h"

#include "proto/camera/camera_id.h"

namespace xl::router {

void RtspAccess::SetUsers(std::map<std::string, Login> users) {
  std::lock_guard lock(mu_);
  users_ = std::move(users);
}

void RtspAccess::SetCameras(std::map<std::string, Camera> cameras) {
  std::lock_guard lock(mu_);
  cameras_ = std::move(cameras);
}

std::optional<RtspAccess::Login> RtspAccess::User(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = users_.find(name);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> RtspAccess::CodecFor(const std::string& user, const std::string& camera) const {
  std::lock_guard lock(mu_);
  auto u = users_.find(user);
  auto c = cameras_.find(camera);
  if (u == users_.end() || c == cameras_.end() || !RegionMatches(u->second.region, c->second.region, camera)) {
    return std::nullopt;
  }
  if (c->second.codec != "h264" && c->second.codec != "h265") return std::nullopt;
  return c->second.codec;
}

bool RtspAccess::MayPlayRecording(const std::string& user, const std::string& camera) const {
  std::lock_guard lock(mu_);
  auto u = users_.find(user);
  auto c = cameras_.find(camera);
  return u != users_.end() && c != cameras_.end() && c->second.local &&
         RegionMatches(u->second.region, c->second.region, camera);
}

}  // namespace xl::router
