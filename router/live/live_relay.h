// Live video fan-out: each camera is pulled once (by its worker) and shared with every viewer
// — native clients, RTSP players, browsers. Single-threaded (the router's loop).
//
// Per camera the relay keeps a GOP cache (the frames since the last keyframe), so a new
// viewer gets a picture at once. Frames are parsed once and shared, never copied per viewer.
// A viewer that cannot take a frame (its own queue is full) is skipped until the next
// keyframe, so it never sees a broken picture and never slows anyone else. A gap in the
// worker's frame sequence (frames lost on the way) makes every viewer wait for the next
// keyframe likewise.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "xueliang.pb.h"

namespace xl::router {

// A frame as the relay shares it.
struct LiveFrame {
  wire::VideoFrame video;      // with its data
  std::string client_message;  // serialized ServerMessage{video}, for native clients
  size_t video_offset = 0;     // where the serialized VideoFrame starts in client_message
  int64_t received_ms = 0;     // wall clock at the router
  // The frame sealed for native viewers (router/live/video_keys.h) and under which key: made
  // once, on the loop thread, by the first viewer that needs it; shared with the sockets.
  mutable std::shared_ptr<const std::string> sealed;
  mutable uint32_t sealed_key_id = 0;

  std::string_view serialized_video() const { return std::string_view(client_message).substr(video_offset); }
};
using LiveFramePtr = std::shared_ptr<const LiveFrame>;

class LiveViewer {
 public:
  virtual ~LiveViewer() = default;
  // Offers one frame; false when the viewer cannot take it now (its queue is full).
  virtual bool Offer(const LiveFramePtr& frame) = 0;
};

class LiveRelay {
 public:
  // A camera stays wanted this long after its last viewer left (no flapping on reconnects).
  explicit LiveRelay(int64_t linger_ms = 5000) : linger_ms_(linger_ms) {}

  // What became of a message from the media socket.
  enum class Intake { kTaken, kMalformed, kRefused };
  // One message from the media socket (a serialized wire::VideoFrame). Taken unless it is
  // malformed, or `accept` (when given) refuses its camera ID — nothing of a refused frame
  // is kept, not even a stream entry.
  Intake OnMessage(std::string_view msg, int64_t now_ms,
                   const std::function<bool(const std::string& camera)>& accept = {});
  Intake OnMessage(const zmq::message_t& msg, int64_t now_ms,
                   const std::function<bool(const std::string& camera)>& accept = {}) {
    return OnMessage(std::string_view(static_cast<const char*>(msg.data()), msg.size()), now_ms, accept);
  }

  // Whether a camera nobody wants now may start streaming (what it costs is decided there, e.g.
  // a child link's live budget, router/cascade/child_links.h): nullopt when it may, else why
  // not, as the viewer is told ("link to 东街镇 full: 3 streams, 6 Mbit/s").
  using Admission = std::function<std::optional<std::string>(const std::string& camera, int64_t now_ms)>;
  void SetAdmission(Admission admission) { admission_ = std::move(admission); }

  // `viewer` (not owned; must be Removed before it goes) watches `camera`: it gets the GOP
  // cache at once, then every live frame. `kind` names it in statistics ("zmq", "rtsp", ...).
  // A camera not wanted now (Wanted) is asked of the admission first: when it refuses, the
  // viewer is not added and the refusal is returned; nullopt when added.
  std::optional<std::string> Add(const std::string& camera, LiveViewer* viewer, const std::string& kind,
                                 int64_t now_ms);
  // Stops `viewer` watching anything.
  void Remove(LiveViewer* viewer, int64_t now_ms);

  // Cameras whose video is wanted: with a viewer, or whose last viewer left within the linger.
  std::set<std::string> Wanted(int64_t now_ms) const;
  bool IsWanted(const std::string& camera, int64_t now_ms) const;
  // The camera's encoded video rate, kbit/s: over the last full second while it streams, else
  // as last measured here; 0 when never seen.
  double Kbps(const std::string& camera) const;
  // Forgets cameras nobody watches whose video stopped more than a linger ago, with their GOP
  // cache: the relay holds only what is watched or just was. Call it now and then.
  void Prune(int64_t now_ms);
  size_t stream_count() const { return streams_.size(); }
  // Who watches what, fps and bitrate per camera, skips per viewer.
  nlohmann::json Stats(int64_t now_ms) const;
  uint64_t frames_in() const { return frames_in_; }
  uint64_t gaps() const { return gaps_; }
  size_t viewer_count() const;

 private:
  struct Viewer {
    LiveViewer* viewer;
    std::string kind;
    bool need_keyframe = true;
    uint64_t delivered = 0;
    uint64_t skipped_to_keyframe = 0;  // times it fell behind and was moved to a keyframe
  };
  struct Stream {
    std::vector<LiveFramePtr> gop;  // from the last keyframe; empty while waiting for one
    uint64_t last_seq = 0;
    std::vector<Viewer> viewers;
    int64_t last_left_ms = -1;   // when the last viewer left
    int64_t last_frame_ms = -1;  // when its last frame came
    std::string codec;
    uint32_t width = 0, height = 0;
    // Rates over the last full second.
    int64_t window_start_ms = 0;
    uint64_t window_bytes = 0, window_frames = 0;
    double fps = 0, kbps = 0;
  };
  static void Deliver(Viewer& v, const LiveFramePtr& frame);
  bool IsWanted(const Stream& s, int64_t now_ms) const;

  int64_t linger_ms_;
  Admission admission_;
  std::map<std::string, Stream> streams_;
  std::map<std::string, double> last_kbps_;  // by camera, also after its stream was forgotten
  uint64_t frames_in_ = 0, gaps_ = 0;
};

}  // namespace xl::router
