#include "router/cascade/video_up.h"

#include <spdlog/spdlog.h>

#include "proto/wire/wire.h"

namespace xl::router {

VideoUp::VideoUp(LiveRelay& relay, zmq::socket_t socket) : relay_(relay), socket_(std::move(socket)) {}

VideoUp::~VideoUp() {
  for (auto& [camera, viewer] : viewers_) relay_.Remove(viewer.get(), 0);
}

void VideoUp::SetWatched(const std::set<std::string>& cameras, int64_t now_ms) {
  for (auto it = viewers_.begin(); it != viewers_.end();) {
    if (cameras.count(it->first)) {
      ++it;
      continue;
    }
    relay_.Remove(it->second.get(), now_ms);
    spdlog::info("cascade: live video of camera {} to the parent stopped", it->first);
    it = viewers_.erase(it);
  }
  std::erase_if(refused_, [&](const auto& r) { return !cameras.count(r.first); });
  for (const std::string& camera : cameras) {
    if (viewers_.count(camera)) continue;
    auto refused = refused_.find(camera);
    if (refused != refused_.end() && now_ms - refused->second < kRetryMs) continue;
    auto viewer = std::make_unique<Viewer>(*this);
    if (auto why = relay_.Add(camera, viewer.get(), "link", now_ms)) {
      if (refused == refused_.end())
        spdlog::warn("cascade: live video of camera {} to the parent refused: {}", camera, *why);
      refused_[camera] = now_ms;
      ++stats_.refused;
      continue;
    }
    if (refused != refused_.end()) refused_.erase(refused);
    viewers_.emplace(camera, std::move(viewer));
    spdlog::info("cascade: live video of camera {} to the parent started", camera);
  }
  watched_ = cameras;
}

bool VideoUp::Send(const LiveFrame& frame) {
  const std::string_view video = frame.serialized_video();
  const std::string up = WrappedField(wire::LinkUp::kVideoFieldNumber, video);
  zmq::message_t msg(up.data(), up.size());
  if (!socket_.send(msg, zmq::send_flags::dontwait)) {
    ++stats_.skipped;
    return false;
  }
  ++stats_.frames;
  stats_.bytes += video.size();
  return true;
}

}  // namespace xl::router
