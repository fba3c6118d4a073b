// Live video up the link to the parent — a child router's side of live video through the
// cascade. The parent says which of this router's cameras (its own, and those of its children)
// it wants now (LinkDown.watch: the whole set); each is watched here like any other viewer
// (router/live/live_relay.h), so this router's own workers — or its own children, for a camera
// further down — send it, and its frames go up as they come.
//
// One copy of each camera crosses the link, however many watch it above: the parent asks once
// for all its viewers (and those above it). Frames go up on a connection of their own (a second
// DEALER with the same key), so video never queues in front of alerts and handling steps; a
// frame that connection cannot take now is skipped, and the relay moves this viewer on to the
// next keyframe, so the parent never gets a broken picture.
//
// Thread: the router's one loop thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <zmq.hpp>

#include "proto/wire/wire.h"
#include "router/live/live_relay.h"

namespace xl::router {

class VideoUp {
 public:
  // `socket`: a DEALER connected to the parent's children endpoint with this router's key,
  // used for nothing else. `relay` must outlive this.
  VideoUp(LiveRelay& relay, zmq::socket_t socket);
  ~VideoUp();
  VideoUp(const VideoUp&) = delete;
  VideoUp& operator=(const VideoUp&) = delete;

  // The cameras the parent wants now (empty: none; also when the link is down). A camera
  // wanted anew is watched at once (from the relay's GOP cache when it is live here); one no
  // longer wanted is let go (the relay's linger applies, as for any viewer). One the relay
  // refuses (a link below has no room, router/cascade/child_links.h) is logged and asked for
  // again, while still wanted, every kRetryMs.
  void SetWatched(const std::set<std::string>& cameras, int64_t now_ms);
  // Sends another message up this connection (a clip part); false when it cannot take it now.
  bool SendUp(const wire::LinkUp& up) { return bool(socket_.send(ToFrame(up), zmq::send_flags::dontwait)); }
  const std::set<std::string>& watched() const { return watched_; }
  size_t streaming() const { return viewers_.size(); }  // the watched cameras going up
  static constexpr int64_t kRetryMs = 10000;

  struct Stats {
    uint64_t frames = 0;   // sent up
    uint64_t skipped = 0;  // not taken by the connection (the camera went on at a keyframe)
    uint64_t bytes = 0;    // of the frames sent
    uint64_t refused = 0;  // times a camera the parent wants was refused here
  };
  const Stats& stats() const { return stats_; }

 private:
  class Viewer : public LiveViewer {
   public:
    explicit Viewer(VideoUp& owner) : owner_(owner) {}
    bool Offer(const LiveFramePtr& frame) override { return owner_.Send(*frame); }

   private:
    VideoUp& owner_;
  };
  // Sends `frame` up; false when the connection cannot take it now.
  bool Send(const LiveFrame& frame);

  LiveRelay& relay_;
  zmq::socket_t socket_;
  std::set<std::string> watched_;
  std::map<std::string, std::unique_ptr<Viewer>> viewers_;  // one per camera watched
  std::map<std::string, int64_t> refused_;                  // watched, refused: when last asked
  Stats stats_;
};

}  // namespace xl::router
