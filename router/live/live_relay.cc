#include "router/live/live_relay.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/clock.h"
#include "proto/wire/wire.h"

namespace xl::router {

namespace {
constexpr size_t kMaxGopFrames = 600;  // a longer GOP is not cached past this (viewers wait)
}

void LiveRelay::Deliver(Viewer& v, const LiveFramePtr& frame) {
  if (v.need_keyframe && !frame->video.keyframe()) return;
  if (v.viewer->Offer(frame)) {
    v.need_keyframe = false;
    ++v.delivered;
  } else if (!v.need_keyframe) {
    v.need_keyframe = true;
    ++v.skipped_to_keyframe;
  }
}

LiveRelay::Intake LiveRelay::OnMessage(std::string_view msg, int64_t now_ms,
                                       const std::function<bool(const std::string& camera)>& accept) {
  auto frame = std::make_shared<LiveFrame>();
  if (!frame->video.ParseFromArray(msg.data(), int(msg.size())) || frame->video.camera_id().empty()) {
    return Intake::kMalformed;
  }
  if (accept && !accept(frame->video.camera_id())) return Intake::kRefused;
  frame->received_ms = NowMs();
  // Framed once here as ServerMessage{video}, without copying the parsed frame back out.
  frame->client_message = WrappedField(wire::ServerMessage::kVideoFieldNumber, msg);
  frame->video_offset = frame->client_message.size() - msg.size();
  ++frames_in_;

  Stream& s = streams_[frame->video.camera_id()];
  const uint64_t seq = frame->video.seq();
  if (s.last_seq && seq != s.last_seq + 1) {
    // Lost on the way (or the worker restarted): nobody may see the broken picture.
    ++gaps_;
    s.gop.clear();
    for (Viewer& v : s.viewers) v.need_keyframe = true;
  }
  s.last_seq = seq;
  s.last_frame_ms = now_ms;
  s.codec = frame->video.codec();
  s.width = frame->video.width();
  s.height = frame->video.height();
  if (now_ms - s.window_start_ms >= 1000) {
    const double secs = s.window_start_ms ? double(now_ms - s.window_start_ms) / 1000.0 : 1.0;
    s.fps = double(s.window_frames) / secs;
    s.kbps = double(s.window_bytes) * 8 / 1000 / secs;
    if (s.kbps > 0) last_kbps_[frame->video.camera_id()] = s.kbps;
    s.window_start_ms = now_ms;
    s.window_frames = s.window_bytes = 0;
  }
  ++s.window_frames;
  s.window_bytes += frame->video.data().size();

  LiveFramePtr shared = std::move(frame);
  if (shared->video.keyframe()) {
    s.gop.clear();
    s.gop.push_back(shared);
  } else if (!s.gop.empty() && s.gop.size() < kMaxGopFrames) {
    s.gop.push_back(shared);
  } else {
    s.gop.clear();
  }
  for (Viewer& v : s.viewers) Deliver(v, shared);
  return Intake::kTaken;
}

std::optional<std::string> LiveRelay::Add(const std::string& camera, LiveViewer* viewer, const std::string& kind,
                                          int64_t now_ms) {
  if (admission_ && !IsWanted(camera, now_ms)) {
    if (std::optional<std::string> why = admission_(camera, now_ms)) {
      spdlog::warn("live: camera {}: {} viewer refused: {}", camera, kind, *why);
      return why;
    }
  }
  Stream& s = streams_[camera];
  s.viewers.push_back(Viewer{viewer, kind});
  Viewer& v = s.viewers.back();
  for (const LiveFramePtr& f : s.gop) Deliver(v, f);
  spdlog::info("live: camera {}: {} viewer joined ({} watching)", camera, kind, s.viewers.size());
  return std::nullopt;
}

void LiveRelay::Remove(LiveViewer* viewer, int64_t now_ms) {
  for (auto& [camera, s] : streams_) {
    auto it = std::remove_if(s.viewers.begin(), s.viewers.end(), [&](const Viewer& v) { return v.viewer == viewer; });
    if (it == s.viewers.end()) continue;
    s.viewers.erase(it, s.viewers.end());
    spdlog::info("live: camera {}: viewer left ({} watching)", camera, s.viewers.size());
    if (s.viewers.empty()) s.last_left_ms = now_ms;
  }
}

bool LiveRelay::IsWanted(const Stream& s, int64_t now_ms) const {
  return !s.viewers.empty() || (s.last_left_ms >= 0 && now_ms - s.last_left_ms < linger_ms_);
}

bool LiveRelay::IsWanted(const std::string& camera, int64_t now_ms) const {
  auto it = streams_.find(camera);
  return it != streams_.end() && IsWanted(it->second, now_ms);
}

std::set<std::string> LiveRelay::Wanted(int64_t now_ms) const {
  std::set<std::string> out;
  for (const auto& [camera, s] : streams_) {
    if (IsWanted(s, now_ms)) out.insert(camera);
  }
  return out;
}

double LiveRelay::Kbps(const std::string& camera) const {
  if (auto it = streams_.find(camera); it != streams_.end() && it->second.kbps > 0) return it->second.kbps;
  auto last = last_kbps_.find(camera);
  return last == last_kbps_.end() ? 0 : last->second;
}

void LiveRelay::Prune(int64_t now_ms) {
  std::erase_if(streams_, [&](const auto& entry) {
    const Stream& s = entry.second;
    return s.viewers.empty() && now_ms - std::max(s.last_left_ms, s.last_frame_ms) >= linger_ms_;
  });
}

size_t LiveRelay::viewer_count() const {
  size_t n = 0;
  for (const auto& [camera, s] : streams_) n += s.viewers.size();
  return n;
}

nlohmann::json LiveRelay::Stats(int64_t now_ms) const {
  nlohmann::json out = nlohmann::json::array();
  const std::set<std::string> wanted = Wanted(now_ms);
  for (const auto& [camera, s] : streams_) {
    nlohmann::json viewers = nlohmann::json::array();
    for (const Viewer& v : s.viewers) {
      viewers.push_back({{"kind", v.kind},
                         {"delivered", v.delivered},
                         {"skipped_to_keyframe", v.skipped_to_keyframe},
                         {"waiting_for_keyframe", v.need_keyframe}});
    }
    out.push_back({{"camera", camera},
                   {"live", wanted.count(camera) > 0},
                   {"codec", s.codec},
                   {"width", s.width},
                   {"height", s.height},
                   {"fps", s.fps},
                   {"kbps", s.kbps},
                   {"gop_frames", s.gop.size()},
                   {"viewers", viewers}});
  }
  return out;
}

}  // namespace xl::router
